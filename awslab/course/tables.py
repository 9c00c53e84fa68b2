"""A tidy table for a lab's results: named columns, one row per thing, text that wraps and is never cut.

Two results in one cell show as two tables, not as twenty lines of ARNs: a lab
builds each with :class:`Table` and shows it. Headers come from the library,
translated, because code cells are shared by both languages.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Table"]


@dataclass(repr=False)
class Table:
    """``columns`` are the headers (already in the student's language); ``rows`` the values, one list per row."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    caption: str = ""

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def column(self, index: int) -> list[Any]:
        return [row[index] for row in self.rows]

    def text(self) -> str:
        cells = [[str(c) for c in self.columns]] + [[_show(v) for v in row] for row in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(([self.caption] if self.caption else []) + lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left;white-space:nowrap'>{html.escape(str(c))}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in self.rows)
        # a caption above, as wide as the output (a <caption> is as narrow as its table and wraps)
        cap = f"<div style='margin:2px 0'><b>{html.escape(self.caption)}</b></div>" if self.caption else ""
        return f"{cap}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _show(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v - round(v)) < 0.05 or abs(v) >= 100 else f"{v:.1f}"
    return str(v)


def _td(v: Any) -> str:
    align = "right" if isinstance(v, (int, float)) and not isinstance(v, bool) else "left"
    return f"<td style='text-align:{align};white-space:normal;word-break:normal'>{html.escape(_show(v))}</td>"
