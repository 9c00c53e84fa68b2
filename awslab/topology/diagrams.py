"""Render the reference diagrams: every ``diagrams/*.dot`` to an ``.svg`` beside it.

    python -m awslab.topology.diagrams            # the repository's diagrams/
    python -m awslab.topology.diagrams DIR --png  # another folder; PNGs too

The DOT sources are the figures of the seed notes (the standard architecture,
three-tier subnets, multi-AZ, the three scenarios, the data flows, CloudWatch ↔
Auto Scaling, the bastion with an SSH agent, the two access paths). They are
hand-written so a reader can change them; the SVGs are committed so GitHub and
the README show them. A test checks that each SVG still matches its source.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .engine import render_dot, svg_to_png

__all__ = ["DIAGRAMS_DIR", "render_all", "svg_structure", "main"]

DIAGRAMS_DIR = Path(__file__).resolve().parents[2] / "diagrams"


def render_all(folder: Path = DIAGRAMS_DIR, png: bool = False) -> list[Path]:
    """Render each ``*.dot`` in ``folder`` to ``.svg`` (and ``.png``); return the files written."""
    written = []
    for dot in sorted(Path(folder).glob("*.dot")):
        svg = render_dot(dot.read_text(encoding="utf-8"))
        out = dot.with_suffix(".svg")
        out.write_bytes(svg)
        written.append(out)
        if png:
            out = dot.with_suffix(".png")
            out.write_bytes(svg_to_png(svg))
            written.append(out)
    return written


def svg_structure(svg: str) -> tuple[frozenset[str], frozenset[str]]:
    """What a Graphviz SVG shows, independent of layout: the node/edge/cluster titles and the text lines.

    Two renderers (system ``dot``, WebAssembly Graphviz) place things differently, but draw the same structure.
    """
    import html

    titles = frozenset(html.unescape(t) for t in re.findall(r"<title>(.*?)</title>", svg))
    texts = frozenset(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg))
    return titles, texts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m awslab.topology.diagrams", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", nargs="?", default=str(DIAGRAMS_DIR), help="the folder of .dot files (default: the repository's diagrams/)")
    p.add_argument("--png", action="store_true", help="write a PNG beside each SVG too")
    args = p.parse_args(argv)
    if not Path(args.folder).is_dir():
        print(f"no such folder: {args.folder}", file=sys.stderr)
        return 2
    for path in render_all(Path(args.folder), args.png):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
