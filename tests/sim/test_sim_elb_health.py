"""Target health state machine details: reason codes, thresholds, per-group settings."""
from __future__ import annotations

from awslab.sim.ec2 import APP_START_S, PENDING_TO_RUNNING_S, STOPPING_TO_STOPPED_S
from awslab.sim.elb_health import REGISTRATION_S
from awslab.sim.health_probe import matcher_accepts


def _registered(w, tg, n=1):
    ids = [w.run_instance() for _ in range(n)]
    w.advance(PENDING_TO_RUNNING_S[1])
    w.elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in ids])
    w.advance(APP_START_S[1] + REGISTRATION_S + 35)
    return ids


def test_recovery_needs_healthy_threshold_successes_and_settings_are_read_each_check(world):
    """Unhealthy -> healthy needs HealthyThresholdCount (3) consecutive passes: the first pass
    comes within one interval of the fix, so healthy in (t+2*30, t+3*30]. Then
    modify-target-group (interval 10, unhealthy 2) applies from the next check: a crash is
    detected within (t+10, t+30+...]."""
    w = world
    w.network()
    tg = w.target_group(healthy=3, unhealthy=2)
    (iid,) = _registered(w, tg)
    assert w.health(tg)[iid][0] == "healthy"
    w.sim.ec2.inject_fault(iid, "unhealthy")
    w.run_until(lambda: w.state(tg, iid) == "unhealthy", limit=70)
    t_fix = w.now
    w.sim.ec2.clear_fault(iid)
    w.run_until(lambda: w.state(tg, iid) == "healthy", limit=100)
    assert t_fix + 2 * 30 < w.first("target_health_changed", since=t_fix, resource=iid, state="healthy") <= t_fix + 3 * 30

    w.elbv2.modify_target_group(TargetGroupArn=tg, HealthCheckIntervalSeconds=10, UnhealthyThresholdCount=2)
    w.advance(30)  # the old 30 s wait runs out, then checks come every 10 s
    t0 = w.now
    w.sim.ec2.inject_fault(iid, "crash")
    w.run_until(lambda: w.state(tg, iid) == "unhealthy", limit=40)
    assert t0 + 10 < w.first("target_health_changed", since=t0, resource=iid, state="unhealthy") <= t0 + 20
    assert w.health(tg)[iid][1:] == ("Target.FailedHealthChecks", "Health checks failed")


def test_path_matcher_slow_answers_and_stopped_targets(world):
    """A wrong path answers 404 (ResponseCodeMismatch [404]) until the matcher accepts it; an
    answer slower than the timeout is Target.Timeout; a stopped instance is unused at once and
    goes back to initial when it runs again."""
    w = world
    w.network()
    tg = w.target_group(path="/nope", unhealthy=2)
    ok_tg = w.target_group(name="ok-tg", unhealthy=2)
    a, b = _registered(w, tg, 2)
    w.elbv2.register_targets(TargetGroupArn=ok_tg, Targets=[{"Id": a}, {"Id": b}])
    w.advance(2 * 30 + 10)
    assert w.health(tg)[a] == ("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]")
    w.elbv2.modify_target_group(TargetGroupArn=tg, Matcher={"HttpCode": "200-499"})
    w.advance(2 * 30 + 5)
    assert w.health(tg)[a][0] == "healthy"

    w.sim.ec2.inject_fault(a, "slow", delay_ms=6000)  # timeout is 5 s
    w.sim.ec2.inject_fault(b, "slow", delay_ms=200)
    w.advance(3 * 30)
    assert w.health(ok_tg)[a] == ("unhealthy", "Target.Timeout", "Request timed out")
    assert w.health(ok_tg)[b][0] == "healthy"

    w.ec2.stop_instances(InstanceIds=[b])
    assert w.health(ok_tg)[b] == ("unused", "Target.InvalidState", "Target is in the stopped state")
    assert [t.instance_id for t in w.sim.elb.routable_targets(ok_tg)] == [a]  # only unhealthy left: fail-open to it
    w.advance(STOPPING_TO_STOPPED_S[1])
    w.ec2.start_instances(InstanceIds=[b])
    w.advance(PENDING_TO_RUNNING_S[1])
    assert w.health(ok_tg)[b][:2] == ("initial", "Elb.InitialHealthChecking")
    w.advance(APP_START_S[1] + 31)
    assert w.health(ok_tg)[b][0] == "healthy"

    w.elbv2.modify_target_group(TargetGroupArn=ok_tg, HealthCheckPort="8080")  # nothing listens there
    w.advance(2 * 30 + 1)
    assert w.health(ok_tg)[b][:2] == ("unhealthy", "Target.FailedHealthChecks")

    unknown = w.elbv2.describe_target_health(TargetGroupArn=ok_tg, Targets=[{"Id": "i-0123456789abcdef0"}])
    th = unknown["TargetHealthDescriptions"][0]["TargetHealth"]
    assert (th["State"], th["Reason"]) == ("unused", "Target.NotRegistered")


