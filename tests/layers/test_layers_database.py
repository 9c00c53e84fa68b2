"""The database: a DB subnet group over two AZs and a private RDS MySQL in the db group, password kept by RDS."""
import dataclasses
import uuid

import pytest

from awslab import Lab, ValidationError
from awslab.layers.database import DatabaseSpec, build_database, describe_database
from awslab.layers.network import build_network
from awslab.layers.security import SecuritySpec, build_security
from awslab.errors import DatabaseError


@pytest.fixture(scope="module")
def built(cloud_url):
    """A lab with network, security groups and database, for the tests that only read."""
    lab = Lab(name="d" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    net = build_network(lab)
    sec = build_security(lab, net)
    return lab, net, sec, build_database(lab, net, sec)


def db_instance(lab, ident):
    return lab.client("rds").describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]


def test_database_is_private_mysql_in_the_db_group(built):
    lab, net, sec, db = built
    i = db_instance(lab, db.db_instance_identifier)
    assert db.db_instance_identifier == f"{lab.name}-db"
    assert (i["Engine"], i["DBInstanceClass"], i["AllocatedStorage"], i["StorageType"]) == ("mysql", "db.t3.micro", 20, "gp3")
    assert i["EngineVersion"].startswith("8.0") and i["MasterUsername"] == "admin"
    assert i["PubliclyAccessible"] is False
    assert [g["VpcSecurityGroupId"] for g in i["VpcSecurityGroups"]] == [sec.db_sg_id]
    assert (db.endpoint_address, db.port) == (i["Endpoint"]["Address"], i["Endpoint"]["Port"]) and db.port == 3306
    assert db.status == i["DBInstanceStatus"] == "available"


def test_database_subnet_group_spans_the_db_subnets_of_two_azs(built):
    lab, net, _, db = built
    group = lab.client("rds").describe_db_subnet_groups(DBSubnetGroupName=db.db_subnet_group_name)["DBSubnetGroups"][0]
    assert group["VpcId"] == net.vpc_id
    assert {s["SubnetIdentifier"] for s in group["Subnets"]} == set(net.subnet_ids("db"))
    assert len({s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]}) >= 2
    assert db_instance(lab, db.db_instance_identifier)["DBSubnetGroup"]["DBSubnetGroupName"] == db.db_subnet_group_name


def test_database_password_is_managed_by_rds_and_never_shown(built):
    lab, _, _, db = built
    secret = db_instance(lab, db.db_instance_identifier)["MasterUserSecret"]
    assert db.master_user_secret_arn == secret["SecretArn"]
    password = lab.client("secretsmanager").get_secret_value(SecretId=secret["SecretArn"])["SecretString"]
    assert password
    for shown in (repr(db), str(db), db._repr_html_(), lab.cli_log().script()):
        assert password not in shown
    assert "--manage-master-user-password" in lab.cli_log().script()


def test_database_and_subnet_group_are_tagged(built):
    lab, _, _, db = built
    rds = lab.client("rds")
    found = describe_database(lab)
    assert [i["DBInstanceIdentifier"] for i in found["db_instances"]] == [db.db_instance_identifier]
    assert [g["DBSubnetGroupName"] for g in found["db_subnet_groups"]] == [db.db_subnet_group_name]
    for arn in (found["db_instances"][0]["DBInstanceArn"], found["db_subnet_groups"][0]["DBSubnetGroupArn"]):
        tags = {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}
        assert tags["awslab:lab"] == lab.name and tags["awslab:layer"] == "database" and tags["Name"]


def test_database_second_run_creates_nothing(built):
    lab, net, sec, first = built
    second = build_database(lab, net, sec)
    assert first.created == [first.db_subnet_group_name, first.db_instance_identifier] and second.created == []
    assert (second.db_instance_identifier, second.endpoint_address) == (first.db_instance_identifier, first.endpoint_address)
    assert len(describe_database(lab)["db_instances"]) == 1


