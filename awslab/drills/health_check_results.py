"""What the health-check tuning drill measured: detection time and false alarms, per setting.

Every figure here is read from a run, never computed from the settings: the simulator's
timeline of ``describe-target-health`` changes (each with its time) for the two servers the
drill watched, one whose app crashed and one whose app is slow but working. The settings
give only the *predicted* detection window (:func:`awslab.drills.failure.detection_window`),
shown beside the measured time so that the two can be compared.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from ..i18n import N_, _

__all__ = ["HealthCheckSetting", "TuningRow", "TuningResult", "measure_row"]


@dataclass(frozen=True)
class HealthCheckSetting:
    """One target group health check, in AWS's names (``create-target-group``'s parameters)."""

    name: str
    health_check_interval_seconds: int
    health_check_timeout_seconds: int
    healthy_threshold_count: int
    unhealthy_threshold_count: int

    def parameters(self) -> dict[str, int]:
        """The settings as ``create-target-group`` / ``modify-target-group`` take them."""
        return {"HealthCheckIntervalSeconds": self.health_check_interval_seconds,
                "HealthCheckTimeoutSeconds": self.health_check_timeout_seconds,
                "HealthyThresholdCount": self.healthy_threshold_count,
                "UnhealthyThresholdCount": self.unhealthy_threshold_count}

    def label(self) -> str:
        """``seed 30/5 s, 2/3``: interval/timeout, healthy/unhealthy thresholds."""
        return (f"{self.name} {self.health_check_interval_seconds}/{self.health_check_timeout_seconds} s, "
                f"{self.healthy_threshold_count}/{self.unhealthy_threshold_count}")


@dataclass(frozen=True)
class TuningRow:
    """One setting's measurements over ``span_s`` simulated seconds."""

    setting: HealthCheckSetting
    detection_s: float | None  # crash -> the target's first "unhealthy" (None: not yet)
    predicted_window_s: tuple[float, float]
    false_alarms: int  # the slow-but-working server's healthy -> unhealthy transitions
    out_of_service_s: float  # how long that working server was not "healthy" (the ALB sent it nothing)
    span_s: float

    @property
    def inside_window(self) -> bool:
        low, high = self.predicted_window_s
        return self.detection_s is not None and low <= self.detection_s <= high

    @property
    def false_alarms_per_hour(self) -> float:
        return self.false_alarms * 3600.0 / self.span_s if self.span_s > 0 else 0.0

    @property
    def out_of_service_percent(self) -> float:
        return 100.0 * self.out_of_service_s / self.span_s if self.span_s > 0 else 0.0


def _transitions(events: list[dict], instance_id: str, arn: str, since: float, until: float) -> list[tuple[float, str]]:
    """(time, new state) of ``instance_id`` in target group ``arn`` between ``since`` and ``until``."""
    return [(e["time"], e["details"].get("state")) for e in events
            if e["event"] == "target_health_changed" and e["resource"] == instance_id
            and e["details"].get("target_group_arn") == arn and since - 1e-6 <= e["time"] <= until
            and e["details"].get("previous") != e["details"].get("state")]


def measure_row(setting: HealthCheckSetting, arn: str, events: list[dict], crashed: str, slow: str,
                since: float, until: float, window: tuple[float, float]) -> TuningRow:
    """One setting's row from the timeline's target-health events (both servers were healthy at ``since``)."""
    went = [t for t, state in _transitions(events, crashed, arn, since, until) if state == "unhealthy"]
    flips = _transitions(events, slow, arn, since, until)
    alarms, out, down_since = 0, 0.0, None
    for t, state in flips:
        if state == "healthy" and down_since is not None:
            out, down_since = out + t - down_since, None
        elif state != "healthy" and down_since is None:
            alarms, down_since = alarms + (state == "unhealthy"), t
    if down_since is not None:
        out += until - down_since
    return TuningRow(setting, round(went[0] - since, 1) if went else None, window, alarms, round(out, 1),
                     until - since)


COLUMNS = (N_("setting"), N_("interval / timeout"), N_("healthy / unhealthy threshold"), N_("detection (measured)"),
           N_("predicted window"), N_("false alarms per hour"), N_("out of service"))


@dataclass(repr=False)
class TuningResult:
    """The drill's table and chart: one row per setting, all measured in the same run."""

    rows: list[TuningRow]
    slow_app: str  # how slow the working server's /health was, e.g. "3.5-6.0 s"
    span_s: float
    cells: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cells = [_cells(r) for r in self.rows]

    def row(self, name: str) -> TuningRow:
        return next(r for r in self.rows if r.setting.name == name)

    def text(self) -> str:
        heads = [_(c) for c in COLUMNS]
        widths = [max(len(h), *(len(c[i]) for c in self.cells)) for i, h in enumerate(heads)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in self.cells]
        caption = _("Measured over {minutes:.0f} simulated minutes; the working server's /health answers in {slow}.")
        return "\n".join(lines + [caption.format(minutes=self.span_s / 60, slow=self.slow_app)])

    __repr__ = __str__ = text

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(_(c))}</th>" for c in COLUMNS)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in cells) + "</tr>"
                       for cells in self.cells)
        caption = _("Measured over {minutes:.0f} simulated minutes; the working server's /health answers in {slow}.")
        caption = html.escape(caption.format(minutes=self.span_s / 60, slow=self.slow_app))
        return f"<table><caption style='text-align:left'>{caption}</caption><tr>{head}</tr>{body}</table>"

    def figure(self) -> Any:
        """A plotly figure (900 px wide): detection time against its predicted window, false alarms, time lost."""
        from .health_check_chart import tuning_figure

        return tuning_figure(self)


def _cells(r: TuningRow) -> list[str]:
    s = r.setting
    low, high = r.predicted_window_s
    detected = _("not yet") if r.detection_s is None else f"{r.detection_s:g} s"
    return [s.name, f"{s.health_check_interval_seconds} s / {s.health_check_timeout_seconds} s",
            f"{s.healthy_threshold_count} / {s.unhealthy_threshold_count}", detected, f"{low:g}-{high:g} s",
            f"{r.false_alarms_per_hour:.1f}", f"{r.out_of_service_s:.0f} s ({r.out_of_service_percent:.0f} %)"]
