"""Teardown's deletions that AWS finishes in the background: start them first, wait for them, bounded.

An Auto Scaling group is "Delete in progress" until its instances are terminated; an instance is
``shutting-down`` for a while (and until it is ``terminated`` it holds an address in its subnet and uses
its security groups); a NAT gateway, an RDS instance and a load balancer take minutes, and the network
interfaces a service kept in the subnets go a little after it. Teardown starts all of these before
anything else, so they run at once, and waits for each before deleting what it holds
(:mod:`awslab.layers.waits`: AWS's own waiters where they exist, bounded, at the backend's pace).
"""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .. import config
from ._base import lab_nat_gateways, paginate, tag_value
from .waits import Wait, waiter
from ..i18n import N_, _

__all__ = ["BackgroundDeletions", "DELETE_IN_PROGRESS", "NOT_TERMINATED"]

#: DescribeAutoScalingGroups' Status of a group whose deletion has started (until its instances are terminated).
DELETE_IN_PROGRESS = "Delete in progress"
#: Instance states that still hold an address in a subnet (and use a security group).
NOT_TERMINATED = ["pending", "running", "stopping", "stopped", "shutting-down"]
#: What to do when a wait reaches its bound: nothing is lost, the tags still find everything.
AGAIN = N_("Nothing is lost: run teardown again in a few minutes; it finds what is left by its tag.")


def has_lab_tag(tags: list[dict] | dict | None, lab: Any) -> bool:
    if isinstance(tags, dict):
        return tags.get(config.LAB_TAG) == lab.name
    return tag_value(tags, config.LAB_TAG) == lab.name


