"""start() builds what a lab stands on, and never a layer that this lab or a later one teaches."""
from __future__ import annotations

import types

import pytest

from awslab.course import prepare as prepare_mod
from awslab.course.catalog import LABS, TAUGHT_IN, lab_info
from awslab.errors import ValidationError
from awslab.layers import stack as stack_mod
from awslab.layers.stack import LAYERS, build_stack


def test_every_builder_layer_names_the_lab_that_teaches_it():
    assert set(TAUGHT_IN) == set(LAYERS)
    ids = {info.id for info in LABS}
    assert set(TAUGHT_IN.values()) <= ids


@pytest.mark.parametrize("lab_id", ["05", "06", "07", "08", "09"])
def test_labs_before_the_database_lab_do_not_get_a_database(lab_id):
    assert "database" in lab_info(lab_id).skipped_layers()


@pytest.mark.parametrize("lab_id", ["10", "11", "12", "13"])
def test_labs_after_the_database_lab_stand_on_it(lab_id):
    assert lab_info(lab_id).skipped_layers() == ()


class _Lab:
    name, backend, endpoint_url = "t", "embedded", "http://127.0.0.1:1"


def test_prepare_passes_the_skipped_layers_to_the_builder(monkeypatch):
    seen = {}

    def fake_build(lab, until=None, skip=()):
        seen.update(until=until, skip=skip)
        return types.SimpleNamespace(created=[])

    monkeypatch.setattr(stack_mod, "build_stack", fake_build)
    done = prepare_mod.prepare(_Lab(), lab_info("09"))
    assert seen == {"until": "autoscaling", "skip": ("database",)}
    assert "database" not in done.layers and "autoscaling" in done.layers


def test_build_stack_leaves_a_skipped_layer_out(monkeypatch):
    called = []

    def module(name):
        def build(*args, **kwargs):
            called.append(name)
            return types.SimpleNamespace(created=[name], database=kwargs.get("database"))
        return types.SimpleNamespace(**{f: build for f in (
            "build_network", "build_security", "create_key_pair", "build_bastion", "build_database",
            "build_launch_template", "build_load_balancer", "build_auto_scaling_group", "build_scaling_policies",
            "build_edge")})

    monkeypatch.setattr(stack_mod.importlib, "import_module", lambda path: module(path.rsplit(".", 1)[-1]))
    monkeypatch.setattr(stack_mod, "check_stack", lambda lab, spec, until: stack_mod.StackSpec())  # no cloud here
    s = build_stack(_Lab(), until="compute", skip=("database",))
    assert called == ["network", "security", "keys", "bastion", "compute"]
    assert s.database is None and s.compute.database is None


def test_build_stack_refuses_an_unknown_layer_to_skip():
    with pytest.raises(ValidationError):
        build_stack(_Lab(), until="network", skip=("databse",))
