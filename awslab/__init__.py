"""awslab: learn how AWS keeps a web service up, hands-on, on an embedded cloud that behaves like AWS.

The public API a notebook needs lives here; everything else is an implementation detail.
"""
from .errors import AwslabError, BackendError, CloudNotRunning, ValidationError
from .lab import Lab

__all__ = ["Lab", "AwslabError", "BackendError", "CloudNotRunning", "ValidationError", "dashboard",
           "class_progress_view"]


def dashboard(lab: Lab, interval: float = 1.0, projector: bool = False, topology: bool = True):
    """The instructor console for ``lab``: live charts, topology, timeline, clock, drills and traffic.

    Imported on first use (plotly and ipywidgets load only when a dashboard is opened).
    """
    from .dashboard import dashboard as open_dashboard

    return open_dashboard(lab, interval, projector, topology)


def class_progress_view(folders=(), roster=None, every: float = 30.0, for_minutes: float = 180.0):
    """The instructor's table of the class: who passed which checks, lab by lab, read from each progress.json.

    ``folders``: students' AWSLAB_HOMEs or homes, or a glob such as ``"/srv/awslab-class/home/*"``;
    ``roster``: a file of ``name path`` lines. See :mod:`awslab.classroom.view`.
    """
    from .classroom.view import class_progress_view as open_view

    return open_view(folders, roster, every, for_minutes)
__version__ = "0.1.0"
