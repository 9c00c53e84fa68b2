"""Discovery against the embedded cloud: real boto3, resources made through the APIs."""
import html
import json
import uuid

import pytest

from awslab import Lab
from awslab.cli import main
from awslab.drills.simulator import simulator
from awslab.topology import SCOPES, discover, topology

from .stack import build_stack, wait_healthy


@pytest.fixture(scope="module")
def built(cloud_url):
    lab = Lab(name="t" + uuid.uuid4().hex[:8], backend="embedded", endpoint_url=cloud_url)
    st = build_stack(lab, desired=2)
    # The traffic path runs through the group's instances once they are targets: wait for both (bounded).
    wait_healthy(lab, cloud_url, st.tg_arn, 2)
    return lab, st


def test_discover_network_tiers_judged_by_routes(built):
    lab, st = built
    snap = discover(lab)
    assert [v.vpc_id for v in snap.vpcs] == [st.network.vpc_id]
    tiers = {s.subnet_id: (s.tier, s.role) for s in snap.subnets}
    assert all(tiers[s] == ("public", "public") for s in st.network.subnet_ids("public"))
    assert all(tiers[s] == ("private", "app") for s in st.network.subnet_ids("private"))
    assert all(tiers[s] == ("private", "db") for s in st.network.subnet_ids("db"))
    pub = next(s for s in snap.subnets if s.tier == "public")
    assert pub.default_route == st.network.internet_gateway_id
    assert {g.kind for g in snap.gateways} >= {"internet"}
    assert {sg.group_id for sg in snap.security_groups} >= set(st.sgs.values())
    app_sg = next(sg for sg in snap.security_groups if sg.group_id == st.sgs["app"])
    assert [(r.port, r.source_group_id) for r in app_sg.inbound] == [("tcp/80", st.sgs["alb"])]
    assert not snap.errors


def test_discover_instances_with_asg_membership_and_target_health(built):
    lab, st = built
    snap = discover(lab)
    members = [i for i in snap.instances if i.auto_scaling_group == st.asg_name]
    assert len(members) >= 2 and all(i.lifecycle_state and i.health_status for i in members)
    assert {i.subnet_id for i in members} <= set(st.network.subnet_ids("private"))
    bastion = next(i for i in snap.instances if i.instance_id == st.bastion_id)
    assert bastion.role == "bastion" and bastion.auto_scaling_group == ""
    tg = next(t for t in snap.target_groups if t.arn == st.tg_arn)
    assert {t.target_id for t in tg.targets} <= {i.instance_id for i in snap.instances}
    assert {i.instance_id for i in members if i.lifecycle_state == "InService"} <= {t.target_id for t in tg.targets}
    assert all(t.state in ("initial", "healthy", "unhealthy", "draining", "unused", "unavailable") for t in tg.targets)
    lb = next(lb for lb in snap.load_balancers if lb.arn == st.alb_arn)
    assert [(l.protocol, l.port, l.default_target_group_arns) for l in lb.listeners] == [("HTTP", 80, [st.tg_arn])]
    asg = next(a for a in snap.auto_scaling_groups if a.name == st.asg_name)
    assert (asg.desired_capacity, asg.target_group_arns, asg.health_check_type) == (2, [st.tg_arn], "ELB")


def test_discover_policies_alarms_and_database(built):
    lab, st = built
    snap = discover(lab)
    assert [(p.policy_name, p.arn) for p in snap.policies] == [("scale-out", st.policy_arn)]
    alarm = next(a for a in snap.alarms if a.alarm_name == st.alarm_name)
    assert alarm.state in ("OK", "ALARM", "INSUFFICIENT_DATA") and alarm.action_arns == [st.policy_arn]
    db = next(d for d in snap.databases if d.identifier == st.db_id)
    assert db.multi_az and set(db.subnet_ids) == set(st.network.subnet_ids("db"))


def test_discover_finds_only_this_lab_unless_scope_is_account(built, lab):
    other, _ = built
    ec2 = lab.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": lab.tags(lab.resource_name("vpc"), "network")}])["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="ap-northeast-2a")
    mine = discover(lab)
    assert [v.vpc_id for v in mine.vpcs] == [vpc] and len(mine.subnets) == 1
    assert mine.subnets[0].tier == "private", "no route to an internet gateway: private"
    assert not mine.load_balancers and not mine.instances
    everything = discover(lab, scope="account")
    assert {vpc, *[v.vpc_id for v in discover(other).vpcs]} <= {v.vpc_id for v in everything.vpcs}
    with pytest.raises(Exception) as e:
        discover(lab, scope="region")
    assert "scope" in str(e.value) and SCOPES


def test_discover_edge_services_linked_into_the_traffic_path(built):
    lab, st = built
    s3, cf, r53 = lab.client("s3"), lab.client("cloudfront"), lab.client("route53")
    bucket = f"{lab.name}-site"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": lab.region})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": lab.tags(bucket, "edge")})
    origin = f"{bucket}.s3.{lab.region}.amazonaws.com"
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": lab.name, "Comment": lab.name, "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": origin, "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}})["Distribution"]
    zone = r53.create_hosted_zone(Name="example.com", CallerReference=lab.name)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "api.example.com", "Type": "A",
        "AliasTarget": {"HostedZoneId": "ZWKZPGTI48KDX", "DNSName": st.alb_dns, "EvaluateTargetHealth": True}}}]})
    topo = topology(lab)
    g = topo.graph
    assert [b.name for b in topo.snapshot.buckets] == [bucket]
    assert g.has_edge(dist["Id"], f"s3:{bucket}") and g.path("user", f"s3:{bucket}")
    assert g.has_edge("dns:api.example.com.:A", st.alb_arn) and g.path("user", st.db_id)


