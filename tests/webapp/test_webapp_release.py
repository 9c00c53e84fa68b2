"""A release's settings ship in the user data; settings the app cannot read make /health answer 500."""
from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest

from awslab.sim.ec2 import release_problem
from awslab.webapp import AppState, Identity, Request, app_config_of, config_problem, respond, user_data, with_app_config

ME = Identity("i-0123456789abcdef0", "ap-northeast-2a", "10.0.11.5")
BAD = '{"release": "2.0.1", "greeting": "Hello",}'


def _get(path: str, state: AppState) -> tuple[int, str]:
    r = respond(Request("GET", path, {}), ME, state)
    return r.status, r.body.decode()


def test_settings_the_app_cannot_read_fail_health_but_not_the_page():
    assert config_problem(None) is None and config_problem("") is None and config_problem('{"a": 1}') is None
    assert "must be a JSON object" in config_problem("[1, 2]")
    problem = config_problem(BAD)
    assert problem.startswith("AWSLAB_APP_CONFIG is not valid JSON")
    state = AppState(config_error=problem)
    status, body = _get("/health", state)
    assert status == 500 and body.startswith("config error: AWSLAB_APP_CONFIG is not valid JSON")
    assert _get("/", state)[0] == 200  # the app runs; only its health check reports the bad release
    assert _get("/health", AppState()) == (200, "ok\n")


def test_the_user_data_carries_the_settings_and_a_new_release_replaces_them():
    plain = user_data(80)
    assert app_config_of(plain) is None
    bad = with_app_config(plain, BAD)
    assert app_config_of(bad) == BAD and bad.index("AWSLAB_APP_CONFIG=") < bad.index("systemctl daemon-reload")
    quoted = '{"release": "2.0.2", "note": "a \\"quoted\\" word"}'
    good = with_app_config(bad, quoted)
    assert good.count("AWSLAB_APP_CONFIG=") == 1 and app_config_of(good) == quoted
    assert app_config_of(user_data(80, app_config=BAD)) == BAD
    with pytest.raises(ValueError):
        with_app_config(plain, '{"a":\n1}')  # one line: a newline would end the environment file's line
    with pytest.raises(ValueError):
        with_app_config("#!/bin/bash\necho hi\n", BAD)  # not the lab's user data


def test_the_simulator_reads_the_problem_from_the_instances_user_data():
    encoded = base64.b64encode(with_app_config(user_data(80), BAD).encode()).decode()
    assert release_problem(SimpleNamespace(user_data=[encoded])).startswith("AWSLAB_APP_CONFIG is not valid JSON")
    assert release_problem(SimpleNamespace(user_data=[base64.b64encode(user_data(80).encode()).decode()])) is None
    assert release_problem(SimpleNamespace(user_data=None)) is None
