"""Layer 6, compute: the launch template every app server is stamped from.

A **launch template** holds what a new instance needs: the image (AMI), the
instance type, the security group, the key pair, monitoring, the metadata
service settings, the tags, and the **user data** that installs and starts the
lab's web app (:func:`awslab.webapp.user_data`) at first boot.

Launch template versions are immutable. You never edit one: you create a new
version and make it the default. That is the seed's *immutable infrastructure*
("Immutable Infrastructure: 서버 수정 대신 교체", replace servers instead of
modifying them). A running server is never patched in place. The Auto Scaling
group launches new instances from the new version, and the old ones are
replaced (for example by an instance refresh). Every server is then exactly
what the template says ("cattle, not pets").
"""
from __future__ import annotations

import json
import shlex
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from .. import config
from ..errors import ComputeError, ValidationError
from ..lab import Lab
from ..webapp import user_data_base64
from ..webapp.cwagent import AGENT_POLICY_ARN, log_group_for
from . import spec_types, validate
from ._base import Built, call, check_image, check_instance_type, cli_tag_list, cli_tags, paginate, tag_spec, tag_value
from ..i18n import _

LAYER = "compute"
__all__ = ["LaunchTemplateSpec", "LaunchTemplate", "build_launch_template", "ensure_launch_template", "ensure_instance_profile",
           "find_al2023_ami", "describe_compute", "delete_instance_profile", "AL2023_NAME_FILTER", "FALLBACK_AMI"]

#: Amazon Linux 2023 x86_64 images are named al2023-ami-2023.<release>-kernel-<k>-x86_64 ("minimal" images say
#: al2023-ami-minimal-..., which this pattern leaves out). Owner alias "amazon".
#: https://docs.aws.amazon.com/linux/al2023/ug/ec2.html (finding the AL2023 AMI with describe-images)
AL2023_NAME_FILTER = "al2023-ami-2023.*-x86_64"
#: Used only if describe_images finds no AL2023 image in ap-northeast-2: the AL2023 kernel-6.1 x86_64 AMI that the
#: pinned moto (5.2.5) serves there (its resources/latest_amis/ap-northeast-2.json). On real AWS the lookup finds a newer one.
FALLBACK_AMI = {"ap-northeast-2": "ami-06e9e3574a0459db2"}
#: Engines whose wire protocol the web app speaks (PyMySQL).
MYSQL_ENGINES = ("mysql", "mariadb")


@dataclass
class LaunchTemplateSpec:
    """What each app server looks like. ``None`` means: derive it (newest AL2023 AMI, the app group's port).

    ``detailed_monitoring`` is on by default: it sends EC2 metrics every minute
    instead of every five. AWS strongly recommends it for scaling, because the
    alarms then see a load change in 1 minute rather than 5
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/enable-as-instance-metrics.html).
    Launch templates default to basic monitoring.
    """

    name: str | None = None  # default "<lab>-app-lt"
    instance_type: str = "t3.micro"
    image_id: str | None = None
    app_port: int | None = None
    detailed_monitoring: bool = True
    db_name: str = "awslab"  # the MySQL database the app creates and uses


@dataclass
class LaunchTemplate(Built):
    """The template, and the version new instances use (the default version)."""

    launch_template_id: str
    name: str
    version: int
    image_id: str
    instance_type: str
    app_port: int
    latest_version: int
    detailed_monitoring: bool
    instance_profile_arn: str | None
    created: list[str] = field(default_factory=list)


def check_spec(lab: Lab, spec: LaunchTemplateSpec | None, app_port: int | None,
               engine: str | None = None) -> tuple[LaunchTemplateSpec, str, int]:
    """Check the spec on its own, against the port the app group admits and the database's engine, before any AWS
    call that creates (EC2 is asked whether the type and image exist). Returns the spec, the name and the app port."""
    spec = spec_types.spec(spec, LaunchTemplateSpec, "compute")
    name = validate.LAUNCH_TEMPLATE_NAME.check("name", spec.name if spec.name is not None else lab.resource_name("app-lt"))
    port = validate.port("app_port", spec.app_port if spec.app_port is not None else (app_port or 80))
    if app_port is not None and port != app_port:
        raise ValidationError("app_port", port, _("the app security group admits port {sg} only, so the ALB could not reach {port}").format(
            sg=app_port, port=port), _("Use app_port={sg}, or rebuild security with SecuritySpec(app_port={port}).").format(
            sg=app_port, port=port))
    validate.MYSQL_DATABASE_NAME.check("db_name", spec.db_name)
    if engine is not None and engine not in MYSQL_ENGINES:
        raise ValidationError("database.engine", engine, _("the lab's web app speaks the MySQL protocol (PyMySQL)"),
                              _("Build the database with DatabaseSpec(engine='mysql') or 'mariadb'."))
    check_instance_type(lab, "instance_type", spec.instance_type)
    if spec.image_id is not None:
        check_image(lab, "image_id", spec.image_id)
    return spec, name, port