def test_database_identifier_of_another_lab_is_refused(built, lab):
    other, net, sec, db = built
    with pytest.raises(DatabaseError) as e:
        build_database(lab, net, sec, DatabaseSpec(db_instance_identifier=db.db_instance_identifier))
    assert f"lab {other.name!r}" in str(e.value) and "pick another name" in str(e.value)


def test_database_cli_log(built):
    lab, *_ = built
    script = lab.cli_log().script()
    assert "aws rds create-db-subnet-group" in script and "--subnet-ids $DB_SUBNET_1 $DB_SUBNET_2" in script
    assert (f"aws rds create-db-instance --db-instance-identifier {lab.name}-db --engine mysql --engine-version 8.0 "
            "--db-instance-class db.t3.micro --allocated-storage 20") in script
    assert "--vpc-security-group-ids $DB_SG_ID --no-publicly-accessible" in script
    assert "DB_ENDPOINT=$(aws rds describe-db-instances" in script


def test_database_postgres_on_its_own_port(built, lab):
    _, net, _, _ = built  # a fresh lab's groups and database in the shared VPC
    sec = build_security(lab, net, SecuritySpec(db_port=5432))
    db = build_database(lab, net, sec, DatabaseSpec(engine="postgres", db_instance_identifier=f"{lab.name}-PG"))
    i = db_instance(lab, f"{lab.name}-pg")
    assert db.db_instance_identifier == f"{lab.name}-pg"  # RDS keeps identifiers in lower case
    assert (i["Engine"], i["Endpoint"]["Port"], db.port) == ("postgres", 5432, 5432)


@pytest.mark.parametrize("field,kwargs,rule", [
    ("db_instance_identifier", {"db_instance_identifier": "1db"}, "starts with a letter"),
    ("db_instance_identifier", {"db_instance_identifier": "my--db"}, "no two hyphens"),
    ("db_instance_identifier", {"db_instance_identifier": "my-db-"}, "no hyphen at the end"),
    ("db_instance_identifier", {"db_instance_identifier": "my_db"}, "letters, digits and hyphens"),
    ("db_instance_identifier", {"db_instance_identifier": "d" * 64}, "1 to 63"),
    ("db_instance_identifier", {"db_instance_identifier": ""}, "1 to 63"),
    ("engine", {"engine": "oracle-ee"}, "mysql"),
    ("db_instance_class", {"db_instance_class": "t3.micro"}, "db.<family><generation>.<size>"),
    ("db_instance_class", {"db_instance_class": "db.t3"}, "db.<family><generation>.<size>"),
    ("allocated_storage", {"allocated_storage": 19}, "20 to 65536"),
    ("allocated_storage", {"allocated_storage": 65537}, "20 to 65536"),
    ("allocated_storage", {"allocated_storage": "20"}, "a whole number"),
    ("storage_type", {"storage_type": "io1"}, "'gp3'"),
    ("master_username", {"master_username": "1admin"}, "a letter, then"),
    ("master_username", {"master_username": "a" * 17}, "1 to 16"),
    ("master_username", {"master_username": "ad-min"}, "letters, digits or '_'"),
    ("port", {"engine": "postgres"}, "admits port 3306 only"),
    ("port", {"port": 0}, "1150 to 65535"),
])
def test_database_rejects_bad_input_before_creating_anything(built, lab, field, kwargs, rule):
    _, net, sec, _ = built
    with pytest.raises(ValidationError) as e:
        build_database(lab, net, sec, DatabaseSpec(**kwargs))
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert describe_database(lab) == {"db_instances": [], "db_subnet_groups": []}


def test_database_needs_db_subnets_in_two_azs(built, lab):
    _, net, sec, _ = built
    one_az = dataclasses.replace(net, db_subnets=[net.db_subnets[0]])
    with pytest.raises(ValidationError) as e:
        build_database(lab, one_az, sec)
    assert e.value.field == "network.db_subnets" and "two Availability Zones" in str(e.value)
    assert describe_database(lab) == {"db_instances": [], "db_subnet_groups": []}
