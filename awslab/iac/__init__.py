"""Infrastructure as code, exported: a CloudFormation template of exactly what a lab built.

    template = lab.export()              # or: awslab export -o template.yaml
    template.write("template.yaml")

Everything is read back through the AWS APIs (describe calls), so it works on every backend and exports a
lab built only partway: what exists is in the template, nothing else. Resources refer to each other
(``!Ref PublicSubnetA``, ``!GetAtt Alb.DNSName``), never to the IDs the lab's build got, and every name
derived from the lab's name is written with the ``LabName`` parameter: the same template builds a second
copy of the lab under another name, in this cloud or in a real account (``aws cloudformation deploy``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AwslabError
from ..i18n import _
from .autoscaling import export_autoscaling
from .compute import export_compute
from .database import export_database
from .edge import export_edge
from .loadbalancing import export_loadbalancing
from .network import export_network
from .security import export_security
from .template import GetAtt, Ref, Sub, Template

__all__ = ["ExportedTemplate", "export_template", "Template", "Ref", "GetAtt", "Sub"]

DESCRIPTION = ("awslab lab '{lab}', exported from what it built ({n} resources). On a real account it costs money by "
               "the hour (NAT gateway, ALB, EC2, RDS, CloudFront): delete the stack when you are done.")


@dataclass
class ExportedTemplate:
    """The template, and how many resources of each type it holds."""

    template: Template

    @property
    def resource_types(self) -> dict[str, int]:
        return self.template.types()

    def yaml(self) -> str:
        return self.template.to_yaml()

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.yaml(), encoding="utf-8")
        return path

    def __str__(self) -> str:
        return self.yaml()

    def _repr_html_(self) -> str:
        import html

        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{n}</td></tr>" for k, n in self.resource_types.items())
        return (f"<table><caption style='text-align:left'><b>CloudFormation template</b></caption>{rows}</table>"
                f"<details><summary>YAML</summary><pre>{html.escape(self.yaml())}</pre></details>")


def export_template(lab: Any) -> ExportedTemplate:
    """Probe: the lab's resources as a CloudFormation template (read with describe calls; nothing changes)."""
    t = Template(lab.name)
    t.parameter("LabName", Type="String", Default=lab.name, AllowedPattern="[a-z][a-z0-9-]{0,19}",
                Description="Every name and the awslab:lab tag derive from it; another name builds another copy")
    export_network(lab, t)
    export_security(lab, t)
    database = export_database(lab, t)
    export_compute(lab, t, database)
    export_loadbalancing(lab, t)
    export_autoscaling(lab, t)
    export_edge(lab, t)
    if not t.resources:
        raise AwslabError(_("Lab {lab!r} has built nothing here, so there is nothing to export.").format(lab=lab.name),
                          _("Build it first (awslab build --lab {lab}), or name the lab that built it with --lab.").format(
                              lab=lab.name))
    _outputs(t)
    t.description = DESCRIPTION.format(lab=lab.name, n=len(t.resources))
    return ExportedTemplate(t)


def _outputs(t: Template) -> None:
    wanted = {"VpcId": ("Vpc", None), "AlbDnsName": ("Alb", "DNSName"), "DatabaseEndpoint": ("Database", "Endpoint.Address"),
              "SiteDomainName": ("SiteDistribution", "DomainName"), "HostedZoneId": ("HostedZone", None)}
    for name, (logical, attribute) in wanted.items():
        if logical in t.resources:
            t.outputs[name] = {"Value": GetAtt(logical, attribute) if attribute else Ref(logical)}