def validate_spec(lab: Lab, security: Any, spec: LaunchTemplateSpec | None,
                  database: Any) -> tuple[LaunchTemplateSpec, str, int]:
    """Check the spec and the layers it stands on before anything is created."""
    checked = check_spec(lab, spec, getattr(security, "app_port", None),
                         getattr(database, "engine", "mysql") if database is not None else None)
    if database is not None and not getattr(database, "endpoint_address", None):
        raise ValidationError("database.endpoint_address", None, _("the database has no endpoint yet (it is still being created)"),
                              _("Build it with DatabaseSpec(wait=True), or build the launch template once it is 'available'."))
    return checked


def build_launch_template(lab: Lab, security: Any, key: Any, spec: LaunchTemplateSpec | None = None,
                          database: Any = None) -> LaunchTemplate:
    """Ensure the app servers' launch template (and, with a database, the role that reads its password)."""
    spec, name, port = validate_spec(lab, security, spec, database)
    image_id = spec.image_id or find_al2023_ami(lab)
    created: list[str] = []
    _record_user_data(lab, port, database, spec.db_name)
    db_url, secret_arn, profile_arn = None, None, None
    if database is not None:
        db_url = _db_url(database, spec.db_name)
        secret_arn = getattr(database, "master_user_secret_arn", None)
        if secret_arn:  # the role comes with the database, on every backend (docs/decisions.md says why)
            profile_arn = ensure_instance_profile(lab, secret_arn, created)
    script = user_data_base64(port, db_url, secret_arn, log_group=log_group_for(lab.name))  # with the CloudWatch agent
    data = _template_data(lab, spec, image_id, security, key, script, profile_arn)
    lt_id, default, latest = ensure_launch_template(lab, name, data, created)
    _record(lab, name, data)
    return LaunchTemplate(lt_id, name, default, image_id, spec.instance_type, port, latest, spec.detailed_monitoring,
                          profile_arn, created)


def _db_url(database: Any, db_name: str) -> str:
    """mysql://<master user>@<endpoint>:<port>/<db> - no password: it comes from Secrets Manager at boot."""
    user = urllib.parse.quote(getattr(database, "master_username", "admin"), safe="")
    return f"mysql://{user}@{database.endpoint_address}:{database.port}/{db_name}"


def _template_data(lab: Lab, spec: LaunchTemplateSpec, image_id: str, security: Any, key: Any, user_data: str,
                   profile_arn: str | None) -> dict[str, Any]:
    instance_tags = lab.tags(lab.resource_name("app"), LAYER)
    data: dict[str, Any] = {
        "ImageId": image_id,
        "InstanceType": spec.instance_type,
        "SecurityGroupIds": [security.app_sg_id],
        "Monitoring": {"Enabled": bool(spec.detailed_monitoring)},
        # IMDSv2 only: a metadata request needs a session token, which blocks SSRF tricks that steal role credentials
        # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html).
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
        "UserData": user_data,
        # Instances and their volumes launched from the template carry the lab's tags, so teardown finds them.
        "TagSpecifications": tag_spec(instance_tags, "instance", "volume"),
    }
    if key is not None:
        data["KeyName"] = key.key_name
    if profile_arn:
        data["IamInstanceProfile"] = {"Arn": profile_arn}
    return data


