"""Issue 12 §4: the topology is legible at a notebook's width, measured in a real browser.

The whole stack (every layer's builder, in the embedded cloud) is drawn as a notebook shows it, put in a page
900 px wide (JupyterLab's cell width on a laptop), and Chromium reports how tall every label of the SVG is
rendered (getBoundingClientRect). At 100 % zoom each must be at least 11 px, for the full picture and for every
focus. Debian's Chromium is driven through Playwright's executable_path: nothing is downloaded.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from awslab.errors import ValidationError
from awslab.topology import FOCUSES

CHROMIUM = os.environ.get("AWSLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
#: JupyterLab's notebook content width on a 1,280 px laptop screen, less the prompt column.
NOTEBOOK_WIDTH = 900
MIN_PX = 11

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

#: Height of every label in the drawing, and the drawing's width, as the browser lays them out.
MEASURE = """() => {
  const svg = document.querySelector('.awslab-topology svg');
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim());
  return {svg: svg.getBoundingClientRect().width, view: document.querySelector('.awslab-topology-view').clientWidth,
          texts: texts.map(t => [t.textContent, t.getBoundingClientRect().height])};
}"""


@pytest.fixture(scope="module")
def page():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)")
    playwright = pytest.importorskip("playwright.sync_api",
                                     reason="playwright is not installed (pip install -e '.[test]')")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": NOTEBOOK_WIDTH + 40, "height": 900})
        browser.close()


@pytest.fixture(scope="module")
def full_stack(cloud_url):
    """Every layer, network to edge, built the way a lab builds it."""
    import uuid

    from awslab import Lab
    from awslab.layers.stack import build_stack

    from awslab.layers.waits import Wait, pace_of, wait_for

    lab = Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    stack = build_stack(lab)
    # The group's instances join the target group when they are running, some simulated seconds after the build
    # returns; the focus tests draw the arrows to them, so wait until every one is a healthy target.
    asg, elb = lab.client("autoscaling"), lab.client("elbv2")
    tg_arn = stack.loadbalancing.target_group_arn

    def every_instance_is_a_healthy_target() -> bool:
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[stack.autoscaling.name])["AutoScalingGroups"][0]
        members = {i["InstanceId"] for i in group["Instances"]}
        found = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        healthy = {d["Target"]["Id"] for d in found if d["TargetHealth"]["State"] == "healthy"}
        return len(members) >= group["DesiredCapacity"] > 0 and members <= healthy

    wait_for(Wait("the group's instances to be healthy targets", every_instance_is_a_healthy_target, "", 5.0, 300.0),
             pace_of(lab))
    return lab


def show(page, html: str) -> dict:
    """Put one cell's HTML output in a page column the notebook's width; what the browser measured."""
    page.set_content(f"<body style='margin:20px'><div style='width:{NOTEBOOK_WIDTH}px'>{html}</div></body>")
    return page.evaluate(MEASURE)


def small(measured: dict) -> list[tuple[str, float]]:
    return [(text, round(h, 1)) for text, h in measured["texts"] if h < MIN_PX]


@pytest.mark.parametrize("focus", [None, *FOCUSES])
def test_every_label_is_at_least_11_px_at_a_notebooks_width(full_stack, page, focus):
    shown = full_stack.topology(focus=focus)._repr_html_()
    measured = show(page, shown)
    assert len(measured["texts"]) > 40, "the full stack has dozens of labels"
    assert measured["view"] <= NOTEBOOK_WIDTH, "the box stays in the cell"
    assert not small(measured), f"labels under {MIN_PX} px at 100 % zoom: {small(measured)[:5]}"
    assert measured["svg"] > measured["view"], "the picture keeps its size and pans (it is wider than a cell)"


def test_zoom_buttons_and_ctrl_wheel_zoom_the_picture_not_the_page(full_stack, page):
    measured = show(page, full_stack.topology(focus="loadbalancing")._repr_html_())
    natural = measured["svg"]
    page.click("button[data-f='1.25']")
    assert page.evaluate(MEASURE)["svg"] == pytest.approx(natural * 1.25, rel=0.01)
    assert page.inner_text(".awslab-zoom") == "125 %"
    page.click("button[data-f='fit']")
    fit = page.evaluate(MEASURE)
    assert fit["svg"] == pytest.approx(fit["view"], abs=1), "fit shows the whole width in the box"
    page.click("button[data-f='1']")
    assert page.evaluate(MEASURE)["svg"] == pytest.approx(natural, rel=0.001)
    box = page.locator(".awslab-topology-view").bounding_box()
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.keyboard.down("Control")
    page.mouse.wheel(0, 100)  # ctrl + wheel down: zoom out
    page.keyboard.up("Control")
    width = "document.querySelector('.awslab-topology svg').getBoundingClientRect().width"
    page.wait_for_function(f"{width} < {natural - 1}")
    assert page.evaluate(MEASURE)["svg"] == pytest.approx(natural / 1.2, rel=0.01)


@pytest.mark.parametrize("focus, box", [("loadbalancing", "Target group "), ("database", "RDS "),
                                        ("autoscaling", "Auto Scaling group ")])
def test_a_focused_view_opens_on_its_layer(full_stack, page, focus, box):
    """The picture is wider than the cell: the focused layer's boxes are what the student sees first."""
    show(page, full_stack.topology(focus=focus)._repr_html_())
    seen = page.evaluate("""(box) => {
      const v = document.querySelector('.awslab-topology-view').getBoundingClientRect();
      const t = [...document.querySelectorAll('.awslab-topology svg text')].find(t => t.textContent.startsWith(box));
      const r = t.getBoundingClientRect();
      return r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
    }""", box)
    assert seen, f"{box!r} is scrolled into the view"


@pytest.mark.parametrize("focus, full, grey", [
    ("loadbalancing", {"alb", "target_group", "instance"}, {"dns", "asg", "alarm", "policy", "db", "bastion", "igw"}),
    ("network", {"igw", "nat"}, {"alb", "dns", "asg", "db", "instance"}),
    ("database", {"db", "instance"}, {"alb", "dns", "asg", "igw"}),
    ("edge", {"user", "dns", "cdn", "bucket", "alb"}, {"asg", "db", "instance", "igw"}),
])
def test_focus_draws_its_layer_in_colour_and_the_rest_in_grey(full_stack, focus, full, grey):
    from awslab.topology.render import DIMMED, dot_id

    t = full_stack.topology(focus=focus)
    kinds = {n.kind for n in t.graph.nodes.values()}
    assert full | grey <= kinds, "the full stack draws every kind"
    assert {n.kind for n in t.graph.nodes.values() if not n.dimmed and n.kind != "anchor"} == full
    assert focus in t.graph.title
    dot = t.dot()
    for n in t.graph.nodes.values():
        if n.kind != "anchor":
            at = re.search(rf'^\t*"?{re.escape(dot_id(n.id))}"? \[', dot, re.M).start()
            statement = dot[at:dot.index("]\n", at)]
            assert (DIMMED["fontcolor"] in statement) == n.dimmed, statement


def test_a_bad_focus_names_the_layers_and_makes_no_call(lab):
    with pytest.raises(ValidationError) as e:
        lab.topology(focus="vpc")
    assert "network" in str(e.value) and "loadbalancing" in str(e.value) and "focus" in str(e.value)
