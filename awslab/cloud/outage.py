"""When the embedded cloud stops or restarts under a lab: a short paragraph, not a traceback.

The cloud keeps every resource in memory. If it stops in the middle of a
build, nothing answers; if it restarts, it answers again but has forgotten
everything, and the ids a notebook still holds (vpc-...) no longer exist.
Either way a student needs three facts: what happened, that a restart loses
every resource, and how to start the cloud and build again.

- A Lab's clients on the embedded cloud raise :class:`~awslab.errors.CloudNotAnswering`
  when a call finds nobody answering (:func:`watch`, through botocore's
  ``after-call-error`` event).
- Every answer carries the cloud's boot id (``X-Awslab-Boot-Id``). The first
  answer from a new boot raises :class:`~awslab.errors.CloudRestarted`.
- Each step of a lab's AWS CLI log (kept in ``Lab.state_dir()``) notes the boot id
  it was built on; :func:`restart_since_built` tells ``awslab status`` and
  ``awslab teardown`` whether the cloud restarted since, and which local files remain.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .. import config
from ..errors import CloudNotAnswering, CloudRestarted
from .identity import BOOT_HEADER
from ..i18n import N_, _

__all__ = ["BootWatch", "CloudRestart", "not_answering", "restart_since_built", "watch"]

NOT_ANSWERING = (N_("The embedded cloud at {url} is not answering ({reason}): it stopped, or it is restarting. It keeps "
                 "everything in memory, so once it restarts, every resource the lab built is gone."))
NOT_ANSWERING_FIX = (N_("Start it with `awslab cloud start` (or `awslab up`), then build again: `awslab build`, or run "
                     "the notebook from the top. What the cloud printed last is in {log}."))
RESTARTED = (N_("The embedded cloud at {url} restarted (it started at {started}) while this lab was using it. It keeps "
             "everything in memory, so the restart forgot every resource: the VPC, the instances and the rest are "
             "gone, and ids from before no longer exist."))
RESTARTED_FIX = N_("Build again: `awslab build`, or run the notebook from the top.")
SINCE_BUILT = (N_("The embedded cloud restarted since this lab was built (it started at {started}). It keeps everything "
               "in memory, so the lab's resources are gone from it; `awslab build` builds them again."))
SINCE_BUILT_TEARDOWN = (N_("The embedded cloud restarted since this lab was built (it started at {started}). It keeps "
                        "everything in memory, so the lab's resources were already gone from it: there was nothing "
                        "there to delete."))
KEYS_KEPT = (N_("These key files from before are still on this machine, and were kept: {files}. The next build imports "
             "the same public key into EC2 again; delete them by hand if you no longer need them."))


@dataclass
class BootWatch:
    """Which boot of the cloud a lab is talking to, as its answers say."""

    endpoint_url: str
    boot_id: str | None = None
    _acknowledged: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, boot_id: str | None) -> None:
        """An answer came from boot ``boot_id``. The first answer from a new boot raises CloudRestarted.

        The call itself has happened (a create on the new boot did create); the student
        learns that everything from before is gone before building on top of it.
        """
        with self._lock:
            restarted = bool(boot_id and self.boot_id and boot_id != self.boot_id and not self._acknowledged)
            self.boot_id = boot_id or self.boot_id
            self._acknowledged = False
        if restarted:
            raise CloudRestarted(_(RESTARTED).format(url=self.endpoint_url, started=self._started()), _(RESTARTED_FIX))

    def acknowledge(self) -> None:
        """The caller deals with a restart itself (a whole build, a teardown): the next answer raises nothing."""
        with self._lock:
            self._acknowledged = True

    def _started(self) -> str:
        from .client import ControlClient

        health = ControlClient(self.endpoint_url).health(timeout=2) or {}
        return health.get("started_at") or _("an unknown time")


def watch(client: Any, boot: BootWatch) -> None:
    """Make ``client`` (boto3, on the embedded cloud) report outages and restarts as paragraphs."""
    events = client.meta.events
    events.register("after-call", lambda http_response=None, **kw: _answered(boot, http_response))
    events.register("after-call-error", lambda exception=None, **kw: _no_answer(boot, exception))


def _answered(boot: BootWatch, http_response: Any) -> None:
    if http_response is not None:
        boot.observe(http_response.headers.get(BOOT_HEADER))


def _no_answer(boot: BootWatch, exception: BaseException | None) -> None:
    from botocore.exceptions import ConnectionError, HTTPClientError

    if isinstance(exception, (ConnectionError, HTTPClientError)):
        reason = type(exception).__name__.replace("Error", "").replace("Endpoint", "")
        raise not_answering(boot.endpoint_url, reason) from exception


def not_answering(endpoint_url: str, reason: str) -> CloudNotAnswering:
    """The paragraph for a cloud that went away in the middle of something (``reason``: botocore's error name, or
    ``ConnectionClosed`` when it cut a connection), whichever client noticed first: boto3 or the control API."""
    port = int(endpoint_url.rsplit(":", 1)[1].split("/")[0])
    return CloudNotAnswering(_(NOT_ANSWERING).format(url=endpoint_url, reason=_reason(reason)),
                             _(NOT_ANSWERING_FIX).format(log=config.home() / f"cloud-{port}.log"))


def _reason(name: str) -> str:
    reasons = {"Connection": N_("connection refused"), "ConnectionClosed": N_("it closed the connection"),
               "ReadTimeout": N_("no answer in time"), "ConnectTimeout": N_("no answer in time")}
    return _(reasons[name]) if name in reasons else name


# -- what a lab remembers ----------------------------------------------------------------------
@dataclass(frozen=True)
class CloudRestart:
    """The cloud restarted since the lab was built: when, and the lab's files still on this machine."""

    built_on: str
    boot_id: str
    started_at: str
    key_files: tuple[str, ...] = ()

    def summary(self, teardown: bool = False) -> str:
        """What ``awslab status`` (or, with ``teardown``, ``awslab teardown``) says about the restart."""
        text = (_(SINCE_BUILT_TEARDOWN) if teardown else _(SINCE_BUILT)).format(started=self.started_at)
        if self.key_files:
            text += "\n" + _(KEYS_KEPT).format(files=", ".join(self.key_files))
        return text

    def __str__(self) -> str:
        return self.summary()


def restart_since_built(lab: Any, health: dict | None = None) -> CloudRestart | None:
    """Probe: did ``lab``'s embedded cloud restart since the lab built something? Changes nothing.

    Each step of the lab's AWS CLI log (kept in ``Lab.state_dir()``) notes the boot it was
    built on; a step from another boot was forgotten by a restart. ``Lab.cloud_restart()``
    adds the lab's key files that are still on this machine.
    """
    if lab.backend != "embedded":
        return None
    boots = {step.boot for step in lab.cli_log().steps if step.boot}
    if not boots:
        return None
    if health is None:
        from .client import ControlClient

        health = ControlClient(lab.endpoint_url).health(timeout=5)
    if not health or not health.get("boot_id") or boots == {health["boot_id"]}:
        return None
    before = sorted(boots - {health["boot_id"]})
    return CloudRestart(before[0], health["boot_id"], health.get("started_at") or "an unknown time")
