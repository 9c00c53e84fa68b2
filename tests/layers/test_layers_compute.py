"""The compute layer: the launch template (AL2023, t3.micro, app group, IMDSv2, monitoring, user data, tags)."""
import base64
import json
import subprocess
import uuid
from dataclasses import replace
from types import SimpleNamespace

import pytest

from awslab import ValidationError
from awslab.layers.compute import (SSM_POLICY_ARN, LaunchTemplateSpec, build_launch_template, delete_instance_profile,
                                  describe_compute, find_al2023_ami)
from awslab.layers.keys import create_key_pair
from awslab.layers.network import build_network
from awslab.layers.security import build_security
from awslab.webapp import user_data
from awslab.webapp.cwagent import AGENT_POLICY_ARN, log_group_for


def _lab(cloud_url):
    from awslab import Lab

    return Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)


@pytest.fixture(scope="module")
def base(cloud_url):
    """One lab's network, groups and key, shared; each test names its own launch template."""
    lab = _lab(cloud_url)
    net = build_network(lab)
    return SimpleNamespace(lab=lab, network=net, security=build_security(lab, net), key=create_key_pair(lab))


def _spec(**kwargs):
    return LaunchTemplateSpec(name="lt-" + uuid.uuid4().hex[:8], **kwargs)


@pytest.fixture(scope="module")
def shared(cloud_url):
    """One lab with its prerequisites for the validation tests, which must create nothing."""
    lab = _lab(cloud_url)
    net = build_network(lab)
    return SimpleNamespace(lab=lab, security=build_security(lab, net), key=create_key_pair(lab))


def _latest(lab, lt_id):
    return lab.client("ec2").describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=["$Latest"])["LaunchTemplateVersions"][0]


def _tags(tags):
    return {t["Key"]: t["Value"] for t in tags}


def test_launch_template_has_what_each_app_server_needs(base):
    lab, spec = base.lab, _spec()
    lt = build_launch_template(lab, base.security, base.key, spec)
    data = _latest(lab, lt.launch_template_id)["LaunchTemplateData"]
    image = lab.client("ec2").describe_images(ImageIds=[data["ImageId"]])["Images"][0]
    assert image["Name"].startswith("al2023-ami-2023.") and image["Architecture"] == "x86_64"
    assert (data["InstanceType"], data["SecurityGroupIds"], data["KeyName"]) == ("t3.micro", [base.security.app_sg_id], base.key.key_name)
    assert data["Monitoring"] == {"Enabled": True} and data["MetadataOptions"]["HttpTokens"] == "required"
    assert base64.b64decode(data["UserData"]).decode() == user_data(80, log_group=log_group_for(base.lab.name))
    specs = {s["ResourceType"]: _tags(s["Tags"]) for s in data["TagSpecifications"]}
    for rt in ("instance", "volume"):
        assert specs[rt]["awslab:lab"] == lab.name and specs[rt]["Name"] == f"{lab.name}-app"
    found = lab.client("ec2").describe_launch_templates(LaunchTemplateIds=[lt.launch_template_id])["LaunchTemplates"][0]
    assert _tags(found["Tags"])["awslab:lab"] == lab.name and (lt.version, lt.latest_version) == (1, 1)


def test_instances_launched_from_the_template_carry_the_lab_tags(base):
    lab, spec = base.lab, _spec()
    lt = build_launch_template(lab, base.security, base.key, spec)
    ec2 = lab.client("ec2")
    run = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": lt.launch_template_id, "Version": "$Default"}, MinCount=1, MaxCount=1,
                            SubnetId=base.network.subnet_ids("private")[0])
    instance = run["Instances"][0]
    try:
        tags = _tags(ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0].get("Tags", []))
        assert tags["awslab:lab"] == lab.name and tags["awslab:layer"] == "compute"
    finally:
        ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])


def test_second_run_creates_nothing_and_a_change_makes_a_new_default_version(base):
    lab, spec = base.lab, _spec()
    first = build_launch_template(lab, base.security, base.key, spec)
    again = build_launch_template(lab, base.security, base.key, spec)
    assert first.created == [first.launch_template_id] and again.created == []
    assert (again.launch_template_id, again.version) == (first.launch_template_id, 1)
    bigger = build_launch_template(lab, base.security, base.key, replace(spec, instance_type="t3.small"))
    assert bigger.created == [f"{first.launch_template_id}:2"] and (bigger.version, bigger.latest_version) == (2, 2)
    found = lab.client("ec2").describe_launch_templates(LaunchTemplateIds=[first.launch_template_id])["LaunchTemplates"][0]
    assert found["DefaultVersionNumber"] == 2 and _latest(lab, first.launch_template_id)["LaunchTemplateData"]["InstanceType"] == "t3.small"
    assert build_launch_template(lab, base.security, base.key, replace(spec, instance_type="t3.small")).created == []
    assert "--default-version 2" in lab.cli_log().script()


