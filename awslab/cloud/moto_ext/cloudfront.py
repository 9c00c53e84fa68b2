"""CloudFront part of the moto extension: a distribution's S3 origin keeps its origin access control.

A distribution reads a private bucket through an origin access control (OAC): the origin names it in
``OriginAccessControlId``, with ``S3OriginConfig.OriginAccessIdentity`` empty
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html).
moto 5.2.5 keeps neither, so GetDistribution showed an S3 origin with no way to read a private bucket.

Patched: ``Origin.__init__`` keeps both, and moto's serializer returns them, as CloudFront's API does
(``OriginAccessControlId`` is an empty string on an origin without one). Nothing else changes.
"""
from __future__ import annotations

from typing import Any

from moto.cloudfront.models import Origin

__all__ = ["install"]

_ORIG: dict[str, Any] = {}


def _origin_init(self: Any, origin: dict[str, Any]) -> None:
    _ORIG["origin_init"](self, origin)
    self.origin_access_control_id = origin.get("OriginAccessControlId") or ""
    if "S3OriginConfig" in origin:
        self.s3_origin_config = {"OriginAccessIdentity": (origin["S3OriginConfig"] or {}).get("OriginAccessIdentity", "")}


def install() -> None:
    if _ORIG:
        return
    _ORIG["origin_init"] = Origin.__init__
    Origin.__init__ = _origin_init
