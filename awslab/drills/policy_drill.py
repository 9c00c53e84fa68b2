"""The policy comparison as a drill: one call (one button) starts it in the background; follow it, read its story.

The comparison runs in private, virtual-time accounts in this process (:mod:`awslab.sim.whatif`): it reads the
lab's settings once, when it starts, and never changes anything in the lab. So :meth:`PolicyComparisonDrill.reset`
has nothing to undo, and says so.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from ..i18n import _
from .failure import DrillError
from .polling import poll_until
from .policy_comparison import PolicyComparisonResult, compare_policies, story_of
from .policy_setups import lab_settings, seed_settings

__all__ = ["COMPARISON_MILESTONES", "ComparisonStatus", "PolicyComparisonDrill", "policy_comparison"]

#: How far a comparison has got, in order.
COMPARISON_MILESTONES = ("running", "done")
#: One comparison at a time in a process: each run installs the simulator into moto's models.
_RUN_LOCK = threading.Lock()


@dataclass(frozen=True)
class ComparisonStatus:
    """``state``: waiting (for another comparison), running, done or failed; which setup runs, how many are done."""

    state: str
    running: str | None
    finished: int
    total: int
    error: str | None = None

    @property
    def progress(self) -> float:
        return self.finished / self.total if self.total else 0.0

    def reached(self, milestone: str) -> bool:
        if milestone == "running":
            return self.state in ("running", "done")
        return self.state == "done"

    def __str__(self) -> str:
        if self.state == "running":
            return _("running {setup} ({done} of {total} done)").format(setup=self.running, done=self.finished,
                                                                        total=self.total)
        return _("{state}: {done} of {total} setups").format(state=self.state, done=self.finished, total=self.total)


class PolicyComparisonDrill:
    """A running comparison (see :func:`policy_comparison`)."""

    milestones = COMPARISON_MILESTONES

    def __init__(self, lab: Any = None, **params: Any) -> None:
        self.lab = lab
        self._settings = lab_settings(lab) if lab is not None else seed_settings()  # refuses here, not in the thread
        self._params = params
        self._status = ComparisonStatus("waiting", None, 0, len(params.get("kinds", ())) or 5)
        self._result: PolicyComparisonResult | None = None
        self._thread = threading.Thread(target=self._run, name="policy-comparison", daemon=True)
        self._thread.start()

    def _progress(self, kind: str, label: str, done: int, total: int) -> None:
        self._status = ComparisonStatus("running", label, done, total)

    def _run(self) -> None:
        with _RUN_LOCK:
            try:
                self._result = compare_policies(settings=self._settings, progress=self._progress, **self._params)
                n = len(self._result.outcomes)
                self._status = ComparisonStatus("done", None, n, n)
            except Exception as e:  # shown by status() and raised by wait_until()
                self._status = ComparisonStatus("failed", self._status.running, self._status.finished,
                                                self._status.total, f"{type(e).__name__}: {e}")

    def status(self) -> ComparisonStatus:
        return self._status

    def wait_until(self, milestone: str = "done", timeout_s: float = 120.0, fast_forward: bool | None = None,
                   **kw: Any) -> ComparisonStatus:
        """Wait (in wall time) for ``milestone``. ``fast_forward`` is ignored: the runs have their own virtual time."""
        if milestone not in COMPARISON_MILESTONES:
            raise ValidationError("milestone", milestone, _("a comparison reaches {items}, in that order").format(
                items=", ".join(COMPARISON_MILESTONES)), _("Use wait_until('running') or wait_until('done')."))
        status, done = poll_until(self.status, lambda st: st.reached(milestone) or st.state == "failed", timeout_s,
                                  None, False, 0.0, every_s=0.1)
        if status.state == "failed":
            raise DrillError(_("The policy comparison failed: {error}").format(error=status.error),
                             _("Read the error; if it names a setting of your group, fix it and start the drill again."))
        if not done:
            raise DrillError(_("The policy comparison did not reach {milestone!r} within {timeout_s:g} s ({status}).")
                             .format(milestone=milestone, timeout_s=timeout_s, status=status),
                             _("Give it more time: wait_until('done', timeout_s=300). A busy machine runs it slower."))
        return status

    def result(self) -> PolicyComparisonResult:
        """The comparison, once done (waits up to two minutes)."""
        self.wait_until("done")
        assert self._result is not None
        return self._result

    def table(self) -> Any:
        return self.result().table()

    def charts(self) -> tuple[Any, ...]:
        return self.result().charts()

    def story(self) -> Any:
        """Per setup, its alarms and its scale-outs in AWS's words (empty until the comparison is done)."""
        from .story import Story

        return story_of(self._result) if self._result is not None else Story()

    def reset(self) -> None:
        """Nothing to undo: the comparison ran in private simulated accounts and touched nothing of the lab."""
        return None

    def _repr_html_(self) -> str:
        return self._result._repr_html_() if self._result is not None else f"<p>{str(self._status)}</p>"


def policy_comparison(lab: Any = None, **params: Any) -> PolicyComparisonDrill:
    """Start the policy comparison in the background (``params``: see :func:`compare_policies`) and return the drill.

    With ``lab`` it compares the lab's own group and policies; without, the seed's values. It refuses at once when the
    lab has no Auto Scaling group.
    """
    return PolicyComparisonDrill(lab, **params)
