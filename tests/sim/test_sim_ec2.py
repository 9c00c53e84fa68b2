"""EC2 lifecycle in simulated time, as DescribeInstances/DescribeInstanceStatus show it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from awslab.cloud.moto_ext.ec2 import STATUS_CHECK_INITIALIZING_S
from awslab.sim.ec2 import APP_START_S, PENDING_TO_RUNNING_S, SHUTTING_DOWN_TO_TERMINATED_S, STOPPING_TO_STOPPED_S, TERMINATED_VISIBLE_S


def _describe(w, iid):
    return w.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def test_launch_stop_start_terminate_follow_the_simulated_clock(world):
    """pending -> running within PENDING_TO_RUNNING_S (§7: 5-17 s), app up within APP_START_S
    after that; stop/terminate pass through stopping/shutting-down, stamped in simulated time;
    a terminated instance stays visible about an hour, then disappears."""
    w = world
    w.network()
    iid = w.run_instance()
    d = _describe(w, iid)
    assert d["State"] == {"Code": 0, "Name": "pending"}
    assert d["LaunchTime"] == datetime.fromtimestamp(w.now, tz=timezone.utc)
    w.advance(PENDING_TO_RUNNING_S[0] - 0.5)
    assert _describe(w, iid)["State"]["Name"] == "pending"
    w.advance(PENDING_TO_RUNNING_S[1] - PENDING_TO_RUNNING_S[0] + 1)
    assert _describe(w, iid)["State"] == {"Code": 16, "Name": "running"}
    status = w.ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"][0]
    assert status["InstanceStatus"]["Status"] == "initializing"
    w.advance(APP_START_S[1])
    assert w.sim.ec2.is_app_up(iid)
    w.advance(STATUS_CHECK_INITIALIZING_S)
    assert w.ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"][0]["InstanceStatus"]["Status"] == "ok"

    stamp = w.sim.now_datetime().strftime("%Y-%m-%d %H:%M:%S")
    w.ec2.stop_instances(InstanceIds=[iid])
    d = _describe(w, iid)
    assert d["State"]["Name"] == "stopping" and not w.sim.ec2.is_app_up(iid)
    assert d["StateTransitionReason"] == f"User initiated ({stamp} GMT)"
    assert d["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    w.advance(STOPPING_TO_STOPPED_S[1])
    assert _describe(w, iid)["State"] == {"Code": 80, "Name": "stopped"}
    assert w.ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"] == []

    w.ec2.start_instances(InstanceIds=[iid])
    assert _describe(w, iid)["State"]["Name"] == "pending"
    w.advance(PENDING_TO_RUNNING_S[1])
    assert _describe(w, iid)["State"]["Name"] == "running"

    w.ec2.terminate_instances(InstanceIds=[iid])
    assert _describe(w, iid)["State"] == {"Code": 32, "Name": "shutting-down"}
    w.advance(SHUTTING_DOWN_TO_TERMINATED_S[1])
    assert _describe(w, iid)["State"] == {"Code": 48, "Name": "terminated"}
    w.advance(TERMINATED_VISIBLE_S - SHUTTING_DOWN_TO_TERMINATED_S[1] - 60)
    assert _describe(w, iid)["State"]["Name"] == "terminated"
    w.advance(SHUTTING_DOWN_TO_TERMINATED_S[1] + 120)
    with pytest.raises(ClientError) as e:
        w.ec2.describe_instances(InstanceIds=[iid])
    assert e.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"
    states = [e.details["state"] for e in w.events("state_changed", resource=iid)]
    assert states == ["pending", "running", "stopping", "stopped", "pending", "running", "shutting-down", "terminated"]


def test_faults_are_validated_recorded_and_cleared(world):
    w = world
    w.network()
    iid = w.run_instance()
    w.advance(PENDING_TO_RUNNING_S[1] + APP_START_S[1])
    seen = []
    w.sim.on("app_down", lambda instance_id: seen.append(("down", instance_id)))
    w.sim.on("app_up", lambda instance_id: seen.append(("up", instance_id)))
    with pytest.raises(ValueError, match="not one of crash, unhealthy, hang, cpu_burn, slow"):
        w.sim.ec2.inject_fault(iid, "meltdown")
    with pytest.raises(ValueError, match="percent must be 0-100"):
        w.sim.ec2.inject_fault(iid, "cpu_burn", percent=150)
    with pytest.raises(KeyError):
        w.sim.ec2.inject_fault("i-00000000000000000", "crash")
    assert w.sim.ec2.inject_fault(iid, "cpu_burn", percent=90)["percent"] == 90
    assert w.sim.ec2.is_app_up(iid)  # a busy CPU still answers
    w.sim.ec2.inject_fault(iid, "crash")
    assert w.sim.ec2.fault_of(iid)["kind"] == "crash" and not w.sim.ec2.is_app_up(iid)
    w.sim.ec2.clear_fault(iid)
    assert w.sim.ec2.fault_of(iid) is None and w.sim.ec2.is_app_up(iid)
    assert seen == [("down", iid), ("up", iid)]
    assert [e.event for e in w.events(component="fault")] == ["fault_injected", "fault_injected", "fault_cleared"]
