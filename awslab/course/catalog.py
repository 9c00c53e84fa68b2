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

__all__ = ["LabInfo", "LABS", "lab_info", "COURSE_LAB", "TAUGHT_IN"]

#: The lab name every per-layer lab shares, so each builds on the previous ones.
#: (The quickstart and the drills use names of their own: their teardown never touches the course.)
COURSE_LAB = "awslab"

#: The lab whose tasks build each builder layer. The builder builds the database before the launch
#: template (the web app's user data names the database's endpoint), but the course teaches it in lab 09,
#: after scaling: so :func:`awslab.course.start` leaves out every layer taught in this lab or a later one,
#: and no lab's start() does a later lab's tasks (docs/decisions.md, "The course").
TAUGHT_IN = {"network": "01", "security": "02", "keys": "03", "bastion": "03", "compute": "04",
             "loadbalancing": "06", "autoscaling": "07", "scaling": "08", "database": "09", "edge": "10"}


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

    def skipped_layers(self) -> tuple[str, ...]:
        """The layers up to :attr:`needs` that start() leaves out: this lab or a later one teaches them."""
        from ..layers.stack import LAYERS

        if self.needs is None:
            return ()
        built = LAYERS[: LAYERS.index(self.needs) + 1]
        return tuple(layer for layer in built if TAUGHT_IN.get(layer, "00") >= self.id)


LABS: tuple[LabInfo, ...] = (
    LabInfo("00", "quickstart", N_("The whole picture in ten minutes"), None, "quickstart", 10),
    LabInfo("01", "network", N_("The network: a VPC over two Availability Zones"), None),
    LabInfo("02", "security-groups", N_("Security groups: internet → ALB → app → DB"), "network"),
    LabInfo("03", "key-pair-bastion", N_("A key pair and a bastion host"), "network", after="02.3"),
    LabInfo("04", "launch-template", N_("The launch template and the web app"), "bastion"),
    LabInfo("05", "health-checks", N_("Target group and health checks"), "compute"),
    LabInfo("06", "load-balancer", N_("The Application Load Balancer"), "compute", after="05.3"),
    LabInfo("07", "auto-scaling-group", N_("The Auto Scaling group"), "loadbalancing", after="06.4"),
    LabInfo("08", "scaling-policies", N_("CloudWatch and the four scaling policies"), "autoscaling", minutes=40),
    LabInfo("09", "database", N_("The database tier"), "autoscaling"),
    LabInfo("10", "edge", N_("The edge: Route 53, S3 and CloudFront"), "scaling"),
    LabInfo("11", "observability", N_("Observability: the four data flows"), "scaling"),
    LabInfo("12", "failure-drill", N_("Drill: an app server fails"), "scaling", "drill", 20),
    LabInfo("13", "surge-drill", N_("Drill: a traffic surge, 100 → 1,000 users"), "scaling", "drill", 25),
    LabInfo("14", "az-outage", N_("Drill: an Availability Zone goes down"), "scaling", "drill", 25),
    LabInfo("15", "policy-comparison", N_("Drill: the scaling policies compared, measured"), "scaling", "drill", 30),
    LabInfo("16", "health-check-tuning", N_("Drill: tuning the health check"), "scaling", "drill", 30),
    LabInfo("17", "bad-deploy", N_("Drill: a bad deploy, rolled back by an instance refresh"), "scaling", "drill", 25),
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
