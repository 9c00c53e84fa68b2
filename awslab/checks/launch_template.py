"""Lab 04, the launch template and the web app: the blueprint every app server is stamped from.

Launch templates and their versions: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-launch-templates.html
(versions are immutable; new launches use the default version unless told otherwise). IMDSv2:
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html. Detailed monitoring:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-basic-detailed.html.
"""
from __future__ import annotations

import base64
import binascii
import fnmatch
from typing import Any

from ..i18n import N_, _
from .health_checks import is_private
from .probes import LAB_TAG, by_name, lab_instances, lab_items, label, name_of, tags_of
from .registry import not_yet, ok, question, task

#: Amazon Linux 2023, x86_64, the standard image (awslab.layers.compute.AL2023_NAME_FILTER).
AL2023 = "al2023-ami-2023.*-x86_64"
INSTANCE_TYPE = "t3.micro"
#: The user data's systemd unit: the script that installs and starts the lab's web app (awslab.webapp.user_data).
WEBAPP_UNIT = "awslab-webapp"


def template_name(lab: Any) -> str:
    return f"{lab.name}-app-lt"


def the_template(lab: Any, task_id: str = "04.1") -> dict:
    """The lab's launch template ``<lab>-app-lt``, or a not-yet naming the task that makes it."""
    ec2 = lab.client("ec2")
    name = template_name(lab)
    found = [t for t in ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": [name]}])
             .get("LaunchTemplates", [])]
    if not found:
        raise not_yet(_("There is no launch template named {name} yet (task {task}).").format(name=name, task=task_id),
                      f"aws ec2 create-launch-template --launch-template-name {name} --launch-template-data file://lt.json")
    return found[0]


def version_data(lab: Any, template: dict, version: str) -> dict:
    """``LaunchTemplateData`` of one version ("1", "$Default", "$Latest") as describe-launch-template-versions gives it."""
    got = lab.client("ec2").describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"],
                                                              Versions=[version])["LaunchTemplateVersions"]
    return got[0] if got else {}


def _group_id(lab: Any, role: str) -> str | None:
    found = by_name(lab_items(lab, "describe_security_groups", "SecurityGroups"), f"{lab.name}-{role}-sg")
    return found[0]["GroupId"] if found else None


def _image_problem(lab: Any, image_id: str | None) -> str | None:
    """Why ``image_id`` is not the newest Amazon Linux 2023 x86_64 image, or None."""
    if not image_id:
        return _("It has no ImageId: an instance needs an AMI to boot from.")
    ec2 = lab.client("ec2")
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": [AL2023]}])["Images"]
    mine = next((i for i in images if i["ImageId"] == image_id), None)
    if mine is None:
        return _("Its ImageId {ami} is not an Amazon Linux 2023 x86_64 image owned by Amazon (names "
                 "{pattern}).").format(ami=image_id, pattern=AL2023)
    newest = max(i.get("CreationDate", "") for i in images)
    if mine.get("CreationDate", "") < newest:
        return _("Its ImageId {ami} ({created}) is not the newest Amazon Linux 2023 image ({newest}): a new server "
                 "should start from the newest patches.").format(ami=image_id, created=mine.get("CreationDate"),
                                                                 newest=newest)
    return None


def _decoded_user_data(data: dict) -> str | None:
    raw = data.get("UserData")
    if not raw:
        return None
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def _instance_tags(data: dict) -> dict[str, str]:
    specs = [s for s in data.get("TagSpecifications", []) if s.get("ResourceType") == "instance"]
    return {t["Key"]: t["Value"] for s in specs for t in s.get("Tags", [])}


