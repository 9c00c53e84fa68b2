"""Teardown: delete everything a lab created, in dependency order, found by its tag.

Nothing here remembers what was built: every resource is found by its
``awslab:lab`` tag, so teardown works after a kernel restart, a crash halfway
through a build, or from the CLI (``awslab teardown``).

AWS refuses to delete a thing that something else still uses: a VPC with subnets, a subnet with an
instance in it (even one that is ``shutting-down``), a security group an instance or another group
still uses, a target group behind a listener. And several deletions finish in the background: an
Auto Scaling group is "Delete in progress" until its instances are terminated, an instance is
``shutting-down`` for a while, a NAT gateway, an RDS instance and a load balancer take minutes. So
teardown runs in four steps:

1. start every deletion AWS finishes in the background (Auto Scaling groups, instances, RDS, NAT
   gateways, CloudFront distributions), so they all run at once;
2. meanwhile delete what goes at once (Route 53, S3, alarms, load balancers, launch templates, keys);
3. wait for step 1, bounded, at the backend's pace (:mod:`awslab.layers.waits`);
4. delete what those were holding: target groups, IAM, security groups, Elastic IPs, then the network.
"""
from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.exceptions import ClientError, WaiterError

from .. import config
from ..errors import AwslabError
from ..i18n import _
from ..lab import Lab
from ._base import Built, lab_nat_gateways, paginate
from .teardown_background import AGAIN, BackgroundDeletions, has_lab_tag
from .waits import Wait, pace_of, wait_for, waiter

__all__ = ["Deleted", "TeardownReport", "teardown", "find_lab_resources"]


@dataclass
class Deleted(Built):
    service: str
    resource_type: str
    resource_id: str


@dataclass
class TeardownReport(Built):
    """What teardown deleted, what it could not, and what (if anything) still carries the lab's tag.

    ``waited_s`` is the wall time spent waiting for deletions AWS finishes in the background;
    ``clock_advanced_s`` the simulated seconds teardown moved the embedded cloud's clock itself
    (only when that clock runs in virtual mode or is paused: then time passes only when told).
    """

    lab: str
    deleted: list[Deleted] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)
    waited_s: float = 0.0
    clock_advanced_s: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.errors and not self.remaining

    def headline(self) -> str:
        return _("Teardown of lab '{lab}': deleted {n} resources.").format(lab=self.lab, n=len(self.deleted))

    def outcome(self) -> list[str]:
        """What is left to know after the list of deletions: errors, the clock, what remains."""
        lines = [f"  ! {e}" for e in self.errors]
        if self.clock_advanced_s:
            lines.append(_("The simulated clock moves only when told (virtual mode or paused): teardown moved it "
                           "{seconds:.0f} s so the deletions could finish.").format(seconds=self.clock_advanced_s))
        if self.remaining:
            lines.append(_("Still tagged with the lab (delete by hand or run teardown again):"))
            lines += [f"  ? {r}" for r in self.remaining]
        elif not self.errors:
            lines.append(_("Nothing tagged with this lab remains."))
        return lines

    def summary(self) -> str:
        deleted = [f"  - {d.service} {d.resource_type} {d.resource_id}" for d in self.deleted]
        return "\n".join([self.headline(), *deleted, *self.outcome()])

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """The headline and the outcome; the list of deletions folded under the headline (it runs to dozens)."""
        deleted = "\n".join(f"{d.service} {d.resource_type} {d.resource_id}" for d in self.deleted)
        colour = "#1a7f37" if self.clean else "#b42318"
        outcome = html.escape("\n".join(line.strip() for line in self.outcome()))
        return (f"<div style='border-left:4px solid {colour};padding:4px 10px'><details><summary>"
                f"{html.escape(self.headline())}</summary><pre style='white-space:pre-wrap'>{html.escape(deleted)}</pre>"
                f"</details><div style='white-space:pre-wrap'>{outcome}</div></div>")


