"""build_stack checks every layer's spec before the first create call: a bad value anywhere creates nothing."""
from __future__ import annotations

import pytest

from awslab import ValidationError
from awslab.layers.autoscaling import AutoScalingSpec
from awslab.layers.database import DatabaseSpec
from awslab.layers.edge import EdgeSpec
from awslab.layers.keys import default_key_dir
from awslab.layers.loadbalancing import LoadBalancerSpec
from awslab.layers.scaling import Schedule, ScalingSpec
from awslab.layers.stack import StackSpec, build_stack
from awslab.layers.teardown import find_lab_resources


@pytest.mark.parametrize("spec,field", [
    # before: refused only once the VPC, 6 subnets, 4 groups, the bastion, the key pair, RDS and the template existed (24 resources)
    (StackSpec(loadbalancing=LoadBalancerSpec(health_check_interval_seconds=1)), "health_check_interval_seconds"),
    # before: sent to Auto Scaling as "true", and the cloud answered 500 (26 resources left behind)
    (StackSpec(autoscaling=AutoScalingSpec(min_size=True, desired_capacity=True, max_size=True)), "min_size"),
    (StackSpec(edge=EdgeSpec(bucket_name="My.Site")), "bucket_name"),  # the last layer
    (StackSpec(scaling=ScalingSpec(schedules=[Schedule("x", "0 0 * * *", max_size=1)])), "schedules[0].desired_capacity"),
    (StackSpec(database=DatabaseSpec(wait=False)), "wait"),  # the launch template would need an endpoint that isn't there
    (StackSpec(network={"vpc_cidr": "10.0.0.0/16"}), "network"),
])
def test_a_bad_value_in_any_layer_stops_the_build_before_anything_exists(lab, spec, field):
    with pytest.raises(ValidationError) as e:
        build_stack(lab, spec)
    assert e.value.field == field and "How to fix" in str(e.value)
    assert find_lab_resources(lab) == []
    assert not list(default_key_dir().glob(lab.name + "*"))
    assert lab.cli_log().steps == []
