"""The data plane inside a real embedded cloud (realtime, 25x): boto3 builds the stack, curl-like clients use it."""
from __future__ import annotations

import asyncio
import gzip
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
import pytest

from awslab.dataplane.accesslogs import parse_line

from ..conftest import control, free_port

REGION = "ap-northeast-2"
SPEED = 25


def start_cloud(tmp_path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, AWSLAB_PORT=str(port), AWSLAB_HOME=str(tmp_path), AWSLAB_SIM_SPEED=str(SPEED), AWSLAB_SIM_MODE="realtime")
    proc = subprocess.Popen([sys.executable, "-m", "awslab", "cloud", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _ok(url + "/_awslab/health") or (proc.poll() is not None and pytest.fail(proc.stdout.read().decode())), 30)
    return proc, url


def stop_cloud(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        return -9


def _ok(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).read()
        return True
    except OSError:
        return False


def wait_for(pred, timeout: float = 20.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


#: Every build in this module's one cloud gets its own octet (its VPC 10.<octet>.0.0/16 and its names alb-/tg-<octet>):
#: random picks from overlapping ranges collided (DuplicateTargetGroupName).
_OCTETS = iter(random.sample(range(1, 251), 250))


def _octet() -> int:
    return next(_OCTETS)


@pytest.fixture(scope="module")
def cloud_proc(tmp_path_factory):
    proc, url = start_cloud(tmp_path_factory.mktemp("dp-home"))
    yield proc, url
    if proc.poll() is None:
        stop_cloud(proc)


@pytest.fixture
def cloud(cloud_proc):
    if cloud_proc[0].poll() is not None:
        pytest.skip("the module's cloud was stopped by the clean-stop test")
    return cloud_proc[1]


def clients(url):
    kw = dict(endpoint_url=url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
    return boto3.client("ec2", **kw), boto3.client("elbv2", **kw), boto3.client("s3", **kw)


def build(url: str, octet: int, n: int = 2, net: str | None = None, user_data: str = "") -> dict:
    """A public two-AZ stack: ALB (80 from anywhere) -> app instances (80 from the ALB's group).

    The VPC is ``<net>.0.0/16`` (``10.<octet>`` unless given); ``octet`` also names the resources.
    """
    ec2, elbv2, _ = clients(url)
    net = net or f"10.{octet}"
    vpc = ec2.create_vpc(CidrBlock=f"{net}.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    subnets = []
    for i, az in enumerate(("a", "c")):
        sn = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{net}.{i + 1}.0/24", AvailabilityZone=REGION + az)["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=sn)
        subnets.append(sn)
    alb_sg = ec2.create_security_group(GroupName=f"alb-{octet}", Description="alb", VpcId=vpc)["GroupId"]
    app_sg = ec2.create_security_group(GroupName=f"app-{octet}", Description="app", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=app_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
    ids = []
    for i in range(n):
        ids += [i["InstanceId"] for i in ec2.run_instances(
            ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1, UserData=user_data,
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnets[i % 2], "Groups": [app_sg], "AssociatePublicIpAddress": True}])["Instances"]]
    tg = elbv2.create_target_group(Name=f"tg-{octet}", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health",
                                   HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=4, HealthyThresholdCount=2,
                                   UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    wait_for(lambda: all(i["State"]["Name"] == "running" for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]
                         for i in r["Instances"]), 20)
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": i, "Port": 80} for i in ids])
    lb = elbv2.create_load_balancer(Name=f"alb-{octet}", Subnets=subnets, SecurityGroups=[alb_sg])["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
    stack = {"vpc": vpc, "alb_sg": alb_sg, "app_sg": app_sg, "ids": ids, "tg": tg, "lb": lb, "listener": listener}
    stack["alb_url"] = wait_for(lambda: _listener(url, lb["LoadBalancerName"]))
    wait_for(lambda: all(s == "healthy" for s in health(url, tg).values()), 30)
    # the data plane learns target health from the simulator a moment later: wait until it routes to all of them
    wait_for(lambda: any(lb["arn"] == stack["lb"]["LoadBalancerArn"] and lb["routable"].get(tg) == sorted(ids)
                         for lb in control(url, "GET", "dataplane")["load_balancers"]), 10)
    return stack


def _listener(url: str, name: str) -> str | None:
    for lb in control(url, "GET", "dataplane")["load_balancers"]:
        if lb["name"] == name and lb["listeners"].get("80"):
            return lb["listeners"]["80"]
    return None


def health(url: str, tg: str) -> dict:
    _, elbv2, _ = clients(url)
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_alb_round_robins_over_instances_in_two_azs(cloud):
    st = build(cloud, _octet())

    def eight_answers():
        # A target can pass its first checks a moment before its web app listens (the check's answer is the
        # simulator's while the data plane starts the app), and that moment's request gets the ALB's 502.
        got = [get(st["alb_url"] + "/") for _ in range(8)]
        return [body for status, body in got] if all(status == 200 for status, _ in got) else None

    answers = wait_for(eight_answers, 20, every=0.5)
    assert {a.split()[2] for a in answers} == set(st["ids"]), answers
    assert {a.split()[4] for a in answers} == {"ap-northeast-2a", "ap-northeast-2c"}, answers
    assert json.loads(get(st["alb_url"] + "/products")[1])["products"]
    from awslab.traffic import alb_url
    assert alb_url(st["lb"]["LoadBalancerName"], cloud) == alb_url(st["lb"]["DNSName"], cloud) == st["alb_url"]


def test_vpcs_outside_the_private_ranges_are_served(cloud):
    """A VPC may use 100.64.0.0/10 or a publicly routable range (VPC CIDR blocks page); before, one such
    instance made every sync fail, and no instance launched after it got a web app."""
    ec2, _, _ = clients(cloud)
    public = ec2.create_vpc(CidrBlock="11.22.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=public, CidrBlock="11.22.1.0/24", AvailabilityZone=REGION + "a")["Subnet"]["SubnetId"]
    lone = ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1,
                             SubnetId=subnet)["Instances"][0]
    st = build(cloud, _octet(), net="100.64")  # launched after the lone one; waits for its ALB to route
    answers = {get(st["alb_url"] + "/")[1].split()[2] for _ in range(6)}
    assert answers == set(st["ids"])
    served = wait_for(lambda: control(cloud, "GET", "dataplane")["instances"].get(lone["InstanceId"]), 40)
    assert served[0].startswith(lone["PrivateIpAddress"] + ":80 -> 127.")
    blocks = control(cloud, "GET", "dataplane")["loopback_blocks"]
    assert "11.22.0.0/16" in blocks and "100.64.0.0/16" in blocks
    assert not [e for e in control(cloud, "GET", "timeline?component=dataplane&limit=2000") if e["event"] == "sync_failed"]


def test_listener_rules_created_through_the_api_route_requests(cloud):
    st = build(cloud, _octet(), n=1)
    _, elbv2, _ = clients(cloud)
    elbv2.create_rule(ListenerArn=st["listener"], Priority=10,
                      Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/maintenance*"]}}],
                      Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain",
                                                                                  "MessageBody": "back soon"}}])
    elbv2.create_rule(ListenerArn=st["listener"], Priority=20,
                      Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["old.example.com"]}}],
                      Actions=[{"Type": "redirect", "RedirectConfig": {"Host": "new.example.com", "StatusCode": "HTTP_301"}}])
    assert wait_for(lambda: get(st["alb_url"] + "/maintenance") == (503, "back soon"), 10)
    req = urllib.request.Request(st["alb_url"] + "/x?y=1", headers={"Host": "OLD.example.com"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.build_opener(_NoRedirect).open(req, timeout=5)
    assert e.value.code == 301 and e.value.headers["Location"] == "http://new.example.com:80/x?y=1"
    assert get(st["alb_url"] + "/")[0] == 200


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def test_a_request_right_after_a_change_meets_the_change(cloud):
    """An AWS call's change holds for the next request: finding the listener (alb_url) waits until the data plane
    serves every change made so far, and the simulator's state read after the request was asked."""
    from awslab.traffic import alb_url

    st = build(cloud, _octet())
    _, elbv2, _ = clients(cloud)
    for i in range(3):  # the gap the barrier closes is short: try it more than once
        elbv2.create_rule(ListenerArn=st["listener"], Priority=30 + i,
                          Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [f"/new{i}*"]}}],
                          Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                              "StatusCode": "418", "ContentType": "text/plain", "MessageBody": f"rule {i}"}}])
        assert get(alb_url(st["lb"]["LoadBalancerName"], cloud) + f"/new{i}") == (418, f"rule {i}")
    control(cloud, "POST", "faults", {"instance_id": st["ids"][0], "kind": "crash"})
    statuses = [get(alb_url(st["lb"]["LoadBalancerName"], cloud) + "/")[0] for _ in range(2)]
    assert sorted(statuses) == [200, 502], "round robin: the crashed app refuses at once (502), the other answers"
    assert control(cloud, "GET", "dataplane/settled")["settled"] is True