def test_discover_is_a_probe(built):
    lab, _ = built
    ec2 = lab.client("ec2")
    sim = simulator(lab)
    sim.pause()  # the cloud's own control loops (this and other tests' groups) change instances while it runs
    try:
        before = json.dumps([ec2.describe_instances()["Reservations"], ec2.describe_subnets()["Subnets"]], default=str,
                            sort_keys=True)
        discover(lab)
        after = json.dumps([ec2.describe_instances()["Reservations"], ec2.describe_subnets()["Subnets"]], default=str,
                           sort_keys=True)
    finally:
        sim.resume()
    assert before == after


def test_cli_writes_the_file(built, tmp_path, capsys):
    lab, st = built
    out = tmp_path / "topo.svg"
    assert main(["topology", "--lab", lab.name, "--endpoint-url", lab.endpoint_url, "-o", str(out), "--layer", "routes"]) == 0
    assert out.read_bytes().startswith(b"<?xml") and st.asg_name in html.unescape(out.read_text())
    assert "wrote" in capsys.readouterr().out
    assert main(["topology", "--lab", lab.name, "--endpoint-url", lab.endpoint_url, "-o", str(tmp_path / "topo.gif")]) == 2


def test_lab_topology_shows_inline(built):
    lab, st = built
    topo = lab.topology(layers=("traffic", "control", "security_groups"))
    svg = html.unescape(topo._repr_svg_())
    assert svg.startswith("<?xml") and st.alb_arn.split(":")[-1] in svg
    assert any(e.kind == "sg" for e in topo.graph.edges)


def test_repeated_discovery_sees_new_and_changed_instances(built):
    lab, st = built
    ec2 = lab.client("ec2")
    first = discover(lab)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    new = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                            SubnetId=st.network.subnet_ids("public")[1])["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[st.bastion_id])
    second = discover(lab)
    assert new not in {i.instance_id for i in first.instances} and new in {i.instance_id for i in second.instances}
    assert next(i.state for i in second.instances if i.instance_id == st.bastion_id) in ("stopping", "stopped")
    ec2.terminate_instances(InstanceIds=[new])
    assert next(i.state for i in discover(lab).instances if i.instance_id == new) in ("shutting-down", "terminated")


def test_a_failing_instance_turns_red_then_drains(built, cloud_url):
    """The embedded cloud's simulator reports real target health; the graph shows it (ELB: 2 failed checks x 30 s)."""
    from tests.conftest import control

    lab, st = built
    control(cloud_url, "POST", "clock/advance", {"seconds": 300})
    healthy = [t.target_id for tg in discover(lab).target_groups if tg.arn == st.tg_arn for t in tg.targets if t.state == "healthy"]
    assert healthy
    victim = healthy[0]
    control(cloud_url, "POST", "faults", {"instance_id": victim, "kind": "unhealthy"})
    control(cloud_url, "POST", "clock/advance", {"seconds": 90})
    g = topology(lab).graph
    assert g.nodes[victim].state in ("unhealthy", "draining")
    assert [e.state for e in g.edges if e.src == st.tg_arn and e.dst == victim] == [g.nodes[victim].state]
    # Auto Scaling replaces it at a sweep after the grace period, throttled behind any replacement
    # still warming up (aws-semantics §4.1): up to ~10 simulated minutes here, so advance in steps.
    gone = ("draining", "unused", "terminated", "shutting-down")
    for _ in range(30):
        control(cloud_url, "POST", "clock/advance", {"seconds": 30})
        g = topology(lab).graph
        if victim not in g.nodes or g.nodes[victim].state in gone:
            break
    assert victim not in g.nodes or g.nodes[victim].state in gone
    assert len([n for n in g.nodes.values() if n.kind == "instance" and n.state == "healthy"]) >= 1


def test_lab_scope_leaves_out_instances_of_other_vpcs_across_refreshes(built):
    """Lab scope describes only the lab's VPCs; an instance elsewhere never appears, and a new one in the lab does."""
    lab, st = built
    ec2 = lab.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    other = ec2.create_subnet(VpcId=ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"], CidrBlock="10.77.1.0/24")
    outside = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                SubnetId=other["Subnet"]["SubnetId"])["Instances"][0]["InstanceId"]
    first = {i.instance_id for i in discover(lab).instances}
    inside = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                               SubnetId=st.network.subnet_ids("public")[0])["Instances"][0]["InstanceId"]
    second = {i.instance_id for i in discover(lab).instances}
    assert outside in {i.instance_id for i in discover(lab, "account").instances}
    assert outside not in first and outside not in second and inside in second
    asg_members = {i.instance_id: i for i in discover(lab).instances if i.auto_scaling_group}
    assert asg_members and all(i.lifecycle_state and i.health_status for i in asg_members.values())
    ec2.terminate_instances(InstanceIds=[outside, inside])
