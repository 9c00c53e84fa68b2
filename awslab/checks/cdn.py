"""Lab 10, the CDN path: a new version of the page reaches viewers only after an invalidation (or its TTL).

CloudFront keeps the copy of ``index.html`` it fetched until the copy's TTL ends; uploading a new version to S3
changes nothing at the edge. ``CreateInvalidation`` removes the cached copies of the paths it names, so the next
request goes to the origin. Paths start with ``/``; a ``*`` may only be the last character
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Invalidation_Specifying_Objects.html).
The check reads the API only, so it holds on real AWS too: an invalidation covering ``/index.html`` made after
the page's last upload.
"""
from __future__ import annotations

from typing import Any

from ..i18n import N_, _
from .edge import INDEX, the_bucket, the_distribution
from .registry import not_yet, ok, task

#: The invalidations of a distribution the check reads (newest first, one page).
MAX_READ = 20


def covers(path: str, key: str) -> bool:
    """Does the invalidation path ``path`` cover the object path ``key`` (both starting with ``/``)?"""
    if path.endswith("*"):
        return key.startswith(path[:-1])
    return path == key


def _invalidations(cf: Any, dist_id: str) -> list[dict]:
    items = (cf.list_invalidations(DistributionId=dist_id, MaxItems=str(MAX_READ)).get("InvalidationList") or {}).get(
        "Items") or []
    return [cf.get_invalidation(DistributionId=dist_id, Id=i["Id"])["Invalidation"] for i in items]


@task("10.5", N_("An invalidation: CloudFront drops its copy of the new index.html"))
def invalidation(lab: Any) -> Any:
    cf, s3 = lab.client("cloudfront"), lab.client("s3")
    dist, bucket, key = the_distribution(lab), the_bucket(lab), "/" + INDEX
    fix = f"cf.create_invalidation(DistributionId={dist['Id']!r}, InvalidationBatch={{'Paths': {{'Quantity': 1, " \
          f"'Items': [{key!r}]}}, 'CallerReference': str(time.time())}})"
    found = _invalidations(cf, dist["Id"])
    if not found:
        raise not_yet(_("Distribution {id} has no invalidation yet. Its edge locations keep the copy of {key} they "
                        "cached until the copy's TTL ends, whatever you upload to S3.").format(
            id=dist["Id"], key=key), fix)
    mine = [i for i in found if any(covers(p, key) for p in i["InvalidationBatch"]["Paths"].get("Items") or [])]
    if not mine:
        paths = sorted({p for i in found for p in i["InvalidationBatch"]["Paths"].get("Items") or []})
        raise not_yet(_("The invalidations of {id} name {paths}; none covers {key}. A path starts with / and may end "
                        "with * (for example /index.html or /*).").format(
            id=dist["Id"], paths=", ".join(paths), key=key), fix)
    newest = max(mine, key=lambda i: i["CreateTime"])
    uploaded = s3.head_object(Bucket=bucket, Key=INDEX)["LastModified"]
    if newest["CreateTime"] < uploaded:
        raise not_yet(_("The newest invalidation of {key} ({made}) is older than the page's last upload ({uploaded}). "
                        "A request in between may have cached the old page again: invalidate after the upload.").format(
            key=key, made=newest["CreateTime"].isoformat(timespec="seconds"),
            uploaded=uploaded.isoformat(timespec="seconds")), fix)
    return ok(_("Invalidation {inv} of {id} covers {key} and came after the upload: the next request for it goes to "
                "S3 ({status}).").format(inv=newest["Id"], id=dist["Id"], key=key, status=newest["Status"]),
              [f"{dist['Id']}/{newest['Id']}"])
