"""What a check answers: passed or not, and what exactly to do about it.

A check never says only "wrong". It names what it found, what the lab expects,
and the command that gets from one to the other, in boto3 or the AWS CLI::

    ✗ 05.1  Your target group checks /health every 10 s; the seed uses 30 s.
            aws elbv2 modify-target-group --target-group-arn $TG_ARN --health-check-interval-seconds 30
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..i18n import _

__all__ = ["Verdict"]


@dataclass(repr=False)
class Verdict:
    """The answer of one check: ``passed``, a ``message`` in the student's language and an optional ``fix``.

    ``found`` lists what the check read (ids and names), so a student can compare it with the console.
    """

    task: str
    title: str
    passed: bool
    message: str
    fix: str = ""
    found: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✓" if self.passed else "✗"
        found, how = _("found"), _("How to fix")
        lines = [f"{mark} {self.task}  {self.title}", f"    {self.message}"]
        lines += [f"    {found}: {item}" for item in self.found]
        if self.fix:
            lines += [f"    {how}:"] + [f"      {line}" for line in self.fix.splitlines()]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1a7f37", "✓") if self.passed else ("#b42318", "✗")
        found = "".join(f"<li><code>{html.escape(item)}</code></li>" for item in self.found)
        how = html.escape(_("How to fix"))
        fix = (f"<div style='margin-top:4px'><b>{how}</b>"
               f"<pre style='white-space:pre-wrap;margin:2px 0 0 0'>{html.escape(self.fix)}</pre></div>") if self.fix else ""
        return (f"<div style='border-left:4px solid {colour};padding:4px 10px;margin:4px 0'>"
                f"<b style='color:{colour}'>{mark} {html.escape(self.task)}</b> {html.escape(self.title)}"
                f"<div style='margin-top:2px'>{html.escape(self.message)}</div>"
                + (f"<ul style='margin:2px 0'>{found}</ul>" if found else "") + fix + "</div>")
