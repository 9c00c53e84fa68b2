"""Lab 09, the database tier: the seed's "[Private Subnet - RDS]" at the bottom of internet -> ALB -> EC2 -> DB.

- a DB subnet group over the db subnets (one per AZ), where RDS may place the database;
- RDS for MySQL in it, not publicly accessible, in the db security group, its password kept by RDS in
  Secrets Manager (``ManageMasterUserPassword``);
- a role the app servers run as, which may read that one secret;
- a launch template version whose user data names the endpoint and fetches the password at boot.

AWS's pages: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html
(subnet groups, public access) and https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html.
"""
from __future__ import annotations

import base64
import fnmatch
import json
import re
import urllib.parse
from typing import Any

from ..i18n import N_, _
from .network import the_vpc
from .probes import lab_items, label, name_of, tags_of
from .registry import not_yet, ok, question, task
from .security_groups import group, rules, sources

#: The engine's port; lab 02's db group admits it from the app group.
MYSQL_PORT = 3306
#: A password written into a URL (``mysql://user:secret@host``); the builder's script has ``'"$DB_PASSWORD"'`` there.
PASSWORD_IN_URL = re.compile(r"mysql://[^:@'\"\s/]+:[^@'\"\s$]+@")


def names(lab: Any) -> dict[str, str]:
    """The builder's names for the lab's database tier (``awslab.layers.database`` and ``.compute``)."""
    return {"group": f"{lab.name}-db-subnets".lower(), "db": f"{lab.name}-db".lower(), "role": f"{lab.name}-app-role",
            "profile": f"{lab.name}-app-profile", "template": f"{lab.name}-app-lt"}


def tier_of(lab: Any, subnet: dict) -> str:
    """``public``, ``private`` or ``db``: the builder's tag, or the name lab 01 gives it."""
    tier = tags_of(subnet).get("awslab:tier")
    if tier:
        return tier
    name = name_of(subnet)
    for t in ("public", "private", "db"):
        if name.startswith(f"{lab.name}-{t}-"):
            return t
    return "?"


def db_subnets(lab: Any, vpc_id: str) -> list[dict]:
    """The lab's db subnets (10.0.21.0/24 and 10.0.22.0/24), sorted by AZ."""
    found = [s for s in lab_items(lab, "describe_subnets", "Subnets") if s.get("VpcId") == vpc_id and tier_of(lab, s) == "db"]
    return sorted(found, key=lambda s: s["AvailabilityZone"])


def _rds_tags(lab: Any, arn: str) -> dict[str, str]:
    return tags_of({"Tags": lab.client("rds").list_tags_for_resource(ResourceName=arn).get("TagList", [])})


def the_subnet_group(lab: Any) -> dict:
    """The DB subnet group ``<lab>-db-subnets`` (task 09.1's), or a not-yet."""
    rds, name = lab.client("rds"), names(lab)["group"]
    try:
        return rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
    except rds.exceptions.DBSubnetGroupNotFoundFault:
        raise not_yet(_("There is no DB subnet group named {name} yet.").format(name=name),
                      _("Do task 09.1: rds.create_db_subnet_group(DBSubnetGroupName=..., SubnetIds=[...], ...).")) from None


def the_db_instance(lab: Any) -> dict:
    """The DB instance ``<lab>-db`` (task 09.2's), or a not-yet."""
    rds, name = lab.client("rds"), names(lab)["db"]
    try:
        return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    except rds.exceptions.DBInstanceNotFoundFault:
        raise not_yet(_("There is no DB instance named {name} yet.").format(name=name),
                      _("Do task 09.2: rds.create_db_instance(DBInstanceIdentifier=..., ...).")) from None