class _Teardown(BackgroundDeletions):
    def __init__(self, lab: Lab):
        self.lab = lab
        self.report = TeardownReport(lab.name)
        self.pace = pace_of(lab)
        # What step 1 started and step 3 waits for.
        self.group_names: list[str] = []
        self.db_ids: list[str] = []
        self.nat_ids: list[str] = []
        self.lb_arns: list[str] = []
        self.tg_arns: list[str] = []
        self.distribution_ids: list[str] = []

    def step(self, service: str, rtype: str, rid: str, fn: Callable[[], Any]) -> bool:
        try:
            fn()
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if "NotFound" in code or "NoSuch" in code or code.endswith(".NotFound"):
                return False  # already gone: that is what we wanted
            self.report.errors.append(f"{service} {rtype} {rid}: [{code}] {e.response.get('Error', {}).get('Message', e)}")
            return False
        except (WaiterError, AwslabError) as e:
            self.report.errors.append(f"{service} {rtype} {rid}: {e}")
            return False
        self.report.deleted.append(Deleted(service, rtype, rid))
        return True

    def wait(self, w: Wait) -> None:
        start = time.monotonic()
        try:
            self.report.clock_advanced_s += wait_for(w, self.pace)[1]
        finally:
            self.report.waited_s += time.monotonic() - start

    def ec2_filters(self) -> list[dict]:
        return self.lab.lab_filters()

    def run(self) -> TeardownReport:
        phases = (
            # 1. start what finishes in the background
            self.stop_draining, self.autoscaling, self.instances, self.rds, self.cloudfront_disable, self.nat_gateways,
            # 2. what goes at once
            self.route53, self.s3, self.cloudwatch, self.load_balancers, self.launch_templates, self.key_pairs,
            # 3. wait, bounded
            self.wait_for_groups, self.wait_for_instances, self.wait_for_databases, self.wait_for_nat_gateways,
            self.wait_for_load_balancers,
            # 4. what those held, then the network
            self.cloudfront_delete, self.certificates, self.delete_target_groups, self.iam, self.db_subnet_groups, self.security_groups,
            self.elastic_ips, self.wait_for_service_interfaces, self.vpcs)
        for phase in phases:
            try:
                phase()
            except (ClientError, WaiterError, AwslabError) as e:  # report and carry on: later phases may still free things
                self.report.errors.append(f"{phase.__name__}: {e}")
        self.report.remaining = [f"{r.service} {r.resource_type} {r.resource_id}" for r in find_lab_resources(self.lab)]
        return self.report

    # -- 2. what goes at once ---------------------------------------------------------------
    def route53(self) -> None:
        r53 = self.lab.client("route53")
        for zone in paginate(r53, "list_hosted_zones", "HostedZones"):
            zid = zone["Id"].split("/")[-1]
            tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid).get("ResourceTagSet", {}).get("Tags", [])
            if not has_lab_tag(tags, self.lab):
                continue
            changes = [{"Action": "DELETE", "ResourceRecordSet": rr}
                       for rr in paginate(r53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zid)
                       if rr["Type"] not in ("SOA", "NS") or rr["Name"].rstrip(".") != zone["Name"].rstrip(".")]
            if changes:
                self.step("route53", "record-sets", zid, lambda: r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": changes}))
            self.step("route53", "hosted-zone", f"{zid} ({zone['Name']})", lambda: r53.delete_hosted_zone(Id=zid))

    def s3(self) -> None:
        s3 = self.lab.client("s3")
        # S3 tags a bucket only after CreateBucket, so a build interrupted between the two leaves
        # an untagged bucket. The lab's own site bucket is recognised by its name as well.
        from .edge import site_bucket_name

        own = site_bucket_name(self.lab, self.lab.client("sts").get_caller_identity()["Account"])
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            try:
                tags = s3.get_bucket_tagging(Bucket=name).get("TagSet", [])
            except ClientError:
                tags = []
            if not (has_lab_tag(tags, self.lab) or name == own):
                continue

            def delete(name: str = name) -> None:
                for v in paginate(s3, "list_object_versions", "Versions", Bucket=name):
                    s3.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"])
                for m in paginate(s3, "list_object_versions", "DeleteMarkers", Bucket=name):
                    s3.delete_object(Bucket=name, Key=m["Key"], VersionId=m["VersionId"])
                for o in paginate(s3, "list_objects_v2", "Contents", Bucket=name):
                    s3.delete_object(Bucket=name, Key=o["Key"])
                s3.delete_bucket(Bucket=name)

            self.step("s3", "bucket", name, delete)

    def cloudwatch(self) -> None:
        cw = self.lab.client("cloudwatch")
        for alarm in paginate(cw, "describe_alarms", "MetricAlarms"):
            tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags", [])
            if has_lab_tag(tags, self.lab):
                self.step("cloudwatch", "alarm", alarm["AlarmName"], lambda a=alarm: cw.delete_alarms(AlarmNames=[a["AlarmName"]]))
        logs = self.lab.client("logs")
        for group in paginate(logs, "describe_log_groups", "logGroups"):
            try:
                tags = logs.list_tags_for_resource(resourceArn=group["arn"].rstrip("*").rstrip(":")).get("tags", {})
            except ClientError:
                tags = logs.list_tags_log_group(logGroupName=group["logGroupName"]).get("tags", {})
            if has_lab_tag(tags, self.lab):
                self.step("logs", "log-group", group["logGroupName"], lambda g=group: logs.delete_log_group(logGroupName=g["logGroupName"]))

    def _elbv2_tagged(self, arns: list[str]) -> set[str]:
        elb = self.lab.client("elbv2")
        ours = set()
        for i in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
            for d in elb.describe_tags(ResourceArns=arns[i:i + 20])["TagDescriptions"]:
                if has_lab_tag(d.get("Tags"), self.lab):
                    ours.add(d["ResourceArn"])
        return ours

    def load_balancers(self) -> None:
        elb = self.lab.client("elbv2")
        lbs = [lb["LoadBalancerArn"] for lb in paginate(elb, "describe_load_balancers", "LoadBalancers")]
        for arn in sorted(self._elbv2_tagged(lbs)):
            for listener in paginate(elb, "describe_listeners", "Listeners", LoadBalancerArn=arn):
                self.step("elbv2", "listener", listener["ListenerArn"].split("/", 1)[-1], lambda l=listener: elb.delete_listener(ListenerArn=l["ListenerArn"]))
            if self.step("elbv2", "load-balancer", arn.split("/", 1)[-1], lambda arn=arn: elb.delete_load_balancer(LoadBalancerArn=arn)):
                self.lb_arns.append(arn)

    def launch_templates(self) -> None:
        ec2 = self.lab.client("ec2")
        for lt in paginate(ec2, "describe_launch_templates", "LaunchTemplates", Filters=self.ec2_filters()):
            self.step("ec2", "launch-template", lt["LaunchTemplateId"], lambda lt=lt: ec2.delete_launch_template(LaunchTemplateId=lt["LaunchTemplateId"]))

    def key_pairs(self) -> None:
        ec2 = self.lab.client("ec2")
        for kp in ec2.describe_key_pairs(Filters=self.ec2_filters()).get("KeyPairs", []):
            name = kp["KeyName"]
            if self.step("ec2", "key-pair", name, lambda name=name: ec2.delete_key_pair(KeyName=name)):
                try:
                    from .keys import delete_key_files
                except ImportError:
                    continue
                for path in delete_key_files(self.lab, name) or []:
                    self.report.deleted.append(Deleted("local", "key-file", str(path)))

    # -- 4. what they held, then the network ----------------------------------------------------
    def cloudfront_delete(self) -> None:
        cf = self.lab.client("cloudfront")
        for did in self.distribution_ids:
            def delete(did: str = did) -> None:
                if self.lab.backend == "aws":  # disabled in step 1; deletable once deployed again
                    self.wait(waiter(cf, "distribution_deployed", _("the CloudFront distribution {id} to deploy as disabled")
                                     .format(id=did), AGAIN, Id=did))
                cf.delete_distribution(Id=did, IfMatch=cf.get_distribution_config(Id=did)["ETag"])

            self.step("cloudfront", "distribution", did, delete)
        # An Origin Access Control can't carry tags; the lab's own is known by its name.
        for oac in lab_origin_access_controls(self.lab):
            def delete_oac(oid: str = oac["Id"]) -> None:
                cf.delete_origin_access_control(Id=oid, IfMatch=cf.get_origin_access_control(Id=oid)["ETag"])

            self.step("cloudfront", "origin-access-control", oac["Id"], delete_oac)

    def certificates(self) -> None:
        """The lab's ACM certificates, once the load balancers that used them are gone (ACM refuses before)."""
        acm = self.lab.client("acm")
        for cert in paginate(acm, "list_certificates", "CertificateSummaryList"):
            arn = cert["CertificateArn"]
            if has_lab_tag(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"), self.lab):
                self.step("acm", "certificate", arn.rsplit("/", 1)[-1], lambda arn=arn: acm.delete_certificate(CertificateArn=arn))

    def iam(self) -> None:
        """The app servers' role and instance profile (they let the app read the database password)."""
        from .compute import delete_instance_profile

        for name in delete_instance_profile(self.lab):
            self.report.deleted.append(Deleted("iam", "role" if name.endswith("-role") else "instance-profile", name))

    def db_subnet_groups(self) -> None:
        rds = self.lab.client("rds")
        for g in paginate(rds, "describe_db_subnet_groups", "DBSubnetGroups"):
            tags = rds.list_tags_for_resource(ResourceName=g["DBSubnetGroupArn"]).get("TagList", [])
            if has_lab_tag(tags, self.lab):
                self.step("rds", "db-subnet-group", g["DBSubnetGroupName"], lambda g=g: rds.delete_db_subnet_group(DBSubnetGroupName=g["DBSubnetGroupName"]))

    def security_groups(self) -> None:
        ec2 = self.lab.client("ec2")
        groups = list(paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=self.ec2_filters()))
        # Groups refer to each other (app <- alb, db <- app): remove those rules first, or AWS
        # refuses to delete a group that another group's rule still names (DependencyViolation).
        for g in groups:
            refs = [p for p in g.get("IpPermissions", []) if p.get("UserIdGroupPairs")]
            if refs:
                self.step("ec2", "security-group-rules", g["GroupId"], lambda g=g, refs=refs: ec2.revoke_security_group_ingress(GroupId=g["GroupId"], IpPermissions=refs))
            refs = [p for p in g.get("IpPermissionsEgress", []) if p.get("UserIdGroupPairs")]
            if refs:
                self.step("ec2", "security-group-egress-rules", g["GroupId"], lambda g=g, refs=refs: ec2.revoke_security_group_egress(GroupId=g["GroupId"], IpPermissions=refs))
        for g in groups:
            self.step("ec2", "security-group", f"{g['GroupId']} ({g['GroupName']})", lambda g=g: ec2.delete_security_group(GroupId=g["GroupId"]))

    def elastic_ips(self) -> None:
        ec2 = self.lab.client("ec2")
        for a in ec2.describe_addresses(Filters=self.ec2_filters()).get("Addresses", []):
            if a.get("AssociationId"):
                self.step("ec2", "elastic-ip-association", a["AssociationId"], lambda a=a: ec2.disassociate_address(AssociationId=a["AssociationId"]))
            self.step("ec2", "elastic-ip", a["AllocationId"], lambda a=a: ec2.release_address(AllocationId=a["AllocationId"]))

    def network_acls(self) -> None:
        """The lab's own network ACLs (an AZ-outage drill's, left running): their subnets go back to the VPC's
        default NACL (a NACL in use can't be deleted), then the NACL goes."""
        ec2 = self.lab.client("ec2")
        for acl in paginate(ec2, "describe_network_acls", "NetworkAcls", Filters=self.ec2_filters()):
            if acl.get("IsDefault"):
                continue
            default = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [acl["VpcId"]]},
                                                         {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
            for assoc in acl.get("Associations", []) if default else []:
                self.step("ec2", "network-acl-association", assoc["NetworkAclAssociationId"],
                          lambda a=assoc, d=default[0]: ec2.replace_network_acl_association(
                              AssociationId=a["NetworkAclAssociationId"], NetworkAclId=d["NetworkAclId"]))
            self.step("ec2", "network-acl", acl["NetworkAclId"], lambda a=acl: ec2.delete_network_acl(NetworkAclId=a["NetworkAclId"]))

    def vpcs(self) -> None:
        ec2 = self.lab.client("ec2")
        for rt in paginate(ec2, "describe_route_tables", "RouteTables", Filters=self.ec2_filters()):
            for assoc in rt.get("Associations", []):
                if not assoc.get("Main"):
                    self.step("ec2", "route-table-association", assoc["RouteTableAssociationId"],
                              lambda a=assoc: ec2.disassociate_route_table(AssociationId=a["RouteTableAssociationId"]))
            self.step("ec2", "route-table", rt["RouteTableId"], lambda rt=rt: ec2.delete_route_table(RouteTableId=rt["RouteTableId"]))
        for igw in paginate(ec2, "describe_internet_gateways", "InternetGateways", Filters=self.ec2_filters()):
            for att in igw.get("Attachments", []):
                self.step("ec2", "internet-gateway-attachment", f"{igw['InternetGatewayId']} -> {att['VpcId']}",
                          lambda i=igw, a=att: ec2.detach_internet_gateway(InternetGatewayId=i["InternetGatewayId"], VpcId=a["VpcId"]))
            self.step("ec2", "internet-gateway", igw["InternetGatewayId"], lambda i=igw: ec2.delete_internet_gateway(InternetGatewayId=i["InternetGatewayId"]))
        vpcs = list(paginate(ec2, "describe_vpcs", "Vpcs", Filters=self.ec2_filters()))
        for vpc in vpcs:
            # Interfaces left behind and detached (moto keeps a deleted NAT gateway's) would block the subnet.
            for eni in paginate(ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]):
                if eni.get("Status") == "available":
                    self.step("ec2", "network-interface", eni["NetworkInterfaceId"], lambda e=eni: ec2.delete_network_interface(NetworkInterfaceId=e["NetworkInterfaceId"]))
        self.network_acls()
        for subnet in paginate(ec2, "describe_subnets", "Subnets", Filters=self.ec2_filters()):
            self.step("ec2", "subnet", subnet["SubnetId"], lambda s=subnet: ec2.delete_subnet(SubnetId=s["SubnetId"]))
        for vpc in vpcs:
            self.step("ec2", "vpc", vpc["VpcId"], lambda v=vpc: ec2.delete_vpc(VpcId=v["VpcId"]))


