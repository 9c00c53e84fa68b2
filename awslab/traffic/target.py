"""Where to send traffic: the local address of a load balancer in the embedded cloud.

On AWS you curl the ALB's DNS name. In the embedded cloud each ALB listener
is served on a local address (``GET /_awslab/dataplane`` lists them); this
turns a name or DNS name into that URL. A probe: it changes nothing.
"""
from __future__ import annotations

from .. import config
from ..cloud.client import ControlClient, ControlRefused
from ..errors import AwslabError
from ..i18n import _

__all__ = ["alb_url"]


def _settle(client: ControlClient) -> None:
    """Let the data plane catch up with every change made so far (a rule just created, an app just broken).

    On AWS a call's change is in effect for the next request; the data plane learns of it a moment
    later, so a request is held until it has (``GET /_awslab/dataplane/settled``, at most a few seconds).
    An older cloud without that route answers 404: then the request goes at once.
    """
    try:
        client.call("GET", "dataplane/settled")
    except ControlRefused as e:
        if e.status != 404:
            raise


def cdn_url(domain_name: str, endpoint_url: str | None = None) -> str:
    """``http://<edge address>:<port>`` where the distribution ``dxxxx.cloudfront.net`` is served on this machine."""
    client = ControlClient(endpoint_url or config.endpoint_url(), timeout=10)
    try:
        info = client.call("GET", "cloudfront")
    except AwslabError as e:
        raise AwslabError(_("could not ask the embedded cloud's CloudFront edges at {endpoint_url}: {problem}").format(
            endpoint_url=client.endpoint_url, problem=e.problem),
                          _("Start the cloud (`awslab cloud start`); on real AWS use the distribution's domain name."),
                          ) from e
    for d in info.get("distributions", []):
        if d.get("domain_name", "").lower() == domain_name.lower().rstrip(".") and d.get("local"):
            return d["local"]
    raise AwslabError(_("no CloudFront distribution {domain_name} is served (deleted, or not created yet)").format(
        domain_name=domain_name),
        _("Check the name with cf.list_distributions(); a new distribution is served within a second."))


def alb_url(name_or_dns: str, endpoint_url: str | None = None, listener_port: int = 80) -> str:
    """``http://127.0.0.1:<port>`` serving listener ``listener_port`` of the ALB named (or DNS-named) ``name_or_dns``."""
    client = ControlClient(endpoint_url or config.endpoint_url(), timeout=5)
    try:
        _settle(client)
        info = client.call("GET", "dataplane")
    except AwslabError as e:
        raise AwslabError(_("could not ask the embedded cloud's data plane at {endpoint_url}: {problem}").format(
            endpoint_url=client.endpoint_url, problem=e.problem),
                          _("Start the cloud (`awslab cloud start`); on real AWS use the ALB's DNS name instead.")) from e
    for lb in info.get("load_balancers", []):
        if name_or_dns in (lb.get("name"), lb.get("dns_name")):
            local = lb.get("listeners", {}).get(str(listener_port))
            if local:
                return local
            raise AwslabError(_("load balancer {name_or_dns} has no HTTP listener on port {listener_port} yet").format(
                name_or_dns=name_or_dns, listener_port=listener_port),
                              _("Create the listener (create_listener); the data plane picks it up within a second."))
    names = ", ".join(lb.get("name", "?") for lb in info.get("load_balancers", [])) or "none"
    raise AwslabError(_("no load balancer {name_or_dns!r} in the data plane (running: {names})").format(
        name_or_dns=name_or_dns, names=names),
                      _("Check the name with describe_load_balancers; a new ALB appears within a second."))