def find_al2023_ami(lab: Lab) -> str:
    """The newest Amazon Linux 2023 x86_64 AMI in the lab's region (a probe). See :data:`FALLBACK_AMI`."""
    filters = [{"Name": "name", "Values": [AL2023_NAME_FILTER]}, {"Name": "architecture", "Values": ["x86_64"]},
               {"Name": "state", "Values": ["available"]}]
    images = call(lab.client("ec2").describe_images, _("looking up the Amazon Linux 2023 AMI"), error=ComputeError,
                  Owners=["amazon"], Filters=filters)["Images"]
    if images:
        return max(images, key=lambda i: (i.get("CreationDate", ""), i.get("Name", "")))["ImageId"]
    if lab.region in FALLBACK_AMI:
        return FALLBACK_AMI[lab.region]
    raise ComputeError(_("No Amazon Linux 2023 x86_64 AMI was found in {region}.").format(region=lab.region),
                       _("Pass LaunchTemplateSpec(image_id='ami-...') with an AMI from that region."))


def _normal(data: dict[str, Any]) -> dict[str, Any]:
    """The template data in a form where equal settings compare equal (order of lists and tags ignored)."""
    out = dict(data)
    if "SecurityGroupIds" in out:
        out["SecurityGroupIds"] = sorted(out["SecurityGroupIds"])
    out["TagSpecifications"] = sorted((t["ResourceType"], sorted((x["Key"], x["Value"]) for x in t.get("Tags", [])))
                                      for t in data.get("TagSpecifications", []) if t["ResourceType"] in ("instance", "volume"))
    return out


def _differs(have: dict[str, Any], want: dict[str, Any]) -> bool:
    have_n, want_n = _normal(have), _normal(want)
    return any(have_n.get(k) != v for k, v in want_n.items()) or (("KeyName" in have) != ("KeyName" in want)) \
        or (("IamInstanceProfile" in have) != ("IamInstanceProfile" in want))


def ensure_launch_template(lab: Lab, name: str, data: dict[str, Any], created: list[str]) -> tuple[str, int, int]:
    """The template by name; a new default version if its latest version differs. Returns (id, default, latest)."""
    ec2 = lab.client("ec2")
    found = list(paginate(ec2, "describe_launch_templates", "LaunchTemplates", Filters=lab.lab_filters(name)))
    if not found:
        lt = call(ec2.create_launch_template, _("creating the launch template"), error=ComputeError, LaunchTemplateName=name,
                  LaunchTemplateData=data, TagSpecifications=tag_spec(lab.tags(name, LAYER), "launch-template"))["LaunchTemplate"]
        created.append(lt["LaunchTemplateId"])
        return lt["LaunchTemplateId"], int(lt["DefaultVersionNumber"]), int(lt["LatestVersionNumber"])
    lt_id = found[0]["LaunchTemplateId"]
    latest = call(ec2.describe_launch_template_versions, _("reading the launch template"), error=ComputeError,
                  LaunchTemplateId=lt_id, Versions=["$Latest"])["LaunchTemplateVersions"][0]
    if not _differs(latest.get("LaunchTemplateData", {}), data):
        return lt_id, int(found[0]["DefaultVersionNumber"]), int(latest["VersionNumber"])
    # Versions are immutable: the change becomes a new version, made the default for new launches.
    version = call(ec2.create_launch_template_version, _("adding a launch template version"), error=ComputeError,
                   LaunchTemplateId=lt_id, LaunchTemplateData=data,
                   VersionDescription="awslab: settings changed")["LaunchTemplateVersion"]["VersionNumber"]
    call(ec2.modify_launch_template, _("making the new version the default"), error=ComputeError,
         LaunchTemplateId=lt_id, DefaultVersion=str(version))
    created.append(f"{lt_id}:{version}")
    lab.record("compute/launch-template-version", f"aws ec2 create-launch-template-version --launch-template-id $LT_ID "
               f"--launch-template-data file://lt-data.json\naws ec2 modify-launch-template --launch-template-id $LT_ID "
               f"--default-version {version}", _("A changed template is a new version (versions are immutable), made the default"))
    return lt_id, int(version), int(version)


ROLE_DESCRIPTION = "awslab app servers: read the DB secret"
#: The AWS managed policy that makes an instance a Systems Manager managed node (its SSM agent registers and runs
#: Run Command): https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html
SSM_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ASSUME_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}


