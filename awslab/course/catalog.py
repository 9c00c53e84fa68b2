"""The course's table of contents: every lab, in the order a person builds the architecture.

This is the one place the order lives. Each lab's lesson is ``labs/src/<id>-<slug>.md``
(both languages, one file); :mod:`awslab.course.lessons` turns it into
``labs/en/<id>-<slug>.ipynb`` and ``labs/ko/<id>-<slug>.ipynb``.

``needs`` is the last builder layer (:data:`awslab.layers.stack.LAYERS`) a lab
stands on: :func:`awslab.course.start` builds up to it in one call, reusing
whatever the student already built in earlier labs (the builder finds
resources by their tags, so a VPC the student made in lab 01 is the VPC lab 02 uses).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_, _

__all__ = ["LabInfo", "LABS", "lab_info", "COURSE_LAB"]

#: The lab name every per-layer lab shares, so each builds on the previous ones.
#: (The quickstart and the drills use names of their own: their teardown never touches the course.)
COURSE_LAB = "awslab"


@dataclass(frozen=True)
class LabInfo:
    id: str
    slug: str
    title: str  # English; shown through _()
    needs: str | None  # the builder layer to build first (None: a clean lab)
    lab_name: str = COURSE_LAB
    minutes: int = 30
    #: The last task of an earlier lab this one also stands on (built by :func:`awslab.course.catch_up`'s steps
    #: when the student skipped it), e.g. lab 06 stands on lab 05's two registered web servers ("05.3").
    after: str | None = None

    @property
    def stem(self) -> str:
        return f"{self.id}-{self.slug}"

    def display_title(self) -> str:
        return _(self.title)


LABS: tuple[LabInfo, ...] = (
    LabInfo("00", "quickstart", N_("The whole picture in ten minutes"), None, "quickstart", 10),
    LabInfo("01", "network", N_("The network: a VPC over two Availability Zones"), None),
    LabInfo("02", "security-groups", N_("Security groups: internet → ALB → app → DB"), "network"),
    LabInfo("03", "key-pair-bastion", N_("A key pair and a bastion host"), "network", after="02.3"),
    LabInfo("04", "launch-template", N_("The launch template and the web app"), "keys"),
    LabInfo("05", "health-checks", N_("Target group and health checks"), "compute"),
    LabInfo("06", "load-balancer", N_("The Application Load Balancer"), "compute", after="05.3"),
    LabInfo("07", "auto-scaling-group", N_("The Auto Scaling group"), "loadbalancing", after="06.4"),
    LabInfo("08", "scaling-policies", N_("CloudWatch and the four scaling policies"), "autoscaling", minutes=40),
    LabInfo("09", "database", N_("The database tier"), "autoscaling"),
    LabInfo("10", "edge", N_("The edge: Route 53, S3 and CloudFront"), "scaling"),
    LabInfo("11", "observability", N_("Observability: the four data flows"), "scaling"),
    LabInfo("12", "failure-drill", N_("Drill: an app server fails"), "scaling", "drill", 20),
    LabInfo("13", "surge-drill", N_("Drill: a traffic surge, 100 → 1,000 users"), "scaling", "drill", 25),
)


def lab_info(lab_id: str) -> LabInfo:
    """The lab with id ``"05"`` (or ``"5"``, or its slug)."""
    key = lab_id.strip()
    for info in LABS:
        if key in (info.id, info.slug, info.stem) or (key.isdigit() and int(key) == int(info.id)):
            return info
    from ..errors import ValidationError

    raise ValidationError("lab", lab_id, _("there is no lab with that id"),
                          _("The labs are: {labs}.").format(labs=", ".join(f"{i.id} {i.slug}" for i in LABS)))
