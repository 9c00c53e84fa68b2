"""What a lab borrows from layers it has not reached yet, and gives back.

An experiment often needs more than the lab has built: security groups show
their effect only on traffic through a load balancer to servers. Building
those layers in the student's own lab would do the next labs' tasks for
them, so a lab borrows them instead:

- :func:`sandbox` builds a second, complete copy of the architecture under a lab
  name of its own, in a VPC of its own (``10.99.0.0/16``), with awslab's builder;
  the student's lab stays exactly as they left it. ``sandbox.teardown()`` removes it.
- :func:`temporary_alb` puts a load balancer named ``<lab>-lab<NN>-alb`` in front of a
  target group for one lab's experiments, and ``.delete()`` removes it again.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from ..i18n import _

__all__ = ["sandbox", "Sandbox", "temporary_alb", "TemporaryAlb", "SANDBOX_CIDR"]

#: The sandbox's VPC: its own addresses, so its servers never share an address with the student's.
SANDBOX_CIDR = "10.99.0.0/16"


@dataclass(repr=False)
class Sandbox:
    """A complete architecture beside the student's: ``lab`` (a Lab) and ``stack`` (what the builder built)."""

    lab: Any
    stack: Any

    def teardown(self):
        """Delete everything the sandbox built (found by its own lab tag)."""
        return self.lab.teardown()

    def text(self) -> str:
        return _("Sandbox lab '{name}' ({cidr}), built up to {until}: {n} resources. Your own lab is untouched.").format(
            name=self.lab.name, cidr=SANDBOX_CIDR, until=self.stack.layers()[-1][0], n=len(self.stack.created))

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return f"<div style='border-left:4px solid #0969da;padding:4px 10px'>{html.escape(self.text())}</div>"


def sandbox(lab: Any, until: str = "autoscaling", suffix: str = "sbx") -> Sandbox:
    """Build (or find) the sandbox copy of the architecture for ``lab``, up to the layer ``until``."""
    from ..lab import Lab
    from ..layers.network import NetworkSpec
    from ..layers.stack import StackSpec

    box = Lab(name=f"{lab.name}-{suffix}", backend=lab.backend, region=lab.region, endpoint_url=lab.endpoint_url,
              start_cloud=False, **({"allow_real_aws": True} if lab.backend == "aws" else {}))
    net = NetworkSpec(vpc_cidr=SANDBOX_CIDR, public_subnets=["10.99.1.0/24", "10.99.2.0/24"],
                      private_subnets=["10.99.11.0/24", "10.99.12.0/24"], db_subnets=["10.99.21.0/24", "10.99.22.0/24"])
    return Sandbox(box, box.build(until=until, spec=StackSpec(network=net)))


@dataclass(repr=False)
class TemporaryAlb:
    """A load balancer one lab borrows: its ``dns_name`` for requests, :meth:`delete` to give it back."""

    lab: Any
    name: str
    arn: str
    dns_name: str
    listener_arn: str
    created: list[str] = field(default_factory=list)

    def delete(self) -> None:
        """Delete the listener and the load balancer (the target group and its targets stay)."""
        elb = self.lab.client("elbv2")
        for call, kw in ((elb.delete_listener, {"ListenerArn": self.listener_arn}),
                         (elb.delete_load_balancer, {"LoadBalancerArn": self.arn})):
            try:
                call(**kw)
            except elb.exceptions.ClientError:  # already gone: nothing to give back
                pass

    def text(self) -> str:
        return _("Load balancer {name} (borrowed for this lab): http://{dns}/").format(name=self.name, dns=self.dns_name)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return f"<div style='border-left:4px solid #0969da;padding:4px 10px'>{html.escape(self.text())}</div>"


def temporary_alb(lab: Any, target_group_arn: str, lab_id: str) -> TemporaryAlb:
    """A load balancer ``<lab>-lab<NN>-alb`` in the lab's public subnets, forwarding HTTP:80 to ``target_group_arn``."""
    from types import SimpleNamespace

    from ..checks.probes import by_name, lab_items, name_of
    from ..layers.loadbalancing import ensure_alb, ensure_listener

    # Read, never build: the student's public subnets and the ALB's security group, found by their names.
    public = sorted((s for s in lab_items(lab, "describe_subnets", "Subnets") if name_of(s).startswith(f"{lab.name}-public-")),
                    key=lambda s: s["AvailabilityZone"])
    groups = by_name(lab_items(lab, "describe_security_groups", "SecurityGroups"), f"{lab.name}-alb-sg")
    if len(public) < 2 or not groups:
        from ..errors import AwslabError

        raise AwslabError(_("A load balancer needs the lab's two public subnets and its ALB security group, and this lab "
                            "has not got them yet."), _("Do labs 01 and 02 first (or run start() for this lab again)."))
    network = SimpleNamespace(subnet_ids=lambda tier: [s["SubnetId"] for s in public])
    created: list[str] = []
    name = f"{lab.name}-lab{lab_id}-alb"
    lb = ensure_alb(lab, name, network, groups[0]["GroupId"], created)
    listener = ensure_listener(lab, lb["LoadBalancerArn"], target_group_arn, 80, created)
    return TemporaryAlb(lab, name, lb["LoadBalancerArn"], lb["DNSName"], listener, created)