@task("09.1", N_("A DB subnet group over the two db subnets"))
def subnet_group(lab: Any) -> Any:
    v = the_vpc(lab)
    g = the_subnet_group(lab)
    name = g["DBSubnetGroupName"]
    want = {s["SubnetId"]: s for s in db_subnets(lab, v["VpcId"])}
    fix = (f"aws rds modify-db-subnet-group --db-subnet-group-name {name} --subnet-ids " + " ".join(want)) if want else ""
    if g.get("VpcId") != v["VpcId"]:
        raise not_yet(_("{group} is in {got}, not in the lab's VPC {vpc}. A subnet group cannot move: delete it and create "
                        "it with the db subnets.").format(group=name, got=g.get("VpcId"), vpc=v["VpcId"]),
                      f"aws rds delete-db-subnet-group --db-subnet-group-name {name}")
    have = {s["SubnetIdentifier"]: s for s in g.get("Subnets", [])}
    by_id = {s["SubnetId"]: s for s in lab_items(lab, "describe_subnets", "Subnets")}
    strangers = [i for i in have if i not in want]
    if strangers:
        s = by_id.get(strangers[0], {"SubnetId": strangers[0]})
        raise not_yet(_("{group} holds {subnet}, a {tier} subnet. RDS may place the database in any subnet of the group; "
                        "the database tier has subnets of its own, the db subnets.").format(
            group=name, subnet=label(s["SubnetId"], name_of(s)), tier=_(tier_of(lab, s))), fix)
    missing = [i for i in want if i not in have]
    if missing:
        s = want[missing[0]]
        raise not_yet(_("{group} lacks {subnet} ({az}). RDS wants subnets in at least two AZs, so that a standby or a "
                        "replacement has somewhere to go when one AZ fails.").format(
            group=name, subnet=label(s["SubnetId"], name_of(s)), az=s["AvailabilityZone"]), fix)
    if _rds_tags(lab, g["DBSubnetGroupArn"]).get("awslab:lab") != lab.name:
        raise not_yet(_("{group} has no tag awslab:lab={lab}, so the lab's teardown would not find it.").format(
            group=name, lab=lab.name),
            f"aws rds add-tags-to-resource --resource-name {g['DBSubnetGroupArn']} --tags Key=awslab:lab,Value={lab.name}")
    azs = sorted({s["AvailabilityZone"] for s in want.values()})
    return ok(_("{group}: the db subnets in {azs}, nothing else.").format(group=name, azs=", ".join(azs)),
              [f"{label(i, name_of(s))} {s['CidrBlock']} {s['AvailabilityZone']}" for i, s in want.items()])


def _check_placement(lab: Any, db: dict, ident: str) -> None:
    """The instance's subnet group and public accessibility (09.2)."""
    group_name = (db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
    if group_name != names(lab)["group"]:
        raise not_yet(_("{db} is in the DB subnet group {got}, not in {want} (task 09.1).").format(
            db=ident, got=group_name or "-", want=names(lab)["group"]),
            f"aws rds modify-db-instance --db-instance-identifier {ident} --db-subnet-group-name {names(lab)['group']} "
            "--apply-immediately")
    if db.get("PubliclyAccessible"):
        raise not_yet(_("{db} is publicly accessible: its endpoint would resolve to a public address. Only the app "
                        "servers need it, from inside the VPC.").format(db=ident),
                      f"aws rds modify-db-instance --db-instance-identifier {ident} --no-publicly-accessible "
                      "--apply-immediately")


def _check_network(lab: Any, db: dict, ident: str) -> dict:
    """The instance's security groups: exactly the db group, which admits the instance's port (09.2)."""
    db_sg = group(lab, "db", "02.3")
    have = [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])]
    if have != [db_sg["GroupId"]]:
        raise not_yet(_("{db} is in the security group(s) {got}; it belongs in {want} alone, the group that admits "
                        "{port} from the app servers only.").format(
            db=ident, got=", ".join(have) or "-", want=label(db_sg["GroupId"], db_sg["GroupName"]), port=MYSQL_PORT),
            f"aws rds modify-db-instance --db-instance-identifier {ident} --vpc-security-group-ids {db_sg['GroupId']} "
            "--apply-immediately")
    port = int((db.get("Endpoint") or {}).get("Port") or db.get("DbInstancePort") or 0)
    if port != MYSQL_PORT or not rules(db_sg, port):
        raise not_yet(_("{db} listens on {port}; its group admits {want}. The app could not connect.").format(
            db=ident, port=port, want=MYSQL_PORT),
            f"aws rds modify-db-instance --db-instance-identifier {ident} --db-port-number {MYSQL_PORT} --apply-immediately")
    return db_sg


