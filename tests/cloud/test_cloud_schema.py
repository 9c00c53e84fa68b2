"""The control API's body schemas (awslab.cloud.schema), without a cloud: each wrong body names its field."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awslab.cloud.schema import NO_BODY, Schema, SchemaError, boolean, choice, integer, number, text

FAULT = Schema({"instance_id": text(required=True)}, tag="kind",
               variants={"crash": {}, "cpu_burn": {"percent": number(0, 100)}})


def refused(schema: Schema, body, where: str = "body") -> SchemaError:
    with pytest.raises(SchemaError) as e:
        schema.check(body, where)
    return e.value


def test_a_good_body_passes_unchanged():
    body = {"instance_id": "i-0abc", "kind": "cpu_burn", "percent": 40}
    assert FAULT.check(dict(body)) == body


@pytest.mark.parametrize("body, field, words", [
    ([1, 2], None, "must be a JSON object"),
    ("text", None, "must be a JSON object"),
    ({"instance_id": "i-1"}, "kind", "required: one of crash, cpu_burn"),
    ({"kind": "crash"}, "instance_id", "required"),
    ({"instance_id": "i-1", "kind": "meltdown"}, "kind", "one of crash, cpu_burn, not 'meltdown'"),
    ({"instance_id": "i-1", "kind": "cpu_burn", "percent": 150}, "percent", "between 0 and 100, not 150"),
    ({"instance_id": "i-1", "kind": "cpu_burn", "percent": "50"}, "percent", 'a number, not "50"'),
    ({"instance_id": "i-1", "kind": "cpu_burn", "percent": True}, "percent", "a number, not true"),
    ({"instance_id": "i-1", "kind": "crash", "percent": 50}, "percent",
     "not one this route takes; it takes instance_id, kind"),
    ({"instance_id": 5, "kind": "crash"}, "instance_id", "must be text, not 5"),
])
def test_each_wrong_body_names_its_field(body, field, words):
    error = refused(FAULT, body)
    assert error.field == field
    assert words in str(error)


def test_numbers_must_be_finite_and_whole_numbers_whole():
    rate = Schema({"rps": number(0, 10), "users": integer(0, 10)})
    assert refused(rate, {"rps": math.nan}).field == "rps"
    assert refused(rate, {"rps": math.inf}).field == "rps"
    assert "whole number, not 1.5" in str(refused(rate, {"users": 1.5}))
    assert rate.check({"rps": 2, "users": 3}) == {"rps": 2, "users": 3}


def test_a_route_without_a_body_takes_an_empty_object_only():
    assert NO_BODY.check({}) == {}
    assert "takes no fields" in str(refused(NO_BODY, {"x": 1}))


def test_query_values_are_read_as_their_kind():
    query = Schema({"since": number(), "limit": integer(0, 100), "tail": boolean(), "mode": choice("a", "b")})
    assert query.check({"since": "12.5", "limit": "7", "tail": "true", "mode": "a"}, "query") == \
        {"since": 12.5, "limit": 7, "tail": True, "mode": "a"}
    error = refused(query, {"since": "abc"}, "query")
    assert (error.field, str(error)) == ("since", "query field 'since' must be a number, not \"abc\".")


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=10))
def test_any_json_either_passes_or_is_refused_with_a_schema_error(body):
    """Whatever arrives, the check answers with the body or a SchemaError, never another exception."""
    try:
        checked = FAULT.check(body)
    except SchemaError as e:
        assert str(e)
    else:
        assert set(checked) <= {"instance_id", "kind", "percent"}
