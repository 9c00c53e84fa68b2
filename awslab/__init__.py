"""awslab: learn how AWS keeps a web service up, hands-on, on an embedded cloud that behaves like AWS.

The public API a notebook needs lives here; everything else is an implementation detail.
"""
from .errors import AwslabError, BackendError, CloudNotRunning, ValidationError
from .lab import Lab

__all__ = ["Lab", "AwslabError", "BackendError", "CloudNotRunning", "ValidationError", "dashboard"]


def dashboard(lab: Lab, interval: float = 1.0, projector: bool = False, topology: bool = True):
    """The instructor console for ``lab``: live charts, topology, timeline, clock, drills and traffic.

    Imported on first use (plotly and ipywidgets load only when a dashboard is opened).
    """
    from .dashboard import dashboard as open_dashboard

    return open_dashboard(lab, interval, projector, topology)
__version__ = "0.1.0"