@task("09.2", N_("The RDS for MySQL instance: private, in the db group, its password in Secrets Manager"))
def db_instance(lab: Any) -> Any:
    db = the_db_instance(lab)
    ident = db["DBInstanceIdentifier"]
    if db.get("Engine") != "mysql":
        raise not_yet(_("{db} runs {engine}; the web app speaks MySQL. The engine cannot change: delete the instance and "
                        "create it again.").format(db=ident, engine=db.get("Engine")),
                      f"aws rds delete-db-instance --db-instance-identifier {ident} --skip-final-snapshot")
    _check_placement(lab, db, ident)
    db_sg = _check_network(lab, db, ident)
    if not (db.get("MasterUserSecret") or {}).get("SecretArn"):
        raise not_yet(_("{db}'s master password is one you chose, so it sits in your notebook. Let RDS keep it in "
                        "Secrets Manager, where the app reads it and nobody types it.").format(db=ident),
                      f"aws rds modify-db-instance --db-instance-identifier {ident} --manage-master-user-password "
                      "--apply-immediately")
    if tags_of({"Tags": db.get("TagList", [])}).get("awslab:lab") != lab.name:
        raise not_yet(_("{db} has no tag awslab:lab={lab}, so the lab's teardown would not find it.").format(
            db=ident, lab=lab.name),
            f"aws rds add-tags-to-resource --resource-name {db['DBInstanceArn']} --tags Key=awslab:lab,Value={lab.name}")
    if db.get("DBInstanceStatus") != "available":
        raise not_yet(_("{db} is {status}. RDS takes minutes to create an instance; its endpoint appears when it is "
                        "available.").format(db=ident, status=db.get("DBInstanceStatus")),
                      f"aws rds wait db-instance-available --db-instance-identifier {ident}")
    endpoint = db["Endpoint"]
    return ok(_("{db}: MySQL {version}, available at {address}:{port}; not public; only {group} admits it; the password "
                "is in Secrets Manager.").format(db=ident, version=db.get("EngineVersion"), address=endpoint["Address"],
                                                 port=endpoint["Port"], group=db_sg["GroupName"]),
              [f"{ident} {db.get('DBInstanceClass')} {db.get('AvailabilityZone')}"])


def _document(doc: Any) -> dict:
    """An IAM policy document as a dict (boto3 decodes it; a raw URL-encoded string is decoded here)."""
    if isinstance(doc, str):
        return json.loads(urllib.parse.unquote(doc))
    return doc or {}