def test_an_alb_has_awss_attribute_defaults_and_the_app_sees_the_headers_it_adds(cloud):
    st = build(cloud, _octet())
    ec2, elbv2, _ = clients(cloud)
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(
        LoadBalancerArn=st["lb"]["LoadBalancerArn"])["Attributes"]}
    assert attrs["idle_timeout.timeout_seconds"] == "60" and attrs["load_balancing.cross_zone.enabled"] == "true"
    assert attrs["routing.http.xff_header_processing.mode"] == "append" and attrs["access_logs.s3.enabled"] == "false"
    req = urllib.request.Request(st["alb_url"] + "/headers", headers={"X-Forwarded-For": "203.0.113.7"})
    got = json.loads(urllib.request.urlopen(req, timeout=5).read())
    public = [s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=[z["SubnetId"] for z in st["lb"]["AvailabilityZones"]])["Subnets"]]
    import ipaddress

    assert any(ipaddress.ip_address(got["peer"]) in ipaddress.ip_network(c) for c in public), (got["peer"], public)
    h = got["headers"]
    assert h["x-forwarded-for"] == "203.0.113.7, 127.0.0.1" and h["x-forwarded-proto"] == "http" and h["x-forwarded-port"] == "80"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", h["x-amzn-trace-id"])


def test_unhealthy_instance_leaves_rotation_and_returns(cloud):
    st = build(cloud, _octet())
    bad, good = st["ids"]
    control(cloud, "POST", "faults", {"instance_id": bad, "kind": "unhealthy"})
    wait_for(lambda: health(cloud, st["tg"])[bad] == "unhealthy", 20)
    _, elbv2, _ = clients(cloud)
    th = {d["Target"]["Id"]: d["TargetHealth"] for d in elbv2.describe_target_health(TargetGroupArn=st["tg"])["TargetHealthDescriptions"]}
    assert th[bad]["Reason"] == "Target.ResponseCodeMismatch"  # a real GET /health answered 500
    assert th[bad]["Description"] == "Health checks failed with these codes: [500]"
    assert {get(st["alb_url"] + "/")[1].split()[2] for _ in range(6)} == {good}
    control(cloud, "DELETE", "faults", {"instance_id": bad})
    wait_for(lambda: health(cloud, st["tg"])[bad] == "healthy", 20)
    assert {get(st["alb_url"] + "/")[1].split()[2] for _ in range(6)} == {bad, good}
    # AWS's timing (interval 5 s, thresholds 2): out after 2 failed checks, back after 2 passing ones,
    # i.e. between 1 and 2 intervals (+ the check's timeout) after the change, in simulated time.
    events = control(cloud, "GET", f"timeline?resource={bad}&limit=200")
    t = {e["event"] + ":" + str(e["details"].get("state", "")): e["time"] for e in events}
    assert 5 - 0.5 <= t["target_health_changed:unhealthy"] - t["fault_injected:"] <= 10 + 4 + 0.5
    assert 5 - 0.5 <= t["target_health_changed:healthy"] - t["fault_cleared:"] <= 10 + 4 + 0.5