def _settings_problem(lab: Any, data: dict) -> tuple[str, str] | None:
    """The first of v1's settings that is not the lab's: (message, what to put in the next version), or None."""
    app_sg, alb_sg = _group_id(lab, "app"), _group_id(lab, "alb")
    image = _image_problem(lab, data.get("ImageId"))
    if image:
        return image, '"ImageId": "<the newest AL2023 AMI>"'
    if data.get("InstanceType") != INSTANCE_TYPE:
        return (_("Its InstanceType is {got}; the course sizes its load for {want}.").format(
            got=data.get("InstanceType"), want=INSTANCE_TYPE), f'"InstanceType": "{INSTANCE_TYPE}"')
    groups = list(data.get("SecurityGroupIds") or []) + [g for n in data.get("NetworkInterfaces", []) for g in n.get("Groups", [])]
    if groups != [app_sg]:
        fix = f'"SecurityGroupIds": ["{app_sg}"]'
        if alb_sg in groups:
            return (_("Its security groups are {got}: the ALB's group would open the servers to the internet. An app "
                      "server carries the app group {app} alone.").format(got=", ".join(groups), app=app_sg), fix)
        return (_("Its security groups are {got}; an app server carries the app group {app} alone.").format(
            got=", ".join(groups) or _("none"), app=app_sg), fix)
    if any(n.get("AssociatePublicIpAddress") for n in data.get("NetworkInterfaces", [])):
        return (_("It gives each server a public IP address; app servers live in private subnets and are reached "
                  "through the load balancer only."), '"NetworkInterfaces": [] (no public IP)')
    if data.get("KeyName") != f"{lab.name}-key":
        return (_("Its KeyName is {got}; the lab's servers use the key pair {want} (lab 03).").format(
            got=data.get("KeyName") or _("none"), want=f"{lab.name}-key"), f'"KeyName": "{lab.name}-key"')
    script = _decoded_user_data(data)
    if not script or not script.startswith("#!") or WEBAPP_UNIT not in script:
        return (_("Its UserData is not the script that installs and starts the lab's web app (awslab.webapp.user_data, "
                  "base64-encoded)."), '"UserData": "<base64 of user_data(80)>"')
    tags = _instance_tags(data)
    if tags.get("Name") != f"{lab.name}-app" or tags.get(LAB_TAG) != lab.name:
        return (_("The instances it launches would not carry the tags Name={name} and awslab:lab={lab}: lab 05's "
                  "checks and the teardown find the servers by them.").format(name=f"{lab.name}-app", lab=lab.name),
                '"TagSpecifications": lab.tag_spec("instance", f"{lab.name}-app")')
    return None


@task("04.1", N_("Create the launch template awslab-app-lt (version 1) with the AMI, type, app group, key and user data"))
def launch_template(lab: Any) -> Any:
    lt = the_template(lab)
    name, lt_id = lt["LaunchTemplateName"], lt["LaunchTemplateId"]
    if tags_of(lt).get(LAB_TAG) != lab.name:
        raise not_yet(_("{template} has no tag awslab:lab={lab}, so the later labs and the teardown cannot find it.").format(
            template=label(lt_id, name), lab=lab.name),
            f"aws ec2 create-tags --resources {lt_id} --tags Key=Name,Value={name} Key=awslab:lab,Value={lab.name}")
    v1 = version_data(lab, lt, "1")
    problem = _settings_problem(lab, v1.get("LaunchTemplateData", {}))
    if problem:
        raise not_yet(_("Version 1 of {template}: {problem} A version cannot change: make a new one that fixes it (or "
                        "delete the template and create it again).").format(template=name, problem=problem[0]),
                      f"aws ec2 create-launch-template-version --launch-template-id {lt_id} --source-version 1 "
                      f"--launch-template-data '{{{problem[1]}}}'")
    data = v1["LaunchTemplateData"]
    return ok(_("{template} version 1: {ami}, {type}, the app group, key pair {key}, the web app's user data, instances "
                "named {app}.").format(template=name, ami=data["ImageId"], type=data["InstanceType"],
                                       key=data["KeyName"], app=f"{lab.name}-app"), [label(lt_id, name)])


def _imds_monitoring_problem(data: dict) -> str | None:
    options = data.get("MetadataOptions") or {}
    if options.get("HttpTokens") != "required":
        return _("it does not say HttpTokens=required (it says {got}), so whether IMDSv1 stays off is left to the "
                 "image and the account's defaults.").format(got=options.get("HttpTokens") or _("nothing"))
    if options.get("HttpEndpoint", "enabled") != "enabled":
        return _("it turns the metadata service off (HttpEndpoint disabled): the app could not learn which instance "
                 "and AZ it runs in.")
    if not (data.get("Monitoring") or {}).get("Enabled"):
        return _("it leaves detailed monitoring off (Monitoring Enabled false): CPU would come every 5 minutes, not "
                 "every minute.")
    return None


