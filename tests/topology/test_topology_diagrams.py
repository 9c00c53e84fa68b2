"""diagrams/: every seed figure has a DOT source that renders, and its committed SVG is up to date."""
import pytest

from awslab.topology.diagrams import DIAGRAMS_DIR, main, render_all, svg_structure
from awslab.topology.engine import render_dot

#: The seed's figures the issue lists, by file. architecture.svg is the name the README uses.
FIGURES = ["architecture", "three-tier-subnets", "multi-az", "scenario-normal", "scenario-surge", "scenario-failure",
           "data-flows", "cloudwatch-autoscaling", "bastion-ssh-agent", "access-paths", "course-map"]


def test_every_seed_figure_has_a_source_and_a_rendering():
    assert sorted(p.stem for p in DIAGRAMS_DIR.glob("*.dot")) == sorted(FIGURES)
    assert sorted(p.stem for p in DIAGRAMS_DIR.glob("*.svg")) == sorted(FIGURES)


@pytest.mark.parametrize("name", FIGURES)
def test_committed_svg_matches_its_source(name):
    fresh = render_dot((DIAGRAMS_DIR / f"{name}.dot").read_text(encoding="utf-8")).decode()
    committed = (DIAGRAMS_DIR / f"{name}.svg").read_text(encoding="utf-8")
    titles, texts = svg_structure(fresh)
    assert len(titles) > 5 and texts
    assert svg_structure(committed) == (titles, texts), f"diagrams/{name}.svg is stale: run python -m awslab.topology.diagrams"


def test_regeneration_command_writes_svg_and_png(tmp_path):
    (tmp_path / "one.dot").write_text('digraph { a -> b [label="x"] }')
    assert main([str(tmp_path), "--png"]) == 0
    assert (tmp_path / "one.svg").read_bytes().startswith(b"<?xml") and (tmp_path / "one.png").read_bytes()[:4] == b"\x89PNG"
    titles, texts = svg_structure((tmp_path / "one.svg").read_text())
    assert {"a", "b", "a->b"} <= titles and texts == {"a", "b", "x"}
    assert render_all(tmp_path / "missing") == [] and main([str(tmp_path / "missing")]) == 2
