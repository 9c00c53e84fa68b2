"""The dashboard's text panels as HTML, each a pure function of a :class:`DashboardState`.

The targets table (each instance's AZ, lifecycle state and target health), the running drill's milestones,
and the event timeline (the drill's story in AWS's words). Class names carry the state
(``awslab-target-unhealthy``) so the stylesheet colours them and a browser test can find them.
"""
from __future__ import annotations

import html

from ..i18n import _
from .state import DashboardState

__all__ = ["STYLE", "targets_html", "drill_html", "timeline_html", "style"]

#: The stylesheet; ``{base}`` is the base font size in px (14 in JupyterLab, 20 on a projector).
STYLE = """<style>
.awslab-dashboard {{ font-size: {base}px; }}
.awslab-dashboard .widget-button, .awslab-dashboard .widget-label, .awslab-dashboard .widget-readout,
.awslab-dashboard .widget-inline-hbox .widget-label {{ font-size: {base}px; }}
.awslab-dashboard .widget-button {{ padding: 0.2em 0.8em; margin: 2px 4px 2px 0; }}
.awslab-dashboard table.awslab-table {{ border-collapse: collapse; font-size: {base}px; width: 100%; }}
.awslab-dashboard table.awslab-table td, .awslab-dashboard table.awslab-table th {{ padding: 2px 8px;
  text-align: left; border-bottom: 1px solid #e0e0e0; white-space: nowrap; }}
.awslab-dashboard .awslab-title {{ font-size: {title}px; font-weight: 600; }}
.awslab-dashboard .awslab-clock {{ font-size: {title}px; font-family: monospace; font-weight: 600; }}
.awslab-dashboard .awslab-note {{ color: #555; font-size: {note}px; }}
.awslab-dashboard .widget-html-content {{ font-size: {base}px; line-height: 1.35; }}
.awslab-dashboard table.awslab-table code {{ font-size: 85%; }}
.awslab-dashboard .awslab-codes {{ font-family: monospace; }}
.awslab-dashboard .awslab-reason {{ display: block; font-size: 75%; color: #555; overflow-wrap: anywhere; }}
.awslab-dashboard .awslab-side {{ overflow: hidden; }}
.awslab-target-healthy {{ background: #c8e6c9; }}
.awslab-target-unhealthy {{ background: #ffcdd2; }}
.awslab-target-initial, .awslab-target-draining {{ background: #fff9c4; }}
.awslab-milestone {{ display: inline-block; padding: 1px 10px; margin-right: 6px; border-radius: 10px;
  background: #eeeeee; }}
.awslab-milestone-reached {{ background: #43a047; color: white; }}
.awslab-dashboard table.awslab-timeline td:last-child, .awslab-dashboard table.awslab-targets td:last-child
  {{ white-space: normal; overflow-wrap: anywhere; }}
</style>"""


def style(projector: bool) -> str:
    base = 20 if projector else 14
    return STYLE.format(base=base, title=base + 6, note=base - 2)


def targets_html(state: DashboardState) -> str:
    """The group's instances: AZ, lifecycle state, target health (with AWS's reason code)."""
    if not state.group_name:
        return "<p class='awslab-note'>" + html.escape(_(
            "This lab has no Auto Scaling group yet: build it (lab.build()) and the dashboard fills in.")) + "</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ("AZ", _("instance"), "LifecycleState", _("target health")))
    rows = "".join(
        f"<tr class='awslab-target awslab-target-{html.escape(r.target_state or 'none')}' "
        f"data-instance='{html.escape(r.instance_id)}' data-az='{html.escape(r.availability_zone)}' "
        f"data-lifecycle='{html.escape(r.lifecycle_state)}' data-target='{html.escape(r.target_state)}'>"
        f"<td>{html.escape(r.availability_zone)}</td><td><code>{html.escape(r.instance_id)}</code></td>"
        f"<td>{html.escape(r.lifecycle_state)}</td>"
        f"<td>{html.escape(r.target_state or '-')}<span class='awslab-reason'>{html.escape(r.reason)}</span></td></tr>"
        for r in state.instances)
    summary = _("{group}: desired {desired}, InService {in_service}, healthy {healthy}").format(
        group=state.group_name, desired=state.desired, in_service=state.in_service, healthy=state.healthy)
    return (f"<div class='awslab-title'>{html.escape(summary)}</div>"
            f"<table class='awslab-table awslab-targets'><tr>{head}</tr>{rows}</table>")


def drill_html(state: DashboardState) -> str:
    """The running drill and its milestones, reached ones in green."""
    if state.drill is None:
        return "<span class='awslab-note'>" + html.escape(_("No drill is running: press one to start it.")) + "</span>"
    marks = "".join(f"<span class='awslab-milestone{' awslab-milestone-reached' if done else ''}' "
                    f"data-milestone='{html.escape(m)}' data-reached='{str(done).lower()}'>"
                    f"{'✓ ' if done else ''}{html.escape(m)}</span>" for m, done in state.drill.milestones)
    return f"<span class='awslab-title'>{html.escape(state.drill.title)}</span> &nbsp; {marks}"


def timeline_html(state: DashboardState) -> str:
    """The drill's story: the newest lines, offset from the drill's start, in AWS's words."""
    if not state.story:
        return ""
    rows = "".join(f"<tr><td><code>{html.escape(line.offset)}</code></td><td>{html.escape(line.actor)}</td>"
                   f"<td><code>{html.escape(line.resource)}</code></td>"
                   f"<td title='{html.escape(line.detail)}'>{html.escape(line.text)}</td></tr>" for line in state.story)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in (_("after"), _("who"), _("resource"), _("what happened")))
    return f"<table class='awslab-table awslab-timeline'><tr>{head}</tr>{rows}</table>"