@task("04.2", N_("Version 2: require IMDSv2, turn on detailed monitoring, and make it the default"))
def version_two(lab: Any) -> Any:
    lt = the_template(lab, "04.1")
    name, lt_id = lt["LaunchTemplateName"], lt["LaunchTemplateId"]
    default, latest = int(lt["DefaultVersionNumber"]), int(lt["LatestVersionNumber"])
    fix_new = (f"aws ec2 create-launch-template-version --launch-template-id {lt_id} --source-version 1 "
               "--launch-template-data '{\"MetadataOptions\": {\"HttpTokens\": \"required\"}, "
               "\"Monitoring\": {\"Enabled\": true}}'")
    if default == 1:
        ready = latest > 1 and _imds_monitoring_problem(version_data(lab, lt, "$Latest").get("LaunchTemplateData", {})) is None
        if ready:
            raise not_yet(_("Version {n} of {template} is ready, but the default version is still 1, and new launches "
                            "use the default.").format(n=latest, template=name),
                          f"aws ec2 modify-launch-template --launch-template-id {lt_id} --default-version {latest}")
        raise not_yet(_("{template} has {n} version(s) and its default is version 1: there is no version 2 with IMDSv2 "
                        "and detailed monitoring yet.").format(template=name, n=latest), fix_new)
    data = version_data(lab, lt, str(default)).get("LaunchTemplateData", {})
    problem = _imds_monitoring_problem(data)
    if problem:
        raise not_yet(_("The default version {n} of {template}: {problem}").format(n=default, template=name,
                                                                                  problem=problem), fix_new)
    kept = _settings_problem(lab, data)
    if kept:
        raise not_yet(_("The default version {n} of {template} lost version 1's settings: {problem} A new version "
                        "holds only what you give it, unless you build it on a SourceVersion.").format(
            n=default, template=name, problem=kept[0]), fix_new)
    return ok(_("{template}: the default version {n} requires IMDSv2 and sends 1-minute metrics; version 1 is "
                "unchanged.").format(template=name, n=default), [label(lt_id, name), f"DefaultVersionNumber {default}"])


def launched_from(lab: Any, template: dict) -> list[dict]:
    """The lab's running or pending instances launched from ``template`` by hand (not by an Auto Scaling group)."""
    return [i for i in lab_instances(lab) if tags_of(i).get("aws:ec2launchtemplate:id") == template["LaunchTemplateId"]
            and "aws:autoscaling:groupName" not in tags_of(i)]


@task("04.3", N_("Launch one app server from the template's default version in private subnet a"))
def first_server(lab: Any) -> Any:
    lt = the_template(lab, "04.1")
    default = str(lt["DefaultVersionNumber"])
    mine = launched_from(lab, lt)
    if not mine:
        raise not_yet(_("No instance launched from {template} is running yet.").format(template=lt["LaunchTemplateName"]),
                      f"aws ec2 run-instances --launch-template LaunchTemplateName={lt['LaunchTemplateName']} "
                      f"--subnet-id <{lab.name}-private-a>")
    if len(mine) > 1:
        raise not_yet(_("{n} instances were launched from {template} ({ids}); the lab needs one. Terminate the "
                        "others.").format(n=len(mine), template=lt["LaunchTemplateName"],
                                          ids=", ".join(i["InstanceId"] for i in mine)),
                      "aws ec2 terminate-instances --instance-ids " + " ".join(i["InstanceId"] for i in mine[1:]))
    i = mine[0]
    iid, version = i["InstanceId"], tags_of(i).get("aws:ec2launchtemplate:version")
    if version != default:
        raise not_yet(_("{instance} was launched from version {got}; the default version is {want}. Omit the version "
                        "(or say $Default) so that new servers follow the default.").format(
            instance=iid, got=version, want=default), f"aws ec2 terminate-instances --instance-ids {iid}")
    subnets = {s["SubnetId"]: s for s in lab_items(lab, "describe_subnets", "Subnets")}
    subnet = subnets.get(i.get("SubnetId"), {})
    if not subnet or not is_private(lab, subnet) or i.get("PublicIpAddress"):
        raise not_yet(_("{instance} is in {subnet} (public IP: {ip}); an app server belongs in a private subnet, with "
                        "no public IP, where the internet cannot reach it.").format(
            instance=iid, subnet=name_of(subnet) or i.get("SubnetId"), ip=i.get("PublicIpAddress") or _("none")),
            f"aws ec2 terminate-instances --instance-ids {iid}")
    if i["State"]["Name"] != "running":
        raise not_yet(_("{instance} is still {state}: an instance takes some seconds to boot. Wait for it.").format(
            instance=iid, state=i["State"]["Name"]), "ec2.get_waiter('instance_running').wait(InstanceIds=[...])")
    tokens = (i.get("MetadataOptions") or {}).get("HttpTokens")
    monitoring = (i.get("Monitoring") or {}).get("State")
    return ok(_("{instance} is running in {subnet} ({az}), launched from version {v}: HttpTokens {tokens}, monitoring "
                "{monitoring}.").format(instance=iid, subnet=name_of(subnet), az=subnet.get("AvailabilityZone"),
                                        v=version, tokens=tokens, monitoring=monitoring),
              [label(iid, name_of(i)), i.get("PrivateIpAddress", "")])