def test_matcher_syntax():
    assert matcher_accepts({"HttpCode": "200"}, 200) and not matcher_accepts({"HttpCode": "200"}, 204)
    assert matcher_accepts({"HttpCode": "200,202"}, 202)
    assert matcher_accepts({"HttpCode": "200-299"}, 204) and not matcher_accepts({"HttpCode": "200-299"}, 301)
    assert matcher_accepts(None, 200)


def test_a_listener_created_right_after_the_registration_still_starts_the_checks(world):
    """Registered while unused, then a listener in the same instant (before the simulator runs a step): the target
    must not stay unused. The data plane's tests register before they create the ALB, as many scripts do."""
    w = world
    w.network()
    tg = w.target_group(name="quick-tg", behind_alb=False)
    iid = w.run_instance()
    w.advance(PENDING_TO_RUNNING_S[1] + APP_START_S[1])
    w.elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
    assert w.health(tg)[iid][:2] == ("unused", "Target.NotInUse")
    t0 = w.now
    w.listener(tg, "quick")  # no simulated time passes between the two calls
    w.run_until(lambda: w.state(tg, iid) == "healthy", limit=120)
    assert w.first("target_health_changed", since=t0, resource=iid, state="healthy") <= t0 + REGISTRATION_S + 5


def test_a_group_no_load_balancer_uses_is_not_checked_until_a_listener_forwards_to_it(world):
    """AWS: targets of a group no listener forwards to are unused / Target.NotInUse, and nothing checks them.
    Once a listener forwards to the group they start over as new targets: initial, then healthy after ONE pass
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html)."""
    from awslab.sim.elb_health import IN_USE_POLL_S

    w = world
    w.network()
    tg = w.target_group(name="lonely-tg", behind_alb=False)
    iid = w.run_instance()
    w.advance(PENDING_TO_RUNNING_S[1] + APP_START_S[1])
    w.elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
    assert w.health(tg)[iid][:2] == ("unused", "Target.NotInUse"), "at once: there is no registration to wait for"
    w.advance(REGISTRATION_S + 3 * 30)
    assert w.health(tg)[iid] == ("unused", "Target.NotInUse",
                                 "Target group is not configured to receive traffic from the load balancer")
    assert w.sim.elb.health(tg, iid).checks == 0  # nobody sent a single health check
    t0 = w.now
    listener = w.listener(tg, "late")
    w.run_until(lambda: w.state(tg, iid) == "healthy", limit=120)
    became_healthy = w.first("target_health_changed", since=t0, resource=iid, state="healthy")
    assert became_healthy <= t0 + IN_USE_POLL_S + REGISTRATION_S + 5  # noticed, registered, one passing check
    assert w.sim.elb.health(tg, iid).checks == 1

    w.elbv2.delete_listener(ListenerArn=listener)  # the group is unused again: checks stop
    w.run_until(lambda: w.state(tg, iid) == "unused", limit=60)
    assert w.health(tg)[iid][1] == "Target.NotInUse"