def ensure_instance_profile(lab: Lab, secret_arn: str, created: list[str]) -> str:
    """An instance profile whose role may read only the database's secret (least privilege), send the app's logs
    (CloudWatch agent) and make the instance a Systems Manager managed node (SSM agent). Returns its ARN."""
    iam = lab.client("iam")
    role, profile = lab.resource_name("app-role"), lab.resource_name("app-profile")
    tags = lab.tags(role, LAYER)
    from botocore.exceptions import ClientError

    try:
        _claim(lab, "role", role, iam.get_role(RoleName=role)["Role"], lambda: iam.tag_role(RoleName=role, Tags=tags))
    except ClientError:
        call(iam.create_role, _("creating the app servers' IAM role"), error=ComputeError, RoleName=role,
             AssumeRolePolicyDocument=json.dumps(ASSUME_EC2), Tags=tags, Description=ROLE_DESCRIPTION)
        created.append(role)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}]}
    call(iam.put_role_policy, _("allowing the role to read the DB secret"), error=ComputeError, RoleName=role,
         PolicyName="read-db-secret", PolicyDocument=json.dumps(policy))
    # The CloudWatch agent in the user data sends the app's logs with this role's credentials.
    call(iam.attach_role_policy, _("allowing the role to send the app's logs (CloudWatch agent)"), error=ComputeError,
         RoleName=role, PolicyArn=AGENT_POLICY_ARN)
    # The SSM agent (on Amazon Linux 2023 already) registers the instance as a managed node with it (Run Command).
    call(iam.attach_role_policy, _("allowing the role to be a Systems Manager managed node (SSM agent)"),
         error=ComputeError, RoleName=role, PolicyArn=SSM_POLICY_ARN)
    try:
        found = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
        _claim(lab, "instance profile", profile, found,
               lambda: iam.tag_instance_profile(InstanceProfileName=profile, Tags=lab.tags(profile, LAYER)))
    except ClientError:
        found = call(iam.create_instance_profile, _("creating the instance profile"), error=ComputeError,
                     InstanceProfileName=profile, Tags=lab.tags(profile, LAYER))["InstanceProfile"]
        created.append(profile)
    if role not in [r["RoleName"] for r in found.get("Roles", [])]:
        call(iam.add_role_to_instance_profile, _("putting the role in the instance profile"), error=ComputeError,
             InstanceProfileName=profile, RoleName=role)
    _record_role(lab, role, profile, tags, policy)
    return found["Arn"]


def _record_role(lab: Lab, role: str, profile: str, tags: list[dict], policy: dict) -> None:
    """The CLI log's commands for the role, its policies and its instance profile."""
    q = shlex.quote
    shown = json.dumps(dict(policy, Statement=[dict(policy["Statement"][0], Resource="$DB_SECRET_ARN")])).replace('"', '\\"')
    put = f"aws iam put-role-policy --role-name {role} --policy-name read-db-secret --policy-document " f'"{shown}"\n'
    lab.record("compute/role", f"aws iam create-role --role-name {role} --assume-role-policy-document {q(json.dumps(ASSUME_EC2))} "
               f"--description {q(ROLE_DESCRIPTION)} --tags {' '.join(map(q, cli_tag_list(tags)))}\n"
               f"{put}aws iam attach-role-policy --role-name {role} --policy-arn {AGENT_POLICY_ARN}\n"
               f"aws iam attach-role-policy --role-name {role} --policy-arn {SSM_POLICY_ARN}\n"
               f"aws iam create-instance-profile --instance-profile-name {profile} "
               f"--tags {' '.join(map(q, cli_tag_list(lab.tags(profile, LAYER))))}\n"
               f"aws iam add-role-to-instance-profile --instance-profile-name {profile} --role-name {role}",
               _("A role the app servers assume (tagged, so teardown finds it): it may read the database's secret and "
                 "nothing else, send the app's logs, and make the instance an SSM managed node (Run Command)"))


def _claim(lab: Lab, what: str, name: str, found: dict, tag: Any) -> None:
    """An IAM role or profile of the lab's name is the lab's: tag it if it has no lab tag (made by hand, or by an
    older CLI log), so that teardown finds it; refuse one that another lab owns."""
    owner = tag_value(found.get("Tags"), config.LAB_TAG)
    if owner is None:
        call(tag, _("tagging the {what} {name} as this lab's").format(what=what, name=name), error=ComputeError)
    elif owner != lab.name:
        raise ComputeError(_("An IAM {what} named '{name}' exists and belongs to lab '{owner}'.").format(
            what=what, name=name, owner=owner),
                           _("Tear that lab down, or delete the {what} by hand (aws iam delete-{command} ...).").format(
                               what=what, command=what.replace(" ", "-")))


