"""awslab: learn how AWS keeps a web service up, hands-on, on an embedded cloud that behaves like AWS.

The public API a notebook needs lives here; everything else is an implementation detail.
"""
from .errors import AwslabError, BackendError, CloudNotRunning, ValidationError
from .lab import Lab

__all__ = ["Lab", "AwslabError", "BackendError", "CloudNotRunning", "ValidationError"]
__version__ = "0.1.0"
