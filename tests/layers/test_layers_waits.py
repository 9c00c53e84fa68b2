"""Waiting for what AWS finishes in the background: AWS's own waiters, bounded, at the backend's pace."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from awslab.errors import AwslabError
from awslab.layers.waits import SIM_CHECK_S, Pace, Wait, WaitTimeout, pace_of, wait_for, waiter
from tests.conftest import clock


class FakeClock:
    """Stands in for the cloud's control API: records how far a wait advanced the simulated clock."""

    def __init__(self):
        self.advanced = 0.0

    def advance(self, seconds: float) -> float:
        self.advanced += seconds
        return self.advanced


def test_on_a_clock_that_moves_only_when_told_a_wait_advances_it_step_by_step_until_done():
    clock = FakeClock()
    pace = Pace(simulated=True, fast_forward=True, sim=clock)
    waited, advanced = wait_for(Wait("a thing", lambda: clock.advanced >= 10, "fix it"), pace)
    assert advanced == clock.advanced == pytest.approx(10)  # checked every SIM_CHECK_S simulated seconds
    assert 10 % SIM_CHECK_S == 0 and waited < 5


def test_a_wait_that_reaches_its_bound_says_what_it_waited_for_and_what_to_do():
    clock = FakeClock()
    pace = Pace(simulated=True, fast_forward=True, sim=clock)
    with pytest.raises(WaitTimeout) as e:
        wait_for(Wait("the instances i-1 to be terminated", lambda: False, "Run teardown again.", bound_s=20), pace)
    assert clock.advanced == pytest.approx(20)  # bounded in simulated time, as AWS's waiter is in real time
    assert isinstance(e.value, AwslabError) and e.value.fix == "Run teardown again."
    assert "Waited 20 simulated seconds for the instances i-1 to be terminated" in str(e.value)
    assert "(the bound is 20 s)" in str(e.value)


def test_in_real_time_the_bound_is_wall_time():
    t0 = time.monotonic()
    with pytest.raises(WaitTimeout):
        wait_for(Wait("nothing", lambda: False, "fix", delay_s=0.05, bound_s=0.3), Pace())
    assert 0.3 <= time.monotonic() - t0 < 3


def test_the_pace_of_each_backend(lab, cloud_url):
    assert pace_of(SimpleNamespace(backend="aws")) == Pace()  # real time: AWS's own delays and bounds
    with clock(cloud_url, mode="realtime", speed=20, paused=False):
        pace = pace_of(lab)
        assert (pace.speed, pace.simulated, pace.fast_forward) == (20.0, True, False)
        assert pace.wall_bound(600) == pytest.approx(600 / 20 + 30)  # 30 s of slack for a busy machine
    with clock(cloud_url, mode="virtual"):
        assert pace_of(lab).fast_forward
    with clock(cloud_url, mode="realtime", paused=True):
        assert pace_of(lab).fast_forward  # a paused clock moves only when told, too


def test_aws_waiter_instance_terminated_through_the_simulated_clock(lab, cloud_url):
    ec2 = lab.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    with clock(cloud_url, mode="virtual"):  # the instance stays pending until the clock is moved
        iid = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
        w = waiter(ec2, "instance_terminated", "the instance to be terminated", "fix", InstanceIds=[iid])
        assert (w.delay_s, w.bound_s) == (15, 600)  # the AWS CLI's: every 15 s, 40 times
        with pytest.raises(WaitTimeout) as e:  # pending: the waiter's failure state, so no point waiting
            wait_for(w, pace_of(lab))
        assert "instance_terminated stopped waiting" in str(e.value)
        ec2.terminate_instances(InstanceIds=[iid])
        _, advanced = wait_for(w, pace_of(lab))
    assert 15 <= advanced <= 40 + SIM_CHECK_S  # shutting-down -> terminated takes 15-40 simulated seconds
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
