"""RDS as a network service, in a real embedded cloud: a MySQL server on the DB instance's endpoint.

The world: a VPC with two public subnets (the ALB and two app servers, whose user data names the DB by its
endpoint and reads the password from RDS's secret, as the lab's launch template does) and two private db
subnets (a Multi-AZ MySQL DB instance whose group admits 3306 from the app servers' group only).
Clients are real: PyMySQL from an app server's own address, and HTTP through the ALB to ``/products``.
"""
from __future__ import annotations

import json
import socket
import time
import uuid
from datetime import timedelta

import boto3
import dns.message
import dns.query
import pymysql
import pytest

from awslab.cloud.moto_ext.rds import FAILOVER_S
from awslab.webapp import user_data

from ..conftest import control
from .test_dataplane_service import REGION, get, health, start_cloud, stop_cloud, wait_for

DB_PORT = 3306


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    proc, url = start_cloud(tmp_path_factory.mktemp("rds-home"))
    try:
        yield _build(url)
    finally:
        stop_cloud(proc)


def client(url, service):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test")


def _network(ec2) -> dict:
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    public, private = [], []
    for i, az in enumerate("ac"):
        sn = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.61.{i + 1}.0/24",
                               AvailabilityZone=REGION + az)["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=sn)
        public.append(sn)
        private.append(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.61.{21 + i}.0/24",
                                         AvailabilityZone=REGION + az)["Subnet"]["SubnetId"])
    sg = {n: ec2.create_security_group(GroupName=n, Description=n, VpcId=vpc)["GroupId"] for n in ("alb", "app", "db")}
    ec2.authorize_security_group_ingress(GroupId=sg["alb"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=sg["app"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": sg["alb"]}]}])
    ec2.authorize_security_group_ingress(GroupId=sg["db"], IpPermissions=[db_rule(sg["app"])])
    return {"vpc": vpc, "public": public, "private": private, "sg": sg}


def db_rule(app_sg: str) -> dict:
    return {"IpProtocol": "tcp", "FromPort": DB_PORT, "ToPort": DB_PORT, "UserIdGroupPairs": [{"GroupId": app_sg}]}


def _build(url: str) -> dict:
    ec2, rds, elbv2 = client(url, "ec2"), client(url, "rds"), client(url, "elbv2")
    net = _network(ec2)
    rds.create_db_subnet_group(DBSubnetGroupName="lab-db", DBSubnetGroupDescription="db", SubnetIds=net["private"])
    db = rds.create_db_instance(DBInstanceIdentifier="lab-db", Engine="mysql", DBInstanceClass="db.t3.micro",
                                AllocatedStorage=20, MasterUsername="admin", ManageMasterUserPassword=True,
                                DBSubnetGroupName="lab-db", VpcSecurityGroupIds=[net["sg"]["db"]], MultiAZ=True,
                                PubliclyAccessible=False)["DBInstance"]
    db = rds.describe_db_instances(DBInstanceIdentifier="lab-db")["DBInstances"][0]
    secret = db["MasterUserSecret"]["SecretArn"]
    password = json.loads(client(url, "secretsmanager").get_secret_value(SecretId=secret)["SecretString"])["password"]
    endpoint = db["Endpoint"]["Address"]
    script = user_data(80, f"mysql://admin@{endpoint}:{DB_PORT}/awslab", secret)
    ids = [ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1, UserData=script,
                             NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net["public"][i],
                                                 "Groups": [net["sg"]["app"]], "AssociatePublicIpAddress": True}]
                             )["Instances"][0]["InstanceId"]
           for i in range(2)]
    tg = elbv2.create_target_group(Name="tg-rds", Protocol="HTTP", Port=80, VpcId=net["vpc"], HealthCheckPath="/health",
                                   HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=4, HealthyThresholdCount=2,
                                   UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": i, "Port": 80} for i in ids])
    lb = elbv2.create_load_balancer(Name="alb-rds", Subnets=net["public"],
                                    SecurityGroups=[net["sg"]["alb"]])["LoadBalancers"][0]
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    wait_for(lambda: all(s == "healthy" for s in health(url, tg).values()), 40)
    alb = wait_for(lambda: next((lb["listeners"].get("80") for lb in control(url, "GET", "dataplane")["load_balancers"]
                                 if lb["name"] == "alb-rds"), None), 20)
    found = {i["InstanceId"]: i["PrivateIpAddress"] for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]
             for i in r["Instances"]}
    return {"url": url, "ec2": ec2, "rds": rds, "net": net, "ids": ids, "tg": tg, "alb": alb, "endpoint": endpoint,
            "password": password, "app_ips": [found[i] for i in ids]}


