"""Allow-lists checked with STS before anything is created; the confirmation; nothing exists without both."""
from __future__ import annotations

import pytest

from awslab.guardrails import GuardrailError
from awslab.guardrails.allowlist import settings
from awslab.guardrails.confirm import CostNotConfirmed
from awslab.lab import Lab

from .conftest import ACCOUNT, vpcs


def _lab(region: str = "ap-northeast-2") -> Lab:
    return Lab(backend="aws", region=region)


def test_allowed_account_and_region_pass_with_sts_identity(account):
    lab = _lab()
    est = lab.confirm_cost(until="network", confirm=True)
    assert est.per_hour > 0 and lab._expiry is not None
    from awslab.guardrails.allowlist import check_caller

    who = check_caller(lab)
    assert who.account == ACCOUNT and who.arn.startswith("arn:aws:sts::" + ACCOUNT) and who.region == "ap-northeast-2"


def test_wrong_account_is_refused_by_name_and_nothing_is_created(account, monkeypatch):
    monkeypatch.setenv("AWSLAB_ALLOWED_ACCOUNTS", "111122223333")
    with pytest.raises(GuardrailError) as e:
        _lab().build(until="network", confirm=True)
    assert ACCOUNT in e.value.problem and "111122223333" in e.value.problem and "allowed_accounts" in e.value.fix
    assert vpcs() == []


def test_wrong_region_is_refused_by_name_and_nothing_is_created(account):
    with pytest.raises(GuardrailError) as e:
        _lab("eu-west-1").build(until="network", confirm=True)
    assert "eu-west-1" in e.value.problem and "ap-northeast-2, us-east-1" in e.value.problem
    assert "allowed_regions" in e.value.fix
    assert vpcs("eu-west-1") == []


@pytest.mark.parametrize("empty", ["AWSLAB_ALLOWED_ACCOUNTS", "AWSLAB_ALLOWED_REGIONS"])
def test_empty_lists_allow_nothing(account, monkeypatch, empty):
    monkeypatch.setenv(empty, "")
    with pytest.raises(GuardrailError) as e:
        _lab().build(until="network", confirm=True)
    assert empty.lower().replace("awslab_", "") in e.value.problem and "real-aws.toml" in e.value.fix
    assert vpcs() == []


def test_settings_file_shape_and_the_environment_wins(account, monkeypatch):
    for name in ("AWSLAB_ALLOWED_ACCOUNTS", "AWSLAB_ALLOWED_REGIONS"):
        monkeypatch.delenv(name)
    (account / "real-aws.toml").write_text('allowed_accounts = ["123456789012"]\n'
                                           'allowed_regions = ["us-east-1"]\nexpiry_hours = 2.5\n')
    found = settings()
    assert (found.allowed_accounts, found.allowed_regions, found.expiry_hours) == ((ACCOUNT,), ("us-east-1",), 2.5)
    monkeypatch.setenv("AWSLAB_ALLOWED_REGIONS", "ap-northeast-2")
    assert settings().allowed_regions == ("ap-northeast-2",)
    (account / "real-aws.toml").write_text('allowed_accounts = ["12345"]\n')
    with pytest.raises(GuardrailError) as e:
        settings()
    assert "12345" in e.value.problem and "12 digits" in e.value.fix


def test_without_confirmation_the_estimate_is_shown_and_no_vpc_exists(account):
    with pytest.raises(CostNotConfirmed) as e:
        _lab().build()
    assert "Cost estimate for lab 'awslab' in ap-northeast-2" in e.value.problem and "2026-11-30" in e.value.problem
    assert "confirm=True" in e.value.fix and e.value.estimate.per_hour > 0
    assert vpcs() == []


def test_a_build_step_alone_is_refused_before_the_cost_is_confirmed(account):
    from awslab.layers.network import build_network

    with pytest.raises(GuardrailError) as e:
        build_network(_lab())
    assert "confirm_cost(confirm=True)" in e.value.fix
    assert vpcs() == []


def test_the_cli_builds_only_with_yes(account, capsys):
    from awslab.cli.parser import main

    argv = ["build", "--backend", "aws", "--allow-real-aws", "--until", "network"]
    assert main(argv) == 2  # pytest's stdin is no terminal: no prompt, no build
    out = capsys.readouterr()
    assert "Cost estimate" in out.out and "--yes" in out.err and vpcs() == []
    assert main(argv + ["--yes"]) == 0
    assert len(vpcs()) == 1
