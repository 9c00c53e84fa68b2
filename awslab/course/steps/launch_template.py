"""Lab 04's catch-up steps: the launch template's two versions, and one server launched from its default version."""
from __future__ import annotations

from typing import Any

from ..prepare import step

IMDSV2_AND_MONITORING = {"MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
                         "Monitoring": {"Enabled": True}}


@step("04.1")
def _template(lab: Any, resources: dict) -> dict:
    from ...checks.launch_template import INSTANCE_TYPE, _group_id, template_name
    from ...layers.compute import find_al2023_ami
    from ...webapp import user_data_base64

    ec2 = lab.client("ec2")
    name = template_name(lab)
    found = ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": [name]}])["LaunchTemplates"]
    if not found:
        data = {"ImageId": find_al2023_ami(lab), "InstanceType": INSTANCE_TYPE, "SecurityGroupIds": [_group_id(lab, "app")],
                "KeyName": f"{lab.name}-key", "UserData": user_data_base64(80),
                "TagSpecifications": lab.tag_spec("instance", f"{lab.name}-app")}
        found = [ec2.create_launch_template(LaunchTemplateName=name, VersionDescription="v1: the web app",
                                            LaunchTemplateData=data,
                                            TagSpecifications=lab.tag_spec("launch-template", name))["LaunchTemplate"]]
    return {"launch_template_id": found[0]["LaunchTemplateId"]}


@step("04.2")
def _version_two(lab: Any, resources: dict) -> dict:
    from ...checks.launch_template import _imds_monitoring_problem, the_template, version_data

    ec2 = lab.client("ec2")
    lt = the_template(lab)
    default = int(lt["DefaultVersionNumber"])
    if _imds_monitoring_problem(version_data(lab, lt, str(default)).get("LaunchTemplateData", {})) is not None:
        v = ec2.create_launch_template_version(LaunchTemplateId=lt["LaunchTemplateId"], SourceVersion=str(default),
                                               VersionDescription="v2: IMDSv2 and detailed monitoring",
                                               LaunchTemplateData=IMDSV2_AND_MONITORING)["LaunchTemplateVersion"]
        default = int(v["VersionNumber"])
        ec2.modify_launch_template(LaunchTemplateId=lt["LaunchTemplateId"], DefaultVersion=str(default))
    return {"launch_template_id": lt["LaunchTemplateId"], "default_version": default}


@step("04.3")
def _first_server(lab: Any, resources: dict) -> dict:
    from ...checks.launch_template import launched_from, the_template
    from ...checks.probes import by_name, lab_items

    ec2 = lab.client("ec2")
    lt = the_template(lab)
    mine = launched_from(lab, lt)
    if mine:
        instance_id = mine[0]["InstanceId"]
    else:
        subnet = by_name(lab_items(lab, "describe_subnets", "Subnets"), f"{lab.name}-private-a")[0]["SubnetId"]
        instance_id = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"]}, SubnetId=subnet,
                                        MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    return {"instance_id": instance_id}