def find_lab_resources(lab: Lab) -> list[Deleted]:
    """Probe: every live resource that still carries this lab's tag, in every service the lab uses."""
    found: list[Deleted] = []
    ec2 = lab.client("ec2")
    f = lab.lab_filters()
    checks = [("vpc", "describe_vpcs", "Vpcs", "VpcId", "Filters"), ("subnet", "describe_subnets", "Subnets", "SubnetId", "Filters"),
              ("security-group", "describe_security_groups", "SecurityGroups", "GroupId", "Filters"),
              ("route-table", "describe_route_tables", "RouteTables", "RouteTableId", "Filters"),
              ("internet-gateway", "describe_internet_gateways", "InternetGateways", "InternetGatewayId", "Filters"),
              ("launch-template", "describe_launch_templates", "LaunchTemplates", "LaunchTemplateId", "Filters")]
    for rtype, op, key, idkey, param in checks:
        found += [Deleted("ec2", rtype, x[idkey]) for x in paginate(ec2, op, key, **{param: f})]
    found += [Deleted("ec2", "nat-gateway", n["NatGatewayId"]) for n in lab_nat_gateways(lab)]
    found += [Deleted("ec2", "elastic-ip", a["AllocationId"]) for a in ec2.describe_addresses(Filters=f).get("Addresses", [])]
    found += [Deleted("ec2", "key-pair", k["KeyName"]) for k in ec2.describe_key_pairs(Filters=f).get("KeyPairs", [])]
    live = [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped", "shutting-down"]}]
    found += [Deleted("ec2", "instance", i["InstanceId"]) for r in paginate(ec2, "describe_instances", "Reservations", Filters=f + live)
              for i in r["Instances"]]
    tagging = lab.client("resourcegroupstaggingapi")
    seen = {d.resource_id for d in found}
    for r in paginate(tagging, "get_resources", "ResourceTagMappingList", TagFilters=[{"Key": config.LAB_TAG, "Values": [lab.name]}]):
        arn = r["ResourceARN"]
        if not any(s in arn for s in seen) and not _arn_gone(lab, arn):
            found.append(Deleted(arn.split(":")[2], "arn", arn))
    found += [Deleted("cloudfront", "origin-access-control", o["Id"]) for o in lab_origin_access_controls(lab)]
    iam = lab.client("iam")
    for rtype, op, kw in (("role", "get_role", "RoleName"), ("instance-profile", "get_instance_profile", "InstanceProfileName")):
        name = lab.resource_name("app-role" if rtype == "role" else "app-profile")
        try:
            getattr(iam, op)(**{kw: name})
            found.append(Deleted("iam", rtype, name))
        except ClientError:
            pass
    asg = lab.client("autoscaling")
    found += [Deleted("autoscaling", "auto-scaling-group", g["AutoScalingGroupName"])
              for g in paginate(asg, "describe_auto_scaling_groups", "AutoScalingGroups") if has_lab_tag(g.get("Tags"), lab)]
    return found


def lab_origin_access_controls(lab: Lab) -> list[dict]:
    """The lab's CloudFront Origin Access Controls, found by name (they can't be tagged)."""
    cf = lab.client("cloudfront")
    items = cf.list_origin_access_controls().get("OriginAccessControlList", {}).get("Items", []) or []
    return [o for o in items if o.get("Name") == lab.resource_name("site-oac")]


def _arn_gone(lab: Lab, arn: str) -> bool:
    """The tagging API can list a resource that is terminated or being deleted; those don't count."""
    if ":instance/" in arn:
        iid = arn.rsplit("/", 1)[-1]
        try:
            r = lab.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"]
        except ClientError:
            return True
        return all(i["State"]["Name"] in ("terminated", "shutting-down") for x in r for i in x["Instances"])
    if ":natgateway/" in arn:
        return True  # checked above with its state
    return False


def teardown(lab: Lab) -> TeardownReport:
    """Delete everything ``lab`` created, found by its tag, and report what was deleted.

    Safe to run any number of times: a second run finds nothing and deletes nothing.
    """
    report = _Teardown(lab).run()
    lab.clear_cli_log()
    return report