def db_endpoint(w: dict) -> dict:
    return wait_for(lambda: next((d for d in control(w["url"], "GET", "dataplane")["db_instances"]
                                  if d["db_instance_identifier"] == "lab-db"), None), 20)


def loopback_of(w: dict, instance_id: str) -> str:
    lines = control(w["url"], "GET", "dataplane")["instances"][instance_id]
    return lines[0].split(" -> ")[1].rsplit(":", 1)[0]


def connect_from(w: dict, instance_id: str, password: str | None = None, timeout: float = 3.0) -> pymysql.Connection:
    """PyMySQL from an app server's own address (the socket is bound there first, as the instance's kernel would)."""
    ep = db_endpoint(w)
    host, port = ep["local"].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=timeout, source_address=(loopback_of(w, instance_id), 0))
    conn = pymysql.connect(host=w["endpoint"], user="admin", password=w["password"] if password is None else password,
                           defer_connect=True, autocommit=True, read_timeout=timeout, connect_timeout=timeout)
    conn.connect(sock)
    return conn


def products(w: dict) -> tuple[int, dict]:
    status, body = get(w["alb"] + "/products", timeout=30)
    return status, json.loads(body) if body.startswith("{") else {"raw": body}


def test_the_app_reads_products_from_the_mysql_endpoint_through_the_alb(world):
    status, body = wait_for(lambda: (got := products(world))[0] == 200 and got, 30)
    assert [p["name"] for p in body["products"]][:2] == ["Keyboard", "Mouse"], body
    with connect_from(world, world["ids"][0]) as conn, conn.cursor() as cur:  # the same rows, over MySQL's protocol
        cur.execute("USE awslab")
        cur.execute("INSERT INTO products (id, name, price) VALUES (%s, %s, %s)", (77, "Rack", 120.5))
        cur.execute("SELECT COUNT(*) FROM products")
        count = cur.fetchone()[0]
    assert count >= 5
    names = [p["name"] for p in products(world)[1]["products"]]
    assert "Rack" in names, names  # the app's rows live in the DB instance, not in a file of its own


def test_a_wrong_password_is_mysqls_access_denied_naming_the_client(world):
    with pytest.raises(pymysql.err.OperationalError) as e:
        connect_from(world, world["ids"][0], password="not-the-password")
    code, message = e.value.args
    assert code == 1045, e.value
    assert message == f"Access denied for user 'admin'@'{world['app_ips'][0]}' (using password: YES)"


def test_nothing_outside_the_app_group_reaches_the_db(world):
    ep = db_endpoint(world)
    host, port = ep["local"].rsplit(":", 1)
    with pytest.raises(OSError):  # from this machine (the internet): the SYN is dropped, the connect times out
        socket.create_connection((host, int(port)), timeout=1.5).recv(1)


def test_the_endpoint_name_resolves_through_the_labs_dns(world):
    found = control(world["url"], "GET", "dns")
    reply = dns.query.udp(dns.message.make_query(world["endpoint"], "A"), found["host"], port=found["port"], timeout=3)
    (address,) = [r.address for rr in reply.answer for r in rr]
    assert f"{address}:" in db_endpoint(world)["local"] + ":"


