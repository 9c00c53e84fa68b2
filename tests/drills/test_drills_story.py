"""The story: timeline events become AWS's own words, filtered to the drill's resources (a pure function)."""
from awslab.drills.story import short_name, tell

TG = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/web-tg/0123456789abcdef"
ALARM = "TargetTracking-web-asg-AlarmHigh-8c0bdc98-b2e0-4bf0-a8d1-19375f77dd21"


def ev(t, component, resource, event, **details):
    return {"time": 1000.0 + t, "iso": f"t+{t}", "component": component, "resource": resource, "event": event, "details": details}


def test_the_story_keeps_the_drills_resources_and_words_them_as_aws_does():
    events = [
        ev(-5, "elb", "i-victim", "target_health_changed", target_group_arn=TG, previous="initial", state="healthy"),  # before
        ev(0, "fault", "i-victim", "fault_injected", kind="crash"),
        ev(60, "elb", "i-victim", "target_health_changed", target_group_arn=TG, previous="healthy", state="unhealthy",
           reason="Target.FailedHealthChecks", description="Health checks failed"),
        ev(61, "elb", "i-other", "target_health_changed", target_group_arn="arn:other", previous="healthy", state="unhealthy"),
        ev(90, "autoscaling", "i-new", "lifecycle_changed", group_name="web-asg", lifecycle_state="Pending"),
        ev(95, "ec2", "i-new", "state_changed", previous="pending", state="running"),
        ev(96, "ec2", "i-stranger", "state_changed", previous="pending", state="running"),
        ev(120, "cloudwatch", ALARM, "alarm_state_changed", previous="OK", state="ALARM", reason="Threshold Crossed"),
        ev(121, "cloudwatch", "someone-elses-alarm", "alarm_state_changed", previous="OK", state="ALARM"),
        ev(130, "dataplane", TG, "load_changed", shape="users", start=100, end=1000),
    ]
    story = tell(events, 1000.0, {"i-victim"}, "web-asg", {TG}, {ALARM})
    said = [(line.offset, line.actor, line.resource, line.text) for line in story]
    assert said == [
        ("+0:00:00", "fault", "i-victim", "the web app is broken: crash"),
        ("+0:01:00", "ELB", "i-victim", "healthy -> unhealthy (Target.FailedHealthChecks)"),
        ("+0:01:30", "Auto Scaling", "i-new", "lifecycle -> Pending"),
        ("+0:01:35", "EC2", "i-new", "pending -> running"),  # the group's new instance joins the story
        ("+0:02:00", "CloudWatch", "TargetTracking-web-asg-AlarmHigh", "alarm OK -> ALARM"),
        ("+0:02:10", "data plane", "web-tg/0123456789abcdef", "traffic changes: users (start=100, end=1000)"),
    ]
    assert story.first("-> unhealthy").detail == "Health checks failed"
    assert str(story).splitlines()[1].startswith("+0:01:00  ELB")


def test_short_names():
    assert short_name(TG) == "web-tg/0123456789abcdef"
    assert short_name(ALARM) == "TargetTracking-web-asg-AlarmHigh"
    assert short_name("i-0abc") == "i-0abc"
