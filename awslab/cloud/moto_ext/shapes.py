"""Response shapes as AWS sends them, where moto 5.2.5's differ.

``tests/cloud/test_response_shapes.py`` records every call a full build, discovery, the drills, the checks and
teardown make, and checks each response against botocore's output shape (required members, types, enums).
What it found wrong in moto is put right here, in moto's own way: a response transformer
(``RESPONSE_KEY_PATH_TO_TRANSFORMER``, applied by moto's serializer to every member whose key path ends with the
given suffix) or a thin wrapper around a response method. docs/compatibility.md lists each one, for moto upstream.

- DescribePolicies: a policy that is not predictive has no ``PredictiveScalingConfiguration``; moto writes an
  empty one, which lacks its required ``MetricSpecifications``
  (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_ScalingPolicy.html).
- ListDistributions: every ``DistributionSummary`` carries ``Staging`` (required; ``false`` for a primary
  distribution, and moto has no staging distributions)
  (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionSummary.html).
- ListHostedZonesByName: ``IsTruncated`` and ``MaxItems`` are required; moto returns every zone at once, so
  ``IsTruncated`` is false, and ``MaxItems`` echoes the request's maxitems (default 100)
  (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html).
"""
from __future__ import annotations

from typing import Any, Callable

from moto.autoscaling.responses import AutoScalingResponse
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult
from moto.core.serialize import return_if_not_empty
from moto.route53.responses import Route53

__all__ = ["install", "TRANSFORMERS"]


def _false_if_absent(value: Any) -> Any:
    return False if value is None else value


#: response class -> {key path suffix: transformer}
TRANSFORMERS: dict[type, dict[str, Callable[[Any], Any]]] = {
    AutoScalingResponse: {"ScalingPolicy.PredictiveScalingConfiguration": return_if_not_empty},
    CloudFrontResponse: {"DistributionSummary.Staging": _false_if_absent},
}

_ORIG: dict[str, Callable] = {}


def _list_hosted_zones_by_name(self) -> ActionResult:
    out = _ORIG["list_hosted_zones_by_name"](self)
    result = out.result
    result.setdefault("IsTruncated", False)
    result.setdefault("MaxItems", str(self._get_int_param("MaxItems", 100)))
    return out


def install() -> None:
    """Add the transformers and the wrapper (idempotent)."""
    if _ORIG:
        return
    for cls, table in TRANSFORMERS.items():
        if "RESPONSE_KEY_PATH_TO_TRANSFORMER" not in vars(cls):  # never write into a table a base class shares
            cls.RESPONSE_KEY_PATH_TO_TRANSFORMER = dict(cls.RESPONSE_KEY_PATH_TO_TRANSFORMER)
        cls.RESPONSE_KEY_PATH_TO_TRANSFORMER.update(table)
    _ORIG["list_hosted_zones_by_name"] = Route53.list_hosted_zones_by_name
    Route53.list_hosted_zones_by_name = _list_hosted_zones_by_name
