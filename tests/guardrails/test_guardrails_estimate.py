"""The estimate's arithmetic, line by line, against the dated price table (figures typed from prices.json)."""
from __future__ import annotations

import pytest

from awslab.guardrails import GuardrailError
from awslab.guardrails.estimate import estimate
from awslab.layers.autoscaling import AutoScalingSpec
from awslab.layers.compute import LaunchTemplateSpec
from awslab.layers.database import DatabaseSpec
from awslab.layers.network import NetworkSpec
from awslab.layers.stack import StackSpec

SPEC = StackSpec(network=NetworkSpec(nat_gateway_per_az=True), compute=LaunchTemplateSpec(instance_type="t3.small"),
                 autoscaling=AutoScalingSpec(min_size=3, desired_capacity=3), database=DatabaseSpec(
                     db_instance_class="db.t3.small", multi_az=True))


def test_seoul_estimate_for_a_known_spec():
    est = estimate("awslab", "ap-northeast-2", SPEC, hours=3)
    nat = 2 * 0.059 + 2 * 0.25 * 0.059            # two NAT gateways, 0.25 GB/h each
    ec2 = 0.013 + 3 * 0.026 + 4 * 8 * 0.0912 / 730  # bastion t3.micro, 3 app t3.small, 4 root volumes
    rds = 2 * 0.052 + 2 * 20 * 0.131 / 730          # Multi-AZ: a standby of the same class and storage
    alb = 0.0225 + 0.008
    ipv4 = (2 + 1 + 2) * 0.005                      # 2 NAT EIPs, the bastion, the ALB in 2 AZs
    cdn = 0.05 * 0.085
    assert est.per_hour == pytest.approx(nat + ec2 + rds + alb + ipv4 + cdn)
    assert est.total == pytest.approx(3 * est.per_hour)
    assert est.date == "2026-11-30" and "https://aws.amazon.com/vpc/pricing/" in est.sources
    text = est.text()
    assert "2026-11-30" in text and "https://aws.amazon.com/elasticloadbalancing/pricing/" in text
    one_nat, no_nat = est.variants
    assert one_nat.saving_per_hour == pytest.approx(0.059 + 0.25 * 0.059 + 0.005)
    assert "AZ" in one_nat.trade_off
    assert no_nat.saving_per_hour == pytest.approx(2 * (0.059 + 0.25 * 0.059 + 0.005) - 3 * 2 * 0.013)


def test_until_counts_only_the_layers_built():
    est = estimate("awslab", "us-east-1", None, until="network", hours=4)
    assert est.per_hour == pytest.approx(0.045 + 0.25 * 0.045 + 0.005)
    assert [v.saving_per_hour > 0 for v in est.variants] == [True]  # one NAT already: only "none" is cheaper


def test_a_price_the_table_lacks_is_refused_not_guessed():
    with pytest.raises(GuardrailError) as e:
        estimate("awslab", "ap-northeast-2", StackSpec(compute=LaunchTemplateSpec(instance_type="m7i.large")))
    assert "m7i.large" in e.value.problem and "https://aws.amazon.com/ec2/pricing/on-demand/" in e.value.fix
    with pytest.raises(GuardrailError) as e:
        estimate("awslab", "eu-west-1")
    assert "eu-west-1" in e.value.problem and "ap-northeast-2, us-east-1" in e.value.problem
