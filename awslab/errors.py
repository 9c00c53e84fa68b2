"""One exception family for the whole lab.

Every error names what was wrong and how to fix it, in words a student
knows. Errors from AWS are translated once, at the boundary, and keep the
AWS error code so a student can look it up.
"""
from __future__ import annotations

from typing import Any

from .i18n import _


class AwslabError(Exception):
    """Base of every error awslab raises on purpose."""

    def __init__(self, problem: str, fix: str = "", code: str | None = None):
        self.problem = problem
        self.fix = fix
        self.code = code
        text = problem
        if code:
            text = f"[{code}] {text}"
        if fix:
            text = _("{problem}\n  How to fix: {fix}").format(problem=text, fix=fix)
        super().__init__(text)


class ValidationError(AwslabError, ValueError):
    """An input broke one of AWS's rules. Raised before any AWS call, so nothing is created.

    ``field`` is the parameter's name, ``value`` what was given, ``rule`` the
    rule it broke and ``fix`` what to do instead.
    """

    def __init__(self, field: str, value: Any, rule: str, fix: str):
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(_("{field}={value!r} is not valid: {rule}.").format(field=field, value=value, rule=rule), fix)


class BackendError(AwslabError):
    """The chosen backend can't be used (cloud not running, real AWS without opt-in, ...)."""


class CloudNotRunning(BackendError):
    """The embedded cloud isn't answering on its port."""

    def _render_traceback_(self) -> list[str]:
        """What JupyterLab shows instead of a traceback: the paragraph alone (IPython's documented hook)."""
        return [f"{type(self).__name__}: {self}"]


class CloudNotAnswering(CloudNotRunning):
    """The embedded cloud stopped answering in the middle of something (a build, a teardown, a drill)."""


class CloudRestarted(BackendError):
    """The embedded cloud restarted under a lab: it keeps everything in memory, so every resource is gone."""

    _render_traceback_ = CloudNotRunning._render_traceback_


class AwsCallError(AwslabError):
    """AWS (or the embedded cloud) refused a call. ``code`` is AWS's error code."""


class NetworkError(AwslabError):
    """The network layer (VPC, subnets, gateways, routes) could not be built as asked."""


class SecurityError(AwslabError):
    """A security group or key pair could not be built as asked."""


class ComputeError(AwslabError):
    """A launch template, instance or bastion could not be built as asked."""


class LoadBalancingError(AwslabError):
    """A target group, load balancer or listener could not be built as asked."""


class ScalingError(AwslabError):
    """An Auto Scaling group, policy or alarm could not be built as asked."""


class DatabaseError(AwslabError):
    """The database layer could not be built as asked."""


class EdgeError(AwslabError):
    """Route 53, S3 or CloudFront could not be built as asked."""


def translate(err: Exception, doing: str, fix: str = "", cls: type[AwslabError] = AwsCallError) -> AwslabError:
    """Turn a botocore ``ClientError`` into an awslab error that says what we were doing.

    Use as ``raise translate(e, "creating the VPC") from e``.
    """
    code = None
    message = str(err)
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        message = response.get("Error", {}).get("Message", message)
    return cls(_("AWS refused {doing}: {message}").format(doing=doing, message=message),
               fix or _("Read the AWS error code above; `awslab doctor` checks the setup."), code=code)