question("04.q1", N_("You create version 3 of the template with a newer AMI and make it the default. What happens to the "
                     "server that is running from version 2?"),
         [N_("It is patched to the new AMI at its next reboot."),
          N_("Nothing: an instance keeps what it was launched with. Only new launches use version 3, so you replace the "
             "old servers."),
          N_("EC2 stops it, because its version is no longer the default."),
          N_("It moves to version 3 at once.")],
         answer=1,
         why=N_("A launch template is read only at launch: a server keeps what it was launched with (its "
                "aws:ec2launchtemplate:version tag says which version), and only the instance's own API changes it, "
                "as modify-instance-metadata-options did. The seed's 'Immutable Infrastructure': servers are replaced, "
                "not modified (an Auto Scaling group's instance refresh does it for a whole group)."),
         hints={0: N_("A reboot keeps the same root volume; nothing re-reads the template."),
                2: N_("EC2 never stops an instance because a template changed."),
                3: N_("The template is a blueprint for launches; a running instance has no link back to it.")})

question("04.q2", N_("Why require IMDSv2 (HttpTokens=required)?"),
         [N_("IMDSv2 answers faster."),
          N_("A bug that makes the server fetch a URL an attacker picks (SSRF) can send a plain GET, but not the PUT "
             "with a custom header that IMDSv2 needs first; so it cannot read the instance's role credentials."),
          N_("IMDSv1 is not available on Amazon Linux 2023."),
          N_("IMDSv2 encrypts the metadata.")],
         answer=1,
         why=N_("With IMDSv1 one GET to 169.254.169.254 returns the instance role's credentials, so any SSRF bug leaks "
                "them. IMDSv2 first needs a PUT with the X-aws-ec2-metadata-token-ttl-seconds header; a PUT carrying "
                "X-Forwarded-For (one that came through a proxy) is refused, and the token's answer is limited to "
                "HttpPutResponseHopLimit hops. You saw the 401 a tokenless GET gets."),
         hints={0: N_("It takes one more request, if anything."),
                2: N_("AL2023's images ask for IMDSv2 (ImdsSupport v2.0), but a launch or a change can still turn "
                      "tokens optional, as modify-instance-metadata-options showed."),
                3: N_("It is plain HTTP inside the instance either way; what changes is who can ask.")})

question("04.q3", N_("When does the user data script run?"),
         [N_("At every boot."),
          N_("Once, as root, at the first boot of an instance launched with it."),
          N_("Whenever the launch template gets a new version."),
          N_("When you SSH in for the first time.")],
         answer=1,
         why=N_("cloud-init runs user data scripts once, as root, late in the first boot (its output goes to "
                "/var/log/cloud-init-output.log). That is why a changed script reaches only new instances: one more "
                "reason to replace servers rather than modify them."),
         hints={0: N_("By default cloud-init runs it on the first boot only."),
                2: N_("A template change touches no running instance.")})