def test_forgotten_alb_to_app_rule_gives_unhealthy_targets_and_504(cloud):
    st = build(cloud, _octet())
    ec2, elbv2, _ = clients(cloud)
    ec2.revoke_security_group_ingress(GroupId=st["app_sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": st["alb_sg"]}]}])
    wait_for(lambda: set(health(cloud, st["tg"]).values()) == {"unhealthy"}, 20)
    reasons = {d["TargetHealth"]["Reason"] for d in elbv2.describe_target_health(TargetGroupArn=st["tg"])["TargetHealthDescriptions"]}
    assert reasons == {"Target.Timeout"}
    assert get(st["alb_url"] + "/")[0] == 504  # fail-open sends to the targets; the SYN is dropped
    denials = [e for e in control(cloud, "GET", "timeline?component=dataplane&limit=500")
               if e["event"] == "connection_denied" and st["app_sg"] in e["details"]["rule"]]
    assert denials and denials[0]["details"]["layer"] == "security-group"


def test_app_port_open_to_the_world_is_reachable_directly(cloud):
    st = build(cloud, _octet(), n=1)
    ec2, _, _ = clients(cloud)
    ip = ec2.describe_instances(InstanceIds=st["ids"])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    # where the app for ip:80 really listens: 127.x.y.z, on port 80 unless another cloud on this machine took block 0
    listed = wait_for(lambda: next((a for a in control(cloud, "GET", "dataplane")["instances"].get(st["ids"][0], [])
                                    if a.startswith(f"{ip}:80 ")), None), 20)
    local = listed.split(" -> ")[1]
    assert local.startswith("127." + ".".join(ip.split(".")[1:]) + ":")
    direct = f"http://{local}/"
    with pytest.raises((urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError)):
        get(direct, timeout=3)
    ec2.authorize_security_group_ingress(GroupId=st["app_sg"], IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert wait_for(lambda: _direct_ok(direct), 10)


def test_two_clouds_on_one_machine_serve_the_same_vpc_addresses(cloud, tmp_path):
    """A student's cloud and the test suite's both have an instance at 10.x.1.4: each serves its own (port blocks)."""
    octet = _octet()
    other, other_url = start_cloud(tmp_path)
    try:
        mine, theirs = build(cloud, octet, n=1), build(other_url, octet, n=1)
        ips = [clients(u)[0].describe_instances(InstanceIds=st["ids"])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
               for u, st in ((cloud, mine), (other_url, theirs))]
        assert ips[0] == ips[1], "the two clouds gave their instances the same private IP (the case under test)"
        for st in (mine, theirs):
            status, body = get(st["alb_url"] + "/")
            assert status == 200 and st["ids"][0] in body  # each ALB reaches its own cloud's instance
        blocks = [control(u, "GET", "dataplane")["port_block"]["index"] for u in (cloud, other_url)]
        assert len(set(blocks)) == 2
        for u in (cloud, other_url):
            assert not [e for e in control(u, "GET", "timeline?component=dataplane&limit=1000") if e["event"] == "app_listen_failed"]
    finally:
        stop_cloud(other)


def _direct_ok(url: str) -> bool:
    try:
        return get(url, timeout=2)[0] == 200
    except OSError:
        return False


def test_sampled_surge_reaches_cloudwatch_and_overload_gives_504s(cloud):
    from datetime import datetime, timedelta, timezone

    from awslab.traffic import open_model, steady

    st = build(cloud, _octet(), n=1)
    # 400 virtual req/s on one t3.micro (capacity 50 req/s): each real request stands for 500 virtual ones.
    stats = asyncio.run(open_model(st["alb_url"], steady(400), duration_s=100, speed=SPEED, max_real_rps=20, timeout_s=10))
    assert stats.total.num_real >= 40 and abs(stats.total.num_requests - 500 * stats.total.num_real) < 1
    assert stats.total.status[504] > 0  # past saturation the queue outlasts the idle timeout
    control(cloud, "POST", "clock/advance", {"seconds": 120})
    cw = boto3.client("cloudwatch", endpoint_url=cloud, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
    now = datetime.fromtimestamp(control(cloud, "GET", "clock")["now"], timezone.utc)
    points = cw.get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName="RequestCount", Statistics=["Sum"], Period=60,
                                      Dimensions=[{"Name": "LoadBalancer", "Value": st["lb"]["LoadBalancerArn"].split(":loadbalancer/")[1]}],
                                      StartTime=now - timedelta(minutes=10), EndTime=now)["Datapoints"]
    assert sum(p["Sum"] for p in points) >= 0.5 * stats.total.num_requests


def enable_access_logs(cloud: str, st: dict) -> str:
    """A bucket with ELB's delivery policy, and the stack's ALB logging to it under ``web/``; returns the bucket."""
    _, elbv2, s3 = clients(cloud)
    bucket = f"alb-logs-{random.randint(0, 10**6)}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    # ELB checks that the Region's Elastic Load Balancing account may write there (moto_ext.access_logs)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::600734575887:root"}, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/web/AWSLogs/123456789012/*"}]}))
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=st["lb"]["LoadBalancerArn"], Attributes=[
        {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": bucket},
        {"Key": "access_logs.s3.prefix", "Value": "web"}])
    # the data plane reads attributes about once a second (later on a busy machine): wait until it has
    wait_for(lambda: any(lb["arn"] == st["lb"]["LoadBalancerArn"] and lb["access_logs"]
                         for lb in control(cloud, "GET", "dataplane")["load_balancers"]), 10)
    return bucket


def test_access_logs_land_in_s3_every_5_minutes_without_health_checks(cloud):
    st = build(cloud, _octet(), n=1)
    _, _, s3 = clients(cloud)
    bucket = enable_access_logs(cloud, st)
    for _ in range(5):
        assert get(st["alb_url"] + "/")[0] == 200
    control(cloud, "POST", "clock/advance", {"seconds": 600})  # the requests may straddle a 5-minute boundary
    def logs():  # the log files, not ELB's ELBAccessLogTestFile
        return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []) if o["Key"].endswith(".log.gz")]

    keys = wait_for(logs, 10)
    time.sleep(0.5)
    keys = logs()
    assert keys[0].startswith("web/AWSLogs/123456789012/elasticloadbalancing/ap-northeast-2/")
    assert f"_elasticloadbalancing_ap-northeast-2_app.{st['lb']['LoadBalancerName']}." in keys[0] and keys[0].endswith(".log.gz")
    lines = [parse_line(l) for k in keys for l in gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read()).decode().splitlines()]
    assert len(lines) >= 5 and all(l["elb_status_code"] == "200" for l in lines)
    assert not any("ELB-HealthChecker" in l["user_agent"] for l in lines)


def test_instances_an_asg_launches_during_a_fast_forward_pass_the_checks_the_simulator_says_they_pass(cloud):
    """Fast-forwarding (one clock/advance call) holds the state lock, so the data plane cannot start the apps
    of instances launched meanwhile. Their health checks then follow the instance's simulated state, as in
    virtual time: a booted instance passes, and Auto Scaling does not replace a healthy server."""
    st = build(cloud, _octet(), n=1)
    ec2, elbv2, _ = clients(cloud)
    kw = dict(endpoint_url=cloud, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
    asg = boto3.client("autoscaling", **kw)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [st["vpc"]]}])["Subnets"]]
    name = f"ff-{st['vpc'][-6:]}"
    ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "SecurityGroupIds": [st["app_sg"]]})
    control(cloud, "POST", "clock/pause")
    try:
        asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=2, MaxSize=2, DesiredCapacity=2,
                                      LaunchTemplate={"LaunchTemplateName": name}, VPCZoneIdentifier=",".join(subnets),
                                      TargetGroupARNs=[st["tg"]], HealthCheckType="ELB", HealthCheckGracePeriod=30)
        control(cloud, "POST", "clock/advance", {"seconds": 300})  # boot, register, 50 checks, 5 health sweeps
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
        mine = {i["InstanceId"]: i["HealthStatus"] for i in group["Instances"]}
        states = {i: s for i, s in health(cloud, st["tg"]).items() if i in mine}
    finally:
        control(cloud, "POST", "clock/resume")
        asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    assert len(mine) == 2 and set(mine.values()) == {"Healthy"}, mine
    assert set(states.values()) == {"healthy"}, states
    activities = asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]
    assert not [a for a in activities if "health check" in a.get("Cause", "")], "no healthy server was replaced"


def test_zz_cloud_stop_leaves_no_listener_thread_or_process(cloud_proc):
    """Runs last in this module: it stops the module's cloud."""
    proc, url = cloud_proc
    try:
        st = build(url, _octet(), n=1)
        ec2, elbv2, _ = clients(url)
        info = control(url, "GET", "dataplane")
        assert set(info["threads"]) == {"awslab-dataplane-loop", "awslab-dataplane-sync", "awslab-dataplane-reader"}
        app = _addr(info["instances"][st["ids"][0]][0].split(" -> ")[1])
        alb = _addr(st["alb_url"].split("//")[1])
        # teardown: the ALB's listener and the instance's app go away with the resources
        elbv2.delete_load_balancer(LoadBalancerArn=st["lb"]["LoadBalancerArn"])
        ec2.terminate_instances(InstanceIds=st["ids"])
        wait_for(lambda: _refused(alb) and _refused(app), 15)
        build(url, _octet(), n=1)  # something running when the cloud stops
        info = control(url, "GET", "dataplane")
        running = [_addr(a.split(" -> ")[1]) for addrs in info["instances"].values() for a in addrs]
        running += [_addr(u.split("//")[1]) for lb in info["load_balancers"] for u in lb["listeners"].values()]
        assert running and not any(_refused(a) for a in running)
    finally:
        t0 = time.monotonic()
        code = stop_cloud(proc)
        took = time.monotonic() - t0
    assert code == 0 and took < 10, (code, took)
    assert all(_refused(a) for a in running)


def _addr(text: str) -> tuple[str, int]:
    host, port = text.rsplit(":", 1)
    return host, int(port.split("/")[0])


def _refused(addr: tuple[str, int]) -> bool:
    try:
        socket.create_connection(addr, timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True