def _statements(doc: Any) -> list[dict]:
    found = _document(doc).get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def role_statements(lab: Any, role: str) -> list[dict]:
    """Every statement of the role's inline and attached policies."""
    iam = lab.client("iam")
    found = []
    for name in iam.list_role_policies(RoleName=role).get("PolicyNames", []):
        found += _statements(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
    for p in iam.list_attached_role_policies(RoleName=role).get("AttachedPolicies", []):
        version = iam.get_policy(PolicyArn=p["PolicyArn"])["Policy"]["DefaultVersionId"]
        found += _statements(iam.get_policy_version(PolicyArn=p["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"])
    return found


def _grants(statement: dict, action: str) -> bool:
    return statement.get("Effect") == "Allow" and any(fnmatch.fnmatchcase(action.lower(), a.lower())
                                                        for a in _listed(statement.get("Action")))


def _the_secret(lab: Any) -> str:
    secret = (the_db_instance(lab).get("MasterUserSecret") or {}).get("SecretArn")
    if not secret:
        raise not_yet(_("The database has no secret yet: do task 09.2 with ManageMasterUserPassword=True first."),
                      _("Do task 09.2 first."))
    return secret


def _the_role(lab: Any) -> dict:
    iam, role = lab.client("iam"), names(lab)["role"]
    try:
        return iam.get_role(RoleName=role)["Role"]
    except iam.exceptions.NoSuchEntityException:
        raise not_yet(_("There is no IAM role named {role} yet.").format(role=role),
                      _("Do task 09.3: iam.create_role(RoleName=..., AssumeRolePolicyDocument=...).")) from None


def _check_trust(lab: Any, r: dict) -> None:
    trusts = [s for s in _statements(r.get("AssumeRolePolicyDocument")) if _grants(s, "sts:AssumeRole")
              and "ec2.amazonaws.com" in _listed((s.get("Principal") or {}).get("Service"))]
    if not trusts:
        raise not_yet(_("{role} does not trust EC2 (Principal Service ec2.amazonaws.com, sts:AssumeRole), so no instance "
                        "can run as it.").format(role=r["RoleName"]),
                      f"aws iam update-assume-role-policy --role-name {r['RoleName']} --policy-document "
                      "'{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                      "\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}'")
    if tags_of(r).get("awslab:lab") != lab.name:
        raise not_yet(_("{role} has no tag awslab:lab={lab}, so the lab's teardown would not find it.").format(
            role=r["RoleName"], lab=lab.name),
            f"aws iam tag-role --role-name {r['RoleName']} --tags Key=awslab:lab,Value={lab.name}")


@task("09.3", N_("A role that lets the app servers read the database's secret, and nothing else"))
def app_role(lab: Any) -> Any:
    secret = _the_secret(lab)
    r = _the_role(lab)
    role = r["RoleName"]
    _check_trust(lab, r)
    fix = (f"aws iam put-role-policy --role-name {role} --policy-name read-db-secret --policy-document "
           f"'{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"secretsmanager:GetSecretValue\","
           f"\"Resource\":\"{secret}\"}}]}}'")
    granting = [s for s in role_statements(lab, role) if _grants(s, "secretsmanager:GetSecretValue")]
    if not granting:
        raise not_yet(_("{role} may not call secretsmanager:GetSecretValue, so the app could not read its password.").format(
            role=role), fix)
    broad = [res for s in granting for res in _listed(s.get("Resource")) if res != secret]
    wide_action = [a for s in granting for a in _listed(s.get("Action")) if a.lower() != "secretsmanager:getsecretvalue"]
    if broad or wide_action:
        raise not_yet(_("{role} may do {actions} on {resources}: more than it needs. Least privilege: GetSecretValue on "
                        "the database's secret, {secret}, and nothing else.").format(
            role=role, actions=", ".join(wide_action) or "secretsmanager:GetSecretValue",
            resources=", ".join(broad) or secret, secret=secret),
            fix + "\n# " + _("and delete the wider statement or policy"))
    iam, profile = lab.client("iam"), names(lab)["profile"]
    try:
        found = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
    except iam.exceptions.NoSuchEntityException:
        raise not_yet(_("There is no instance profile named {profile} yet: an instance takes a role through a profile.").format(
            profile=profile), f"aws iam create-instance-profile --instance-profile-name {profile}") from None
    if role not in [x["RoleName"] for x in found.get("Roles", [])]:
        raise not_yet(_("The instance profile {profile} does not hold {role}.").format(profile=profile, role=role),
                      f"aws iam add-role-to-instance-profile --instance-profile-name {profile} --role-name {role}")
    return ok(_("{profile} holds {role}, which EC2 may assume and which may read {secret} and nothing else.").format(
        profile=profile, role=role, secret=secret), [found["Arn"]])


def template_versions(lab: Any) -> tuple[dict, list[dict]]:
    """The launch template (lab 04's) and its versions, newest first."""
    ec2, name = lab.client("ec2"), names(lab)["template"]
    try:
        lt = ec2.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"][0]
    except ec2.exceptions.ClientError:
        raise not_yet(_("There is no launch template named {name} (lab 04).").format(name=name),
                      _("Run this lab's first cell again: start() builds what the lab stands on.")) from None
    versions = ec2.describe_launch_template_versions(LaunchTemplateId=lt["LaunchTemplateId"])["LaunchTemplateVersions"]
    return lt, sorted(versions, key=lambda v: -int(v["VersionNumber"]))


def user_data_of(version: dict) -> str:
    """A version's user data script, decoded ('' when it has none)."""
    raw = (version.get("LaunchTemplateData") or {}).get("UserData") or ""
    try:
        return base64.b64decode(raw).decode("utf-8", errors="replace")
    except ValueError:
        return ""


def _profile_of(version: dict) -> str:
    p = (version.get("LaunchTemplateData") or {}).get("IamInstanceProfile") or {}
    return p.get("Name") or (p.get("Arn") or "").rsplit("/", 1)[-1]


@task("09.4", N_("A launch template version that tells the app where its database is"))
def template_version(lab: Any) -> Any:
    db = the_db_instance(lab)
    address, secret = (db.get("Endpoint") or {}).get("Address"), (db.get("MasterUserSecret") or {}).get("SecretArn")
    if not address:
        raise not_yet(_("The database has no endpoint yet: wait until it is available (task 09.2)."), _("Do task 09.2 first."))
    lt, versions = template_versions(lab)
    lt_id, default = lt["LaunchTemplateId"], int(lt["DefaultVersionNumber"])
    naming = [v for v in versions if f"@{address}:" in user_data_of(v)]
    if not naming:
        raise not_yet(_("No version of {lt} names the database's endpoint {address} in its user data yet.").format(
            lt=lt["LaunchTemplateName"], address=address),
            _("Create a version whose UserData is awslab.webapp.user_data_base64(80, db_url, secret_arn)."))
    newest = naming[0]
    n = int(newest["VersionNumber"])
    if n != default:
        raise not_yet(_("Version {n} names the database, but the default version is {default}: the Auto Scaling group "
                        "launches $Default.").format(n=n, default=default),
                      f"aws ec2 modify-launch-template --launch-template-id {lt_id} --default-version {n}")
    script = user_data_of(newest)
    if PASSWORD_IN_URL.search(script):
        raise not_yet(_("Version {n}'s user data holds a password: anyone who may describe the instance can read it "
                        "(describe-instance-attribute --attribute userData). Let the script fetch it from Secrets "
                        "Manager at boot instead.").format(n=n),
                      _("Create a new version with user_data_base64(80, db_url_without_password, secret_arn)."))
    if not secret or secret not in script:
        raise not_yet(_("Version {n}'s user data does not read the password from the database's secret {secret}.").format(
            n=n, secret=secret or "-"),
            _("Pass the secret's ARN: user_data_base64(80, db_url, secret_arn)."))
    if _profile_of(newest) != names(lab)["profile"]:
        raise not_yet(_("Version {n} gives its instances no instance profile {profile}, so the app could not read the "
                        "secret.").format(n=n, profile=names(lab)["profile"]),
                      _("Set LaunchTemplateData['IamInstanceProfile'] = {{'Arn': <the profile's ARN>}} in a new version."))
    return ok(_("Version {n} is the default: its user data names {address} and fetches the password from Secrets "
                "Manager at boot; its instances run as {profile}.").format(n=n, address=address,
                                                                           profile=names(lab)["profile"]),
              [f"{lt['LaunchTemplateName']} v{n}"])


question("09.q1", N_("Why does the database live in subnets of its own, and not in the app servers' private subnets?"),
         [N_("RDS refuses subnets that hold EC2 instances."),
          N_("A tier per subnet lets the DB subnet group, route tables and network ACLs treat the database apart from "
             "the servers that come and go."),
          N_("Queries are faster in a subnet of their own."),
          N_("Private subnets cannot hold a database.")],
         answer=1,
         why=N_("RDS places the database (and a Multi-AZ standby) only in the subnets of its DB subnet group, so that "
                "group says exactly where the data may live. Controls that work per subnet (network ACLs, routes, flow "
                "logs) can then treat the data tier apart from the app tier, whose instances Auto Scaling adds and "
                "removes."),
         hints={0: N_("RDS would accept the app subnets; the lab keeps the tiers apart by choice."),
                2: N_("A subnet is an address range; it does not change how fast a query runs.")})

question("09.q2", N_("The db group admits 3306 from the app group only. Why also make the instance not publicly "
                     "accessible?"),
         [N_("It is cheaper."),
          N_("Defence in depth: if someone later opens the group to 0.0.0.0/0, the database still has no public address "
             "and no route from the internet."),
          N_("A publicly accessible instance cannot use a security group."),
          N_("The app servers cannot reach a publicly accessible instance.")],
         answer=1,
         why=N_("Each lock is enough on its own, and each can be undone by one mistake. PubliclyAccessible=False gives the "
                "endpoint a private address only, the db subnets have no route from the internet, and the group admits "
                "only the app servers: three locks, so one mistake does not expose the data."),
         hints={2: N_("A publicly accessible instance still has its security groups; it only gets a public address too."),
                3: N_("Inside the VPC the endpoint resolves to the private address either way.")})

question("09.q3", N_("What does turning on Multi-AZ give the database?"),
         [N_("Twice the read capacity: the standby answers queries."),
          N_("A synchronous standby in another AZ; if the primary or its AZ fails, RDS fails over to it and the endpoint's "
             "name points at it, typically within one to two minutes."),
          N_("Backups in a second region."),
          N_("Nothing until you change the app's connection string.")],
         answer=1,
         why=N_("AWS: the standby is kept in sync in another Availability Zone and is not used for reads; on a failure RDS "
                "switches the endpoint's DNS name to it, and failovers 'typically complete within one to two minutes'. "
                "The app keeps its connection string: another reason it uses the endpoint, never an IP "
                "(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html)."),
         hints={0: N_("That is a read replica. A Multi-AZ standby serves no reads."),
                3: N_("The endpoint's name stays the same; RDS points it at the new primary.")})