def delete_instance_profile(lab: Lab) -> list[str]:
    """Delete the lab's app role and instance profile (for teardown; IAM has no tag-based describe). Returns what went.

    Order matters: the role leaves the profile and loses its inline policy before either can be deleted.
    """
    from botocore.exceptions import ClientError

    iam, gone = lab.client("iam"), []
    role, profile = lab.resource_name("app-role"), lab.resource_name("app-profile")
    try:
        tags = iam.get_role(RoleName=role)["Role"].get("Tags", [])
    except ClientError:
        tags = None
    try:
        found = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
        _claim(lab, "instance profile", profile, found,
               lambda: iam.tag_instance_profile(InstanceProfileName=profile, Tags=lab.tags(profile, LAYER)))
    except ClientError:
        found = None
    if found is not None:
        for r in found.get("Roles", []):
            iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=r["RoleName"])
        iam.delete_instance_profile(InstanceProfileName=profile)
        gone.append(profile)
    if tags is not None and any(t["Key"] == config.LAB_TAG and t["Value"] == lab.name for t in tags):
        for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=role)
        gone.append(role)
    return gone


def _record_user_data(lab: Lab, port: int, database: Any, db_name: str) -> None:
    with_db = database is not None
    if with_db:
        ident = getattr(database, "db_instance_identifier", "$DB_INSTANCE_ID")
        user = urllib.parse.quote(getattr(database, "master_username", "admin"), safe="")
        lab.record("compute/db-url", f'export DB_URL="mysql://{user}@$DB_ENDPOINT:{database.port}/{db_name}"\n'
                   f"export DB_SECRET_ARN=$(aws rds describe-db-instances --db-instance-identifier {ident} "
                   "--query 'DBInstances[0].MasterUserSecret.SecretArn' --output text)",
                   _("Where the app finds its database; the password stays in Secrets Manager"))
    else:
        lab.record("compute/db-url", "unset DB_URL DB_SECRET_ARN", _("No database (the app's /products answers 503)"))
    db = "os.environ.get('DB_URL'), os.environ.get('DB_SECRET_ARN')" if with_db else "None, None"
    group = repr(log_group_for(lab.name))
    lab.record("compute/user-data", f"python3 -c \"import os, awslab.webapp as w; print(w.user_data({port}, {db}, log_group={group}), end='')\" "
               "> user-data.sh\nUSER_DATA_B64=$(base64 -w0 user-data.sh)",
               _("The user data that installs and starts the web app (awslab.webapp.user_data)"))


def _record(lab: Lab, name: str, data: dict[str, Any]) -> None:
    lab.record("compute/ami", ["aws", "ec2", "describe-images", "--owners", "amazon", "--filters",
               f"Name=name,Values={AL2023_NAME_FILTER}", "Name=architecture,Values=x86_64", "Name=state,Values=available"],
               _("The newest Amazon Linux 2023 AMI"), var="AMI_ID", query="sort_by(Images, &CreationDate)[-1].ImageId")
    shown = dict(data, ImageId="$AMI_ID", SecurityGroupIds=["$APP_SG_ID"], UserData="$USER_DATA_B64")
    if "IamInstanceProfile" in shown:
        shown["IamInstanceProfile"] = {"Name": lab.resource_name("app-profile")}
    lab.record("compute/lt-data", f"cat > lt-data.json <<EOF\n{json.dumps(shown, indent=1)}\nEOF",
               _("What each instance gets: AMI, type, app group, IMDSv2, detailed monitoring, user data, tags"))
    lab.record("compute/launch-template", ["aws", "ec2", "create-launch-template", "--launch-template-name", name,
               "--launch-template-data", "file://lt-data.json", "--tag-specifications",
               cli_tags("launch-template", lab.tags(name, LAYER))], _("The launch template"), var="LT_ID",
               query="LaunchTemplate.LaunchTemplateId")


def describe_compute(lab: Lab) -> dict[str, list[dict]]:
    """Probe: the lab's launch templates and each one's versions. Changes nothing."""
    ec2 = lab.client("ec2")
    templates = list(paginate(ec2, "describe_launch_templates", "LaunchTemplates", Filters=lab.lab_filters()))
    versions = [v for t in templates for v in paginate(ec2, "describe_launch_template_versions", "LaunchTemplateVersions",
                                                         LaunchTemplateId=t["LaunchTemplateId"])]
    return {"launch_templates": templates, "launch_template_versions": versions}
