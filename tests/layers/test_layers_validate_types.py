"""Wrong types get the same ValidationError as bad values: for every field of every layer's spec."""
from __future__ import annotations

import dataclasses
import math
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab import Lab, ValidationError
from awslab.layers import spec_types
from awslab.layers.autoscaling import AutoScalingSpec
from awslab.layers.network import NetworkSpec
from awslab.layers.scaling import Schedule, ScalingSpec, Step
from awslab.layers.stack import LAYERS, StackSpec, check_stack
from probes import SPEC_CLASSES

ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                     st.binary(max_size=4), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(),
                                                                                                  max_size=2),
                     st.builds(object))
FIELDS = [(layer, f.name) for layer in LAYERS for f in dataclasses.fields(SPEC_CLASSES[layer])]


@pytest.mark.parametrize("spec,field", [
    (AutoScalingSpec(min_size=True), "min_size"),           # the cloud answered 500 to this
    (AutoScalingSpec(max_size=6.0), "max_size"),
    (NetworkSpec(vpc_cidr=167772160), "vpc_cidr"),          # an int is an IPv4 address to Python: 10.0.0.0/32
    (NetworkSpec(vpc_cidr=None), "vpc_cidr"),
    (NetworkSpec(public_subnets={"a": "10.0.1.0/24"}), "public_subnets"),
    (NetworkSpec(public_subnets=["10.0.1.0/24", 5]), "public_subnets[1]"),
    (ScalingSpec(target_value=float("nan")), "target_value"),
    (ScalingSpec(step_out=[Step(0, None, 1.5)]), "step_out[0].adjustment"),
    (ScalingSpec(schedules=[Schedule("x", "0 0 * * *", min_size="2")]), "schedules[0].min_size"),
    (ScalingSpec(kinds="step"), "kinds"),
])
def test_a_wrong_type_is_a_validation_error_naming_the_field(spec, field):
    with pytest.raises(ValidationError) as e:
        spec_types.spec(spec, type(spec), "spec")
    assert e.value.field == field and "it must be" in e.value.rule and "How to fix" in str(e.value)


def test_a_dict_in_place_of_a_spec_names_the_layer():
    with pytest.raises(ValidationError) as e:
        spec_types.spec({"vpc_cidr": "10.0.0.0/16"}, NetworkSpec, "network")
    assert e.value.field == "network" and "NetworkSpec" in e.value.rule


@pytest.fixture(scope="module")
def lab(cloud_url):
    return Lab(name="types" + uuid.uuid4().hex[:8], endpoint_url=cloud_url)


@pytest.mark.slow
@pytest.mark.parametrize("layer,field", FIELDS, ids=[f"{layer}.{field}" for layer, field in FIELDS])
def test_any_value_of_any_type_in_any_field_is_checked_or_accepted_never_a_crash(lab, layer, field):
    """check_stack either accepts the value or names the field in a ValidationError; nothing else escapes."""

    @settings(max_examples=8, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(value=ANYTHING)
    def check(value):
        spec = StackSpec(**{layer: SPEC_CLASSES[layer](**{field: value})})
        try:
            check_stack(lab, spec, until=layer)
        except ValidationError as e:
            assert e.field.startswith(field) or e.field in ("name", "port", "db_port", "app_port", "public_subnets",
                                                            "availability_zones", "desired_capacity", "step_in_threshold", "record_name",
                                                            "site_record_name"), str(e)
            return
        # accepted: it had the annotated type (a finite number where a number is wanted)
        assert not (isinstance(value, float) and not math.isfinite(value))

    check()