def test_with_a_database_the_user_data_reads_the_password_from_its_secret(base):
    lab, spec = base.lab, _spec()
    secret = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:rds!db-test"
    db = SimpleNamespace(engine="mysql", endpoint_address="mydb.abc.ap-northeast-2.rds.amazonaws.com", port=3306,
                         master_username="admin", master_user_secret_arn=secret)
    lt = build_launch_template(lab, base.security, base.key, spec, database=db)
    data = _latest(lab, lt.launch_template_id)["LaunchTemplateData"]
    script = base64.b64decode(data["UserData"]).decode()
    assert script == user_data(80, "mysql://admin@mydb.abc.ap-northeast-2.rds.amazonaws.com:3306/awslab", secret,
                               log_group=log_group_for(lab.name))
    iam = lab.client("iam")
    profile = iam.get_instance_profile(InstanceProfileName=f"{lab.name}-app-profile")["InstanceProfile"]
    assert data["IamInstanceProfile"]["Arn"] == profile["Arn"] == lt.instance_profile_arn
    assert [r["RoleName"] for r in profile["Roles"]] == [f"{lab.name}-app-role"]
    policy = iam.get_role_policy(RoleName=f"{lab.name}-app-role", PolicyName="read-db-secret")["PolicyDocument"]
    assert policy["Statement"][0]["Resource"] == secret
    # the CloudWatch agent the user data configures sends the app's logs with the role's credentials
    attached = iam.list_attached_role_policies(RoleName=f"{lab.name}-app-role")["AttachedPolicies"]
    # and the SSM agent makes each instance a managed node with it (Run Command: the failure drill on AWS)
    assert sorted(a["PolicyArn"] for a in attached) == sorted([AGENT_POLICY_ARN, SSM_POLICY_ARN])
    assert f"aws iam attach-role-policy --role-name {lab.name}-app-role --policy-arn {SSM_POLICY_ARN}" in lab.cli_log().script()
    assert build_launch_template(lab, base.security, base.key, spec, database=db).created == []
    script = lab.cli_log().script()
    assert 'export DB_URL="mysql://admin@$DB_ENDPOINT:3306/awslab"' in script
    assert script.index("export DB_SECRET_ARN=") < script.index("aws iam put-role-policy")
    put = next(line for line in script.splitlines() if line.startswith("aws iam put-role-policy"))
    shown = subprocess.run(["bash", "-c", "printf '%s' " + put.split("--policy-document ", 1)[1]], capture_output=True, text=True,
                           env={"DB_SECRET_ARN": secret}, check=True).stdout
    assert json.loads(shown)["Statement"][0]["Resource"] == secret  # the replayed policy names the secret
    assert delete_instance_profile(lab) == [f"{lab.name}-app-profile", f"{lab.name}-app-role"]
    assert f"{lab.name}-app-role" not in [r["RoleName"] for r in iam.list_roles()["Roles"]] and delete_instance_profile(lab) == []


def test_cli_log_builds_the_template_from_shell_variables(base):
    lab, spec = base.lab, _spec()
    build_launch_template(lab, base.security, base.key, spec)
    script = lab.cli_log().script()
    assert "AMI_ID=$(aws ec2 describe-images --owners amazon" in script
    assert "LT_ID=$(aws ec2 create-launch-template --launch-template-name" in script
    assert '"UserData": "$USER_DATA_B64"' in script and '"$APP_SG_ID"' in script


def test_find_al2023_ami_picks_an_x86_64_al2023_image(lab):
    image = lab.client("ec2").describe_images(ImageIds=[find_al2023_ami(lab)])["Images"][0]
    assert image["Name"].startswith("al2023-ami-2023.") and "minimal" not in image["Name"] and image["Architecture"] == "x86_64"


@pytest.mark.parametrize("field,spec,db,rule", [
    ("instance_type", {"instance_type": "t3micro"}, None, "<family><generation>.<size>"),
    ("instance_type", {"instance_type": "zz9.large"}, None, "no such instance type"),
    ("image_id", {"image_id": "ami-xyz"}, None, "AMI ID"),
    ("name", {"name": "lt"}, None, "3 to 128"),
    ("app_port", {"app_port": 8080}, None, "admits port 80 only"),
    ("db_name", {"db_name": "my-db"}, None, "letters, digits and _"),
    ("database.engine", {}, {"engine": "postgres", "endpoint_address": "x", "port": 5432}, "MySQL protocol"),
    ("database.endpoint_address", {}, {"engine": "mysql", "endpoint_address": None, "port": 3306}, "no endpoint yet"),
])
def test_launch_template_rejects_bad_input_before_creating_anything(shared, field, spec, db, rule):
    lab = shared.lab
    with pytest.raises(ValidationError) as e:
        build_launch_template(lab, shared.security, shared.key, LaunchTemplateSpec(**spec), database=SimpleNamespace(**db) if db else None)
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert describe_compute(lab)["launch_templates"] == []



def test_an_untagged_role_of_the_labs_name_is_claimed_so_teardown_finds_it(cloud_url):
    """A role made by hand, or by replaying an older CLI log (which did not tag it), is tagged by the next build;
    before, the build reused it silently and every teardown reported it as left over."""
    from awslab.layers.compute import ASSUME_EC2, ensure_instance_profile

    lab = _lab(cloud_url)
    iam = lab.client("iam")
    role, profile = lab.resource_name("app-role"), lab.resource_name("app-profile")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(ASSUME_EC2))
    iam.create_instance_profile(InstanceProfileName=profile)
    ensure_instance_profile(lab, "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-AbCdEf", [])
    assert _tags(iam.get_role(RoleName=role)["Role"]["Tags"])["awslab:lab"] == lab.name
    assert _tags(iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Tags"])["awslab:lab"] == lab.name
    assert sorted(delete_instance_profile(lab)) == sorted([role, profile])


def test_a_role_of_the_labs_name_that_another_lab_owns_is_not_taken_over(cloud_url):
    from awslab.errors import ComputeError
    from awslab.layers.compute import ASSUME_EC2, ensure_instance_profile

    lab = _lab(cloud_url)
    iam = lab.client("iam")
    role = lab.resource_name("app-role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(ASSUME_EC2), Tags=[{"Key": "awslab:lab", "Value": "someone"}])
    with pytest.raises(ComputeError) as e:
        ensure_instance_profile(lab, "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:db-AbCdEf", [])
    assert "belongs to lab 'someone'" in str(e.value)
    assert _tags(iam.get_role(RoleName=role)["Role"]["Tags"]) == {"awslab:lab": "someone"}
    iam.delete_role(RoleName=role)