def test_garbage_on_the_mysql_port_never_stops_the_db_or_the_cloud(world):
    ep = db_endpoint(world)
    host, port = ep["local"].rsplit(":", 1)
    source = (loopback_of(world, world["ids"][1]), 0)
    for junk in (b"\xff" * 64, b"\x05\x00\x00\x01garbage", b"GET / HTTP/1.1\r\n\r\n", b"\x00" * 70000):
        with socket.create_connection((host, int(port)), timeout=3, source_address=source) as s:
            s.recv(4096)  # the server's greeting
            try:
                s.sendall(junk)
                s.settimeout(2)
                s.recv(4096)
            except OSError:
                pass
    with connect_from(world, world["ids"][1]) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    assert products(world)[0] == 200


def test_revoking_app_to_db_makes_products_time_out_while_health_passes(world):
    ec2, sg = world["ec2"], world["net"]["sg"]
    ec2.revoke_security_group_ingress(GroupId=sg["db"], IpPermissions=[db_rule(sg["app"])])
    try:
        status, body = wait_for(lambda: (got := products(world))[0] == 500 and got, 40, every=0.5)
        assert "Can't connect to MySQL server" in body["error"] and "timed out" in body["error"], body
        assert get(world["alb"] + "/health")[0] == 200
        assert set(health(world["url"], world["tg"]).values()) == {"healthy"}  # the ALB sees nothing wrong
    finally:
        ec2.authorize_security_group_ingress(GroupId=sg["db"], IpPermissions=[db_rule(sg["app"])])
    assert wait_for(lambda: products(world)[0] == 200, 30, every=0.5)


def test_a_stopped_db_refuses_connections_and_serves_again_when_started(world):
    rds = world["rds"]
    rds.stop_db_instance(DBInstanceIdentifier="lab-db")
    try:
        # A query in flight as the listener closes may be cut (2013, "Lost connection"); once it has closed,
        # every new connection is refused (2003).
        def refused_now():
            got = products(world)
            return got[0] == 500 and "Connection refused" in got[1].get("error", "") and got

        refused = wait_for(refused_now, 20, every=0.3)
        assert refused, products(world)
    finally:
        rds.start_db_instance(DBInstanceIdentifier="lab-db")
    assert wait_for(lambda: products(world)[0] == 200, 30, every=0.3)


def test_zz_a_forced_failover_moves_the_endpoint_to_the_standby_after_awss_time(world):
    rds, url = world["rds"], world["url"]
    before = rds.describe_db_instances(DBInstanceIdentifier="lab-db")["DBInstances"][0]
    old_local = db_endpoint(world)["local"]
    assert before["SecondaryAvailabilityZone"] and before["SecondaryAvailabilityZone"] != before["AvailabilityZone"]
    got = rds.reboot_db_instance(DBInstanceIdentifier="lab-db", ForceFailover=True)["DBInstance"]
    assert got["DBInstanceStatus"] == "rebooting"
    status, body = wait_for(lambda: (got := products(world))[0] == 500 and got, 20, every=0.2)
    # nothing listens while the standby is promoted (refused); a query in flight when the primary went: lost
    assert "Connection refused" in body["error"] or "Lost connection to MySQL server" in body["error"], body
    after = wait_for(lambda: (d := rds.describe_db_instances(DBInstanceIdentifier="lab-db")["DBInstances"][0])
                     ["DBInstanceStatus"] == "available" and d, 60, every=0.3)
    assert (after["AvailabilityZone"], after["SecondaryAvailabilityZone"]) == (
        before["SecondaryAvailabilityZone"], before["AvailabilityZone"])
    assert wait_for(lambda: db_endpoint(world)["local"] != old_local, 20)
    assert wait_for(lambda: products(world)[0] == 200, 30, every=0.3)
    events = rds.describe_events(SourceIdentifier="lab-db", SourceType="db-instance")["Events"]
    started = next(e for e in events if e["Message"] == "Multi-AZ instance failover started.")
    done = next(e for e in events if e["Message"] == "Multi-AZ instance failover completed.")
    took = (done["Date"] - started["Date"]) / timedelta(seconds=1)  # simulated time: the events' clock
    assert FAILOVER_S[0] - 1 <= took <= FAILOVER_S[1] + 1, took
