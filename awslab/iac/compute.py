"""The launch template (and the app servers' IAM role) as CloudFormation.

The user data is a script that names the database's endpoint and the secret holding its password. In the
template both become references (``${Database.Endpoint.Address}``, ``${DatabaseSecret}``) inside ``!Sub``,
so a copy's servers talk to the copy's database. Every other ``${`` of the script is written ``${!`` (a
literal ``${`` in ``!Sub``).
"""
from __future__ import annotations

import base64
import json
from typing import Any

from ..layers.compute import describe_compute
from ..webapp.cwagent import AGENT_POLICY_ARN
from .template import Base64, GetAtt, Ref, Sub, Template

__all__ = ["export_compute"]

ASSUME_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}


def export_compute(lab: Any, t: Template, database: dict | None) -> None:
    found = describe_compute(lab)
    versions = {(v["LaunchTemplateId"], v["VersionNumber"]): v for v in found["launch_template_versions"]}
    for lt in found["launch_templates"]:
        version = versions.get((lt["LaunchTemplateId"], lt["DefaultVersionNumber"]))
        if version is None:
            continue
        data = _template_data(lab, t, version["LaunchTemplateData"], database)
        t.add("AppLaunchTemplate", "AWS::EC2::LaunchTemplate", {
            "LaunchTemplateName": t.named(lt["LaunchTemplateName"]), "LaunchTemplateData": data,
            "TagSpecifications": [{"ResourceType": "launch-template", "Tags": t.tags(lt.get("Tags"))}]},
            (lt["LaunchTemplateId"], lt["LaunchTemplateName"]))


def _template_data(lab: Any, t: Template, data: dict, database: dict | None) -> dict[str, Any]:
    image = t.parameter("ImageId", Type="AWS::EC2::Image::Id", Default=data["ImageId"],
                        Description="The app servers' AMI (an AMI ID belongs to one region: pick the region's Amazon "
                                    "Linux 2023 image)")
    out: dict[str, Any] = {"ImageId": image, "InstanceType": data.get("InstanceType"),
                           "SecurityGroupIds": [t.ref(g) for g in data.get("SecurityGroupIds", [])] or None,
                           "Monitoring": data.get("Monitoring"), "MetadataOptions": data.get("MetadataOptions"),
                           "TagSpecifications": [{"ResourceType": s["ResourceType"], "Tags": t.tags(s.get("Tags"))}
                                                 for s in data.get("TagSpecifications", [])] or None}
    if data.get("KeyName"):
        t.parameter("KeyName", Type="String", Default="",
                    Description="An EC2 key pair in the region for SSH through the bastion (empty: no key)")
        t.conditions["HasKeyName"] = {"Fn::Not": [{"Fn::Equals": [Ref("KeyName"), ""]}]}
        out["KeyName"] = {"Fn::If": ["HasKeyName", Ref("KeyName"), Ref("AWS::NoValue")]}
    if data.get("IamInstanceProfile"):
        out["IamInstanceProfile"] = {"Arn": GetAtt(_role(lab, t, database), "Arn")}
    if data.get("UserData"):
        out["UserData"] = Base64(_user_data(t, base64.b64decode(data["UserData"]).decode(), database))
    return {k: v for k, v in out.items() if v is not None}


def _user_data(t: Template, script: str, database: dict | None) -> Sub:
    text = script.replace("${", "${!")
    if database:
        if database.get("address"):
            text = text.replace(database["address"], "${Database.Endpoint.Address}")
        if database.get("secret_arn"):
            text = text.replace(database["secret_arn"], "${DatabaseSecret}")
    return Sub(text)


def _role(lab: Any, t: Template, database: dict | None) -> str:
    """The app servers' role (read the DB secret; send logs through the CloudWatch agent) and its instance profile."""
    iam = lab.client("iam")
    role_name, profile_name = lab.resource_name("app-role"), lab.resource_name("app-profile")
    role = iam.get_role(RoleName=role_name)["Role"]
    policies = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        policies.append({"PolicyName": name, "PolicyDocument": _secret_refs(t, document, database)})
    managed = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
    t.add("AppRole", "AWS::IAM::Role", {
        "RoleName": t.named(role_name), "Description": role.get("Description"), "AssumeRolePolicyDocument": ASSUME_EC2,
        "Policies": policies, "ManagedPolicyArns": managed or [AGENT_POLICY_ARN], "Tags": t.tags(role.get("Tags"))})
    return t.add("AppInstanceProfile", "AWS::IAM::InstanceProfile", {
        "InstanceProfileName": t.named(profile_name), "Roles": [Ref("AppRole")]}, (profile_name,))


def _secret_refs(t: Template, document: Any, database: dict | None) -> Any:
    """The policy with the DB secret's ARN as ``!Ref DatabaseSecret`` (a secret's Ref is its ARN)."""
    if isinstance(document, str):
        document = json.loads(document)
    secret = (database or {}).get("secret_arn")
    for statement in document.get("Statement", []):
        if secret and statement.get("Resource") == secret:
            statement["Resource"] = Ref("DatabaseSecret")
    return document
