"""The live widget: the pure render(state) function and change detection (not timing)."""
import threading

from awslab.topology.widget import LiveTopology, TopologyState, render_state

from .sample import sample_snapshot

APP0 = "i-0aaa000000000001"


class Source:
    """A snapshot source the test can change between refreshes, counting calls."""

    def __init__(self):
        self.states = ("healthy",) * 4
        self.calls = 0
        self.called = threading.Event()

    def __call__(self):
        self.calls += 1
        self.called.set()
        return sample_snapshot(self.states)


def test_render_state_is_pure_and_shows_the_state():
    a = render_state(TopologyState(sample_snapshot(("unhealthy", "healthy", "healthy", "healthy"))))
    b = render_state(TopologyState(sample_snapshot(("unhealthy", "healthy", "healthy", "healthy"))))
    assert a == b and a.startswith("<div") and "<svg" in a and "target: unhealthy" in a
    assert "#ffcdd2" in a, "the unhealthy fill colour"
    c = render_state(TopologyState(sample_snapshot(), traffic={APP0: 42}))
    assert "42 req" in c and "42 req" not in a


def test_refresh_swaps_the_picture_only_when_it_changed():
    src = Source()
    live = LiveTopology(src)
    assert live.refresh() is True and live.frames == 1
    first = live.view.value
    assert "target: healthy" in first
    assert live.refresh() is False and live.view.value is first and live.frames == 1
    src.states = ("draining", "healthy", "healthy", "healthy")
    assert live.refresh() is True and "target: draining" in live.view.value and live.frames == 2
    assert "resources" in live.status.value


def test_refresh_follows_traffic_counters_from_a_callable():
    counts = {APP0: 1}
    live = LiveTopology(Source(), traffic=lambda: counts)
    live.refresh()
    assert "1 req" in live.view.value
    assert live.refresh() is False
    counts[APP0] = 250
    assert live.refresh() is True and "250 req" in live.view.value


def test_start_and_stop_run_the_background_loop():
    src = Source()
    live = LiveTopology(src, interval=0.05)
    live.start()
    assert src.called.wait(10) and live.running
    live.stop()
    assert not live.running
    calls = src.calls
    src.called.clear()
    assert not src.called.wait(0.2) and src.calls == calls, "no refresh after stop()"


def test_a_failing_source_keeps_the_widget_alive():
    def broken():
        raise ConnectionError("cloud restarting")

    live = LiveTopology(broken, interval=0.05)
    live.start()
    for _ in range(200):
        if live.last_error:
            break
        threading.Event().wait(0.02)
    assert live.running and "cloud restarting" in live.last_error and "refresh failed" in live.status.value
    live.stop()


def test_the_picture_keeps_its_natural_size_so_every_label_is_at_least_11_px():
    """Issue 12 §4: shrunk to a notebook's width, the whole architecture's labels were about 5 px tall."""
    import re

    shown = render_state(TopologyState(sample_snapshot()))
    svg_tag = shown[shown.index("<svg"):shown.index(">", shown.index("<svg"))]
    assert "max-width:none" in svg_tag and "max-width:100%" not in svg_tag, "JupyterLab's CSS would shrink it to the cell"
    width_pt = float(re.search(r'width="([\d.]+)pt"', svg_tag).group(1))
    view_width = float(re.search(r'viewBox="[\d.\-]+ [\d.\-]+ ([\d.]+)', svg_tag).group(1))
    px_per_unit = width_pt / view_width * 4 / 3  # drawn at its width in points; a CSS point is 4/3 px
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', shown)]
    assert sizes and min(sizes) * px_per_unit >= 11, f"smallest label {min(sizes) * px_per_unit:.1f} px"
    assert "overflow:auto" in shown[:shown.index("<svg")], "the box scrolls to pan the picture"
