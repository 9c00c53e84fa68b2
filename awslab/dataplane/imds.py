"""The instance metadata service (IMDS) an instance reaches at 169.254.169.254, with IMDSv2's session tokens.

Every EC2 instance can ask the IMDS about itself over plain HTTP: its id, its
AMI, its Availability Zone, its user data. IMDSv2 makes that a session
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html):

1. ``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds: 1..21600``
   returns a token (no TTL header, or a TTL out of range: ``400``);
2. every ``GET`` carries it in ``X-aws-ec2-metadata-token`` (an unknown or expired
   token: ``401``).

With ``HttpTokens=optional`` a ``GET`` without a token is still answered
(IMDSv1); with ``HttpTokens=required`` it is ``401``. ``HttpEndpoint=disabled``
answers ``403``, and so does a ``PUT`` that carries ``X-Forwarded-For`` (it came
through a proxy, so it is not the instance's own request). Error codes:
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html and
https://repost.aws/knowledge-center/ec2-linux-metadata-retrieval. Why the PUT
blocks SSRF: https://aws.amazon.com/blogs/security/defense-in-depth-open-firewalls-reverse-proxies-ssrf-vulnerabilities-ec2-instance-metadata-service/

What the service knows comes from ``describe-instances`` (the instance as a
student reads it) and, for ``/latest/user-data``, ``describe-instance-attribute``.
The hop limit (``HttpPutResponseHopLimit``) matters for containers on the
instance; the lab has none, so it is shown but not enforced.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["IMDS_ADDRESS", "TOKEN_TTL_S", "ImdsReply", "MetadataService", "metadata_items"]

IMDS_ADDRESS = "169.254.169.254"
#: "a minimum of one second and a maximum of six hours" (21,600 s).
TOKEN_TTL_S = (1, 21600)
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "x-aws-ec2-metadata-token"


@dataclass(frozen=True)
class ImdsReply:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


_REASON = {400: "Missing or Invalid Parameters", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed"}


def _error(status: int) -> ImdsReply:
    return ImdsReply(status, f"{status} - {_REASON[status]}")


def metadata_items(instance: dict) -> dict[str, str]:
    """``meta-data/<path>`` -> value, from one ``describe-instances`` item (what the IMDS answers about it)."""
    az = (instance.get("Placement") or {}).get("AvailabilityZone", "")
    items = {
        "ami-id": instance.get("ImageId", ""),
        "instance-id": instance.get("InstanceId", ""),
        "instance-type": instance.get("InstanceType", ""),
        "local-ipv4": instance.get("PrivateIpAddress", ""),
        "local-hostname": instance.get("PrivateDnsName", ""),
        "hostname": instance.get("PrivateDnsName", ""),
        "placement/availability-zone": az,
        "placement/region": az[:-1],
        "security-groups": "\n".join(g.get("GroupName", "") for g in instance.get("SecurityGroups", [])),
    }
    if instance.get("PublicIpAddress"):
        items["public-ipv4"] = instance["PublicIpAddress"]
    return {k: v for k, v in items.items() if v}


def _listing(items: dict[str, str], prefix: str) -> str | None:
    """The directory listing IMDS answers for ``meta-data/<prefix>`` (sub-folders end with '/')."""
    names = sorted({k[len(prefix):].split("/")[0] + ("/" if "/" in k[len(prefix):] else "")
                    for k in items if k.startswith(prefix)})
    return "\n".join(names) if names else None


@dataclass
class MetadataService:
    """One IMDS for every instance of the cloud: token ``-> (instance id, expiry)`` on the cloud's clock."""

    clock: Callable[[], float]
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def answer(self, instance: dict, method: str, path: str, headers: dict[str, str],
               user_data: Callable[[], str | None] = lambda: None) -> ImdsReply:
        """What the IMDS answers ``method path`` from ``instance`` (headers with lower-case names)."""
        options = instance.get("MetadataOptions") or {}
        if options.get("HttpEndpoint", "enabled") == "disabled":
            return _error(403)
        path = "/" + path.lstrip("/")
        if path == "/latest/api/token":
            return self._token(instance, method, headers)
        if method != "GET":
            return _error(405)
        token = headers.get(TOKEN_HEADER)
        if token is not None and not self._valid(token, instance.get("InstanceId", "")):
            return _error(401)
        if token is None and options.get("HttpTokens", "optional") == "required":
            return _error(401)
        return self._get(instance, path, user_data)

    def _token(self, instance: dict, method: str, headers: dict[str, str]) -> ImdsReply:
        if method != "PUT":
            return _error(405)
        if "x-forwarded-for" in headers:
            return _error(403)
        ttl = headers.get(TTL_HEADER, "")
        if not ttl.isdigit() or not TOKEN_TTL_S[0] <= int(ttl) <= TOKEN_TTL_S[1]:
            return _error(400)
        now = self.clock()
        self.tokens = {t: v for t, v in self.tokens.items() if v[1] > now}  # forget expired ones
        token = secrets.token_urlsafe(40)
        self.tokens[token] = (instance.get("InstanceId", ""), now + int(ttl))
        return ImdsReply(200, token, {TTL_HEADER: ttl})

    def _valid(self, token: str, instance_id: str) -> bool:
        """A token is good on the instance that asked for it, until its TTL runs out."""
        owner, expiry = self.tokens.get(token, ("", 0.0))
        return owner == instance_id and expiry > self.clock()

    def _get(self, instance: dict, path: str, user_data: Callable[[], str | None]) -> ImdsReply:
        if path in ("/latest", "/latest/"):
            return ImdsReply(200, "dynamic\nmeta-data\nuser-data")
        if path == "/latest/user-data":
            data = user_data()
            return ImdsReply(200, data) if data else _error(404)
        if not path.startswith("/latest/meta-data"):
            return _error(404)
        key = path[len("/latest/meta-data"):].strip("/")
        items = metadata_items(instance)
        if key in items:
            return ImdsReply(200, items[key])
        listing = _listing(items, f"{key}/" if key else "")
        return ImdsReply(200, listing) if listing else _error(404)
