"""The timeline rolls: bounded memory, and it says how much it rolled past (issue 11 §8)."""
from awslab.sim.timeline import MAX_EVENTS, Timeline


def test_timeline_rolls_past_its_oldest_events_and_counts_them():
    now = [0.0]
    tl = Timeline(lambda: now[0], maxlen=3)
    for k in range(5):
        now[0] = float(k)
        tl.record("ec2", f"i-{k}", "state_changed")
    assert [e.resource for e in tl.query()] == ["i-2", "i-3", "i-4"] and tl.dropped == 2
    tl.clear()
    assert len(tl) == 0 and tl.dropped == 0


def test_default_cap_keeps_a_day_of_the_full_stack_in_a_few_megabytes():
    assert 5_000 <= MAX_EVENTS <= 20_000  # 24 simulated hours with faults every 10 min write ~3,000