class BackgroundDeletions:
    """Steps 1 and 3 of :class:`awslab.layers.teardown._Teardown` (which provides ``lab``, ``step``, ``wait``,
    ``ec2_filters`` and ``_elbv2_tagged``), and the parts of step 4 that wait."""

    lab: Any
    group_names: list[str]
    db_ids: list[str]
    nat_ids: list[str]
    lb_arns: list[str]
    tg_arns: list[str]
    distribution_ids: list[str]

    # -- 1. what AWS finishes in the background ------------------------------------------
    def stop_draining(self) -> None:
        """Deregistration delay 0 on the lab's target groups: a deleted group's instances are deregistered and
        drain for it (300 s by default) before they terminate, and a lab being deleted has no requests to finish."""
        elb = self.lab.client("elbv2")
        tgs = [tg["TargetGroupArn"] for tg in paginate(elb, "describe_target_groups", "TargetGroups")]
        self.tg_arns = sorted(self._elbv2_tagged(tgs))
        for arn in self.tg_arns:
            attrs = elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
            attrs = {a["Key"]: a["Value"] for a in attrs}
            if attrs.get("deregistration_delay.timeout_seconds") != "0":
                elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
                    {"Key": "deregistration_delay.timeout_seconds", "Value": "0"}])

    def autoscaling(self) -> None:
        asg = self.lab.client("autoscaling")
        groups = [g for g in paginate(asg, "describe_auto_scaling_groups", "AutoScalingGroups")
                  if has_lab_tag(g.get("Tags"), self.lab)]
        for g in groups:
            name = g["AutoScalingGroupName"]
            if g.get("Status") == DELETE_IN_PROGRESS:
                self.group_names.append(name)  # an earlier teardown started it: only wait for it
                continue
            for a in paginate(asg, "describe_scheduled_actions", "ScheduledUpdateGroupActions",
                              AutoScalingGroupName=name):
                self.step("autoscaling", "scheduled-action", a["ScheduledActionName"], lambda a=a: (
                    asg.delete_scheduled_action(AutoScalingGroupName=name, ScheduledActionName=a["ScheduledActionName"])))
            for p in paginate(asg, "describe_policies", "ScalingPolicies", AutoScalingGroupName=name):
                # Deleting a target tracking policy also deletes the alarms it created.
                self.step("autoscaling", "scaling-policy", p["PolicyName"],
                          lambda p=p: asg.delete_policy(AutoScalingGroupName=name, PolicyName=p["PolicyName"]))
            # ForceDelete: the group terminates its instances (it is "Delete in progress" until they are terminated).
            if self.step("autoscaling", "auto-scaling-group", name,
                         lambda name=name: asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)):
                self.group_names.append(name)

    def _live_instances(self, states: list[str]) -> list[dict]:
        ec2 = self.lab.client("ec2")
        live = [{"Name": "instance-state-name", "Values": states}]
        return [i for r in paginate(ec2, "describe_instances", "Reservations", Filters=self.ec2_filters() + live)
                for i in r["Instances"]]

    def instances(self) -> None:
        """Terminate the lab's instances, except those of a group being deleted (the group terminates its own)."""
        ec2 = self.lab.client("ec2")
        ids = [i["InstanceId"] for i in self._live_instances(["pending", "running", "stopping", "stopped"])
               if tag_value(i.get("Tags"), "aws:autoscaling:groupName") not in self.group_names]
        if ids:
            self.step("ec2", "instances", " ".join(ids), lambda: ec2.terminate_instances(InstanceIds=ids))

    def rds(self) -> None:
        rds = self.lab.client("rds")
        for db in paginate(rds, "describe_db_instances", "DBInstances"):
            if not has_lab_tag(db.get("TagList"), self.lab):
                continue
            ident = db["DBInstanceIdentifier"]

            def delete(ident: str = ident) -> None:
                rds.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)

            if db.get("DBInstanceStatus") == "deleting" or self.step("rds", "db-instance", ident, delete):
                self.db_ids.append(ident)

    def cloudfront_disable(self) -> None:
        """A distribution must be disabled, and (on AWS) deployed again, before it can be deleted."""
        cf = self.lab.client("cloudfront")
        for d in cf.list_distributions().get("DistributionList", {}).get("Items", []) or []:
            tags = cf.list_tags_for_resource(Resource=d["ARN"]).get("Tags", {}).get("Items", [])
            if not has_lab_tag(tags, self.lab):
                continue
            self.distribution_ids.append(d["Id"])
            got = cf.get_distribution_config(Id=d["Id"])
            if got["DistributionConfig"].get("Enabled"):
                conf = dict(got["DistributionConfig"], Enabled=False)
                cf.update_distribution(Id=d["Id"], IfMatch=got["ETag"], DistributionConfig=conf)

    def nat_gateways(self) -> None:
        ec2 = self.lab.client("ec2")
        for n in lab_nat_gateways(self.lab, states=("pending", "available", "deleting")):
            nid = n["NatGatewayId"]
            if n["State"] == "deleting" or self.step("ec2", "nat-gateway", nid,
                                                      lambda nid=nid: ec2.delete_nat_gateway(NatGatewayId=nid)):
                self.nat_ids.append(nid)

    # -- 3. wait for step 1, bounded, at the backend's pace ------------------------------------
    def wait_for_groups(self) -> None:
        if not self.group_names:
            return
        asg, names = self.lab.client("autoscaling"), sorted(self.group_names)

        def gone() -> bool:
            return not asg.describe_auto_scaling_groups(AutoScalingGroupNames=names)["AutoScalingGroups"]

        # AWS's SDKs have no waiter for this. Bound: the instance_terminated waiter's 10 min, plus 5 for draining.
        self.wait(Wait(_("the Auto Scaling group {names} to finish deleting (it is listed with Status \"Delete in progress\" "
                       "until its instances are terminated)").format(
                           names=", ".join(names)), gone, _(AGAIN), 15.0, 900.0))

    def wait_for_instances(self) -> None:
        """Every lab instance terminated, ``shutting-down`` ones too: until then each holds an address in its
        subnet and uses its security groups, and AWS refuses to delete either (DependencyViolation)."""
        ec2 = self.lab.client("ec2")
        left = self._live_instances(NOT_TERMINATED)
        late = [i["InstanceId"] for i in left if i["State"]["Name"] != "shutting-down"]
        if late:  # launched meanwhile, or left by a group whose deletion did not finish
            self.step("ec2", "instances", " ".join(late), lambda: ec2.terminate_instances(InstanceIds=late))
        ids = sorted(i["InstanceId"] for i in left)
        if ids:
            self.wait(waiter(ec2, "instance_terminated", _("the instances {ids} to be terminated").format(
                ids=", ".join(ids)),
                             _(AGAIN), InstanceIds=ids))

    def wait_for_databases(self) -> None:
        rds = self.lab.client("rds")
        for ident in self.db_ids:
            self.wait(waiter(rds, "db_instance_deleted", _("the RDS instance {name} to be deleted").format(
                name=ident), _(AGAIN),
                             DBInstanceIdentifier=ident))

    def wait_for_nat_gateways(self) -> None:
        if self.nat_ids:
            self.wait(waiter(self.lab.client("ec2"), "nat_gateway_deleted", _("the NAT gateways {ids} to be deleted (their "
                             "Elastic IPs can be released only after)").format(ids=", ".join(self.nat_ids)), _(AGAIN),
                             NatGatewayIds=self.nat_ids))

    def wait_for_load_balancers(self) -> None:
        if self.lb_arns:
            names = ", ".join(a.split("/")[-2] for a in self.lb_arns)
            self.wait(waiter(self.lab.client("elbv2"), "load_balancers_deleted", _("the load balancers {names} to be deleted")
                             .format(names=names), _(AGAIN), LoadBalancerArns=self.lb_arns))

    # -- 4. deletions that wait for AWS to let go --------------------------------------------
    def delete_target_groups(self) -> None:
        elb = self.lab.client("elbv2")
        for arn in self.tg_arns:
            self.step("elbv2", "target-group", arn.split("/", 1)[-1], lambda arn=arn: self._delete_target_group(elb, arn))

    def _delete_target_group(self, elb: Any, arn: str) -> None:
        """Delete, retrying while AWS still counts the deleted load balancer's listener as using it (ResourceInUse)."""
        def deleted() -> bool:
            try:
                elb.delete_target_group(TargetGroupArn=arn)
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") == "ResourceInUse":
                    return False
                raise
            return True

        self.wait(Wait(_("the target group {name} to be released by its load balancer").format(name=arn.split("/")[-2]),
                       deleted, _(AGAIN), 15.0, 300.0))

    def wait_for_service_interfaces(self) -> None:
        """Network interfaces a service keeps in the lab's subnets (a load balancer's, a NAT gateway's, RDS's)
        go a little after the service itself; until then AWS refuses to delete the subnet."""
        ec2 = self.lab.client("ec2")
        vpcs = [v["VpcId"] for v in paginate(ec2, "describe_vpcs", "Vpcs", Filters=self.ec2_filters())]

        def held() -> list[str]:
            if not vpcs:
                return []
            return [e["NetworkInterfaceId"] for e in paginate(ec2, "describe_network_interfaces", "NetworkInterfaces",
                                                              Filters=[{"Name": "vpc-id", "Values": vpcs}])
                    if e.get("RequesterManaged") and e.get("Status") == "in-use"]

        first = held()
        if first:
            self.wait(Wait(_("the network interfaces {ids} that AWS services kept in the lab's subnets to go").format(
                ids=", ".join(first)), lambda: not held(), _(AGAIN), 15.0, 600.0))
