"""TargetResponseTime's distribution from the load model's M/M/c queue (awslab.sim.cloudwatch.latency)."""
from __future__ import annotations

import math

import pytest

from awslab.sim.cloudwatch.latency import latency_buckets, response_time_cdf, response_time_quantile, round_latency
from awslab.sim.load import instance_load


def test_an_idle_server_answers_in_its_exponential_service_time():
    x = instance_load("t3.micro", 0.5)  # hardly any queue: R is about S ~ Exp(1/S)
    assert x.wait_prob < 1e-3
    assert response_time_quantile(0.5, x) == pytest.approx(x.service_s * math.log(2), rel=0.02)
    assert response_time_quantile(0.99, x) == pytest.approx(x.service_s * math.log(100), rel=0.02)


def test_the_distribution_is_a_distribution_and_its_mean_is_the_models():
    for rps in (5, 25, 45):
        x = instance_load("t3.micro", rps)
        times = [x.service_s * k / 10 for k in range(1, 4000)]
        cdf = [response_time_cdf(t, x) for t in times]
        assert all(a <= b for a, b in zip(cdf, cdf[1:])) and cdf[-1] > 0.999
        buckets = latency_buckets(x)
        assert sum(share for _v, share in buckets) == pytest.approx(1.0)
        assert sum(v * share for v, share in buckets) == pytest.approx(x.latency_s, rel=1e-3)
        assert response_time_quantile(0.5, x) < x.latency_s < response_time_quantile(0.99, x)


def test_a_busier_server_has_a_longer_tail_and_a_slow_app_shifts_every_answer():
    calm, busy = instance_load("t3.micro", 10), instance_load("t3.micro", 45)
    assert response_time_quantile(0.99, busy) > 3 * response_time_quantile(0.99, calm)
    slow = instance_load("t3.micro", 10, slow_delay_ms=500)
    assert response_time_quantile(0.5, slow) == pytest.approx(response_time_quantile(0.5, calm) + 0.5, rel=0.01)
    assert response_time_cdf(0.49, slow) == 0.0


def test_rounding_keeps_two_significant_digits():
    assert [round_latency(v) for v in (0.01234, 0.1789, 1.26, 0.0)] == [0.012, 0.18, 1.3, 0.0]


def test_a_seconds_requests_are_a_dozen_values_whose_nearest_rank_percentiles_are_the_models():
    x = instance_load("t3.micro", 40)
    buckets = latency_buckets(x)
    assert len({round_latency(v) for v, _share in buckets}) <= 12

    def nearest_rank(p: float) -> float:
        seen = 0.0
        for value, share in sorted(buckets):
            seen += share
            if seen >= p - 1e-9:
                return value
        raise AssertionError(p)

    for p in (0.5, 0.95, 0.99):
        assert nearest_rank(p) == pytest.approx(response_time_quantile(p, x), rel=0.02)
