"""RDS placement and Multi-AZ failover on the simulator's clock (awslab.cloud.moto_ext.rds), in virtual time.

https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html: "Failover times are
typically 60-120 seconds."
"""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from awslab.cloud import moto_ext
from awslab.cloud.moto_ext.rds import FAILOVER_S

REGION = "ap-northeast-2"


@pytest.fixture
def world(monkeypatch):
    from awslab.sim import Simulator

    for k, v in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sim = Simulator(mode="virtual", seed=3, start_epoch=1_700_000_000).install()
        try:
            ec2, rds = boto3.client("ec2", region_name=REGION), boto3.client("rds", region_name=REGION)
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{21 + i}.0/24", AvailabilityZone=REGION + az)
                       ["Subnet"]["SubnetId"] for i, az in enumerate("ca")]
            rds.create_db_subnet_group(DBSubnetGroupName="db", DBSubnetGroupDescription="d", SubnetIds=subnets)
            yield sim, rds
        finally:
            moto_ext.uninstall()


def create(rds, ident: str, **kw) -> dict:
    return rds.create_db_instance(DBInstanceIdentifier=ident, Engine="mysql", DBInstanceClass="db.t3.micro",
                                  AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="password123",
                                  DBSubnetGroupName="db", **kw)["DBInstance"]


def describe(rds, ident: str) -> dict:
    return rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]


def test_a_db_instance_sits_in_its_subnet_groups_azs_and_multi_az_has_a_standby_in_another(world):
    _, rds = world
    single = create(rds, "single")
    assert single["AvailabilityZone"] == REGION + "a" and "SecondaryAvailabilityZone" not in single
    create(rds, "multi", MultiAZ=True)
    multi = describe(rds, "multi")
    assert (multi["AvailabilityZone"], multi["SecondaryAvailabilityZone"]) == (REGION + "a", REGION + "c")
    asked = create(rds, "asked", AvailabilityZone=REGION + "c")
    assert asked["AvailabilityZone"] == REGION + "c"


def test_a_forced_failover_swaps_the_azs_after_awss_60_to_120_seconds(world):
    sim, rds = world
    create(rds, "multi", MultiAZ=True)
    before = describe(rds, "multi")
    got = rds.reboot_db_instance(DBInstanceIdentifier="multi", ForceFailover=True)["DBInstance"]
    assert got["DBInstanceStatus"] == "rebooting"
    sim.advance(FAILOVER_S[0] - 1)
    mid = describe(rds, "multi")
    assert mid["DBInstanceStatus"] == "rebooting" and mid["AvailabilityZone"] == before["AvailabilityZone"]
    sim.advance(FAILOVER_S[1] - FAILOVER_S[0] + 2)
    after = describe(rds, "multi")
    assert after["DBInstanceStatus"] == "available"
    assert (after["AvailabilityZone"], after["SecondaryAvailabilityZone"]) == (
        before["SecondaryAvailabilityZone"], before["AvailabilityZone"])
    events = [e for e in rds.describe_events(SourceIdentifier="multi", SourceType="db-instance")["Events"]
              if "failover" in e["Message"] or "restarted" in e["Message"]]
    assert [e["Message"] for e in events] == ["Multi-AZ instance failover started.",
                                              "Multi-AZ instance failover completed.", "DB instance restarted"]
    seconds = (events[1]["Date"] - events[0]["Date"]).total_seconds()
    assert FAILOVER_S[0] <= seconds <= FAILOVER_S[1], seconds


def test_force_failover_on_a_single_az_instance_and_a_reboot_while_rebooting_are_refused(world):
    sim, rds = world
    create(rds, "single")
    with pytest.raises(ClientError) as e:
        rds.reboot_db_instance(DBInstanceIdentifier="single", ForceFailover=True)
    assert e.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "Multi-AZ" in e.value.response["Error"]["Message"]
    assert describe(rds, "single")["DBInstanceStatus"] == "available"  # refused: nothing changed
    rds.reboot_db_instance(DBInstanceIdentifier="single")
    with pytest.raises(ClientError) as e:
        rds.reboot_db_instance(DBInstanceIdentifier="single")
    assert e.value.response["Error"]["Code"] == "InvalidDBInstanceState"
    sim.advance(61)
    assert describe(rds, "single")["DBInstanceStatus"] == "available"


def test_turning_multi_az_on_gives_a_standby_in_the_other_az_and_off_removes_it(world):
    _, rds = world
    create(rds, "single")
    rds.modify_db_instance(DBInstanceIdentifier="single", MultiAZ=True, ApplyImmediately=True)
    got = describe(rds, "single")
    assert got["MultiAZ"]
    assert (got["AvailabilityZone"], got["SecondaryAvailabilityZone"]) == (REGION + "a", REGION + "c")
    rds.modify_db_instance(DBInstanceIdentifier="single", MultiAZ=False, ApplyImmediately=True)
    assert "SecondaryAvailabilityZone" not in describe(rds, "single")
