"""Rendering: DOT structure, one smoke test per format, and the layout rules a teacher relies on."""
import re
import xml.etree.ElementTree as ET

import pytest

from awslab.topology import Topology
from awslab.topology.engine import RenderError, render_dot, svg_to_png
from awslab.topology.model import LAYERS, build_model
from awslab.topology.render import STATE_STYLE, dot_id, render, to_dot

from .sample import ALB_ARN, sample_snapshot

SVG = "{http://www.w3.org/2000/svg}"


def cluster_boxes(svg: bytes) -> dict[str, tuple[float, float, float, float]]:
    """cluster title -> (min x, min y, max x, max y) from Graphviz's SVG (y grows downwards)."""
    out = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") != "cluster":
            continue
        title = g.find(f"{SVG}title").text
        shape = g.find(f"{SVG}polygon") if g.find(f"{SVG}polygon") is not None else g.find(f"{SVG}path")
        nums = [float(v) for v in re.findall(r"-?\d+\.?\d*", shape.get("points") or shape.get("d"))]
        xs, ys = nums[0::2], nums[1::2]
        out[title] = (min(xs), min(ys), max(xs), max(ys))
    return out


def test_render_svg_has_every_node_and_cluster():
    g = build_model(sample_snapshot(), layers=LAYERS)
    svg = render(g, "svg")
    root = ET.fromstring(svg)
    titles = {t.text for t in root.iter(f"{SVG}title")}
    assert {dot_id(n) for n in g.nodes if not n.startswith("anchor_")} <= titles
    assert {c for c in g.clusters} | {"cluster_legend"} <= titles


def test_render_png_smoke():
    png = render(build_model(sample_snapshot()), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


@pytest.mark.parametrize("layers", [("traffic",), ("traffic", "control"), LAYERS])
@pytest.mark.parametrize("states", [("healthy",) * 4, ("unhealthy", "initial", "healthy", "draining")])
def test_render_layout_public_above_private_and_azs_side_by_side(layers, states):
    boxes = cluster_boxes(render(build_model(sample_snapshot(states), layers), "svg"))
    for z in "ac":
        pub, app, db = boxes[f"cluster_subnet-pub{z}"], boxes[f"cluster_subnet-app{z}"], boxes[f"cluster_subnet-db{z}"]
        assert pub[3] <= app[1] and app[3] <= db[1], f"AZ {z}: public above app above db"
    a, c = boxes["cluster_vpc-1_ap-northeast-2a"], boxes["cluster_vpc-1_ap-northeast-2c"]
    assert a[2] <= c[0], "AZs side by side, in order (a left of c), not overlapping"
    assert abs(boxes["cluster_subnet-appa"][1] - boxes["cluster_subnet-appc"][1]) < 1, "app tiers level across AZs"
    assert boxes["cluster_legend"][1] >= boxes["cluster_region"][3], "legend below the region"


def test_render_dot_uses_state_styles_and_ranks():
    dot = to_dot(build_model(sample_snapshot(states=("healthy", "initial", "unhealthy", "draining"))))
    for state in ("healthy", "initial", "unhealthy", "draining"):
        assert STATE_STYLE[state][0] in dot
    assert "rank=same" in dot and "compound=true" in dot and "newrank=true" in dot
    assert '"legend_unused"' in dot or "legend_unused" in dot
    assert ":" not in dot_id(ALB_ARN) and dot_id(ALB_ARN).startswith("loadbalancer/app/lab-alb")


def test_render_is_deterministic():
    assert to_dot(build_model(sample_snapshot())) == to_dot(build_model(sample_snapshot()))
    assert render(build_model(sample_snapshot())) == render(build_model(sample_snapshot()))


def test_render_errors_teach():
    with pytest.raises(RenderError) as e:
        render_dot("digraph { a -> }")
    assert "How to fix" in str(e.value)
    with pytest.raises(RenderError):
        render_dot("digraph { a }", format="gif")


def test_png_conversion_caps_width_for_speed():
    svg = render_dot('digraph { a [label="wide" width=60] }')
    png = svg_to_png(svg)
    width = int.from_bytes(png[16:20], "big")
    assert 1000 < width <= 2400


def test_topology_object_saves_by_extension(tmp_path):
    snap = sample_snapshot()
    topo = Topology(snap, build_model(snap))
    assert topo.save(tmp_path / "t.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert topo.save(tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    assert "digraph" in topo.save(tmp_path / "t.dot").read_text()
    assert "<svg" in topo._repr_svg_() and "max-width:100%" in topo._repr_html_()
    with pytest.raises(Exception) as e:
        topo.save(tmp_path / "t.jpg")
    assert "svg" in str(e.value)


def test_system_dot_is_preferred_when_on_the_path(tmp_path, monkeypatch):
    """With Graphviz installed, `dot -Tsvg` / `dot -Tpng` do the work (a stand-in `dot` records its calls here)."""
    import os
    import sys

    from awslab.topology.engine import engine_name

    log = tmp_path / "calls.txt"
    fake = tmp_path / "dot"
    fake.write_text(f"""#!{sys.executable}
import sys
from awslab.topology.engine import _wasm, svg_to_png  # the cached WebAssembly Graphviz stands in for dot
open({str(log)!r}, "a").write(" ".join(sys.argv[1:]) + "\\n")
try:
    svg = _wasm(sys.stdin.read())
except Exception as e:
    sys.exit(str(e))
sys.stdout.buffer.write(svg if sys.argv[1] == "-Tsvg" else svg_to_png(svg))
""")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert engine_name() == "dot"
    assert render_dot("digraph { a -> b }").startswith(b"<?xml")
    assert render_dot("digraph { a -> b }", "png")[:4] == b"\x89PNG"
    assert log.read_text().split() == ["-Tsvg", "-Tpng"]
    with pytest.raises(RenderError):
        render_dot("digraph { a -> }")


def node_centres(svg: bytes) -> dict[str, tuple[float, float]]:
    """node title -> (x, y) of its label, from Graphviz's SVG."""
    out = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") == "node":
            text = next(g.iter(f"{SVG}text"), None)  # nodes with a tooltip nest it in a link
            if text is not None:
                out[g.find(f"{SVG}title").text] = (float(text.get("x")), float(text.get("y")))
    return out


def test_render_five_alarms_wrap_two_a_row_beside_the_vpc():
    """A full lab has five alarms; side by side they made the picture twice as wide as tall."""
    from awslab.topology.records import Alarm, ScalingPolicy

    snap = sample_snapshot()
    asg = snap.auto_scaling_groups[0].name
    for i in range(3):
        arn = f"arn:aws:autoscaling:ap-northeast-2:123456789012:scalingPolicy:p{i}"
        snap.policies.append(ScalingPolicy(f"step-{i}", asg, "StepScaling", arn, "1 step", [f"step-alarm-{i}"]))
        snap.alarms.append(Alarm(f"step-alarm-{i}", "OK", "CPUUtilization", ">= 60", [arn]))
    g = build_model(snap, ("traffic", "control"))
    svg = render(g, "svg")
    alarms = [xy for name, xy in node_centres(svg).items() if name.startswith(dot_id("alarm:"))]
    assert len(alarms) == 5
    rows: dict[float, int] = {}
    for _, y in alarms:
        rows[round(y)] = rows.get(round(y), 0) + 1
    assert max(rows.values()) <= 2 and len(rows) >= 3, f"two alarms a row at most: {rows}"
    boxes = cluster_boxes(svg)
    vpc, control = boxes["cluster_vpc-1"], boxes["cluster_control"]
    assert control[1] < vpc[3] and vpc[1] < control[3], "the control loop sits beside the VPC, not above it"
