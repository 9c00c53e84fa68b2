"""The graph model, built from hand-made discovery records: nesting, paths, layers, states, counters."""
import pytest

from awslab import ValidationError
from awslab.topology.model import LAYERS, build_model, target_state
from awslab.topology.records import DnsRecord, Instance, Snapshot, Subnet, TargetGroup, TargetHealth, Vpc

from .sample import ALB_ARN, POLICY_ARN, TG_ARN, sample_snapshot

APP = ["i-0aaa000000000001", "i-0ccc000000000002", "i-0aaa000000000003", "i-0ccc000000000004"]


def ancestors(g, node_id):
    out, here = [], g.nodes[node_id].cluster
    while here:
        out.append(g.clusters[here].kind + ("/" + g.clusters[here].tier if g.clusters[here].tier else ""))
        here = g.clusters[here].parent
    return out


def test_model_nests_region_vpc_az_subnet_node():
    g = build_model(sample_snapshot())
    assert ancestors(g, APP[0]) == ["subnet/app", "az", "vpc", "region"]
    assert ancestors(g, "nat-1") == ["subnet/public", "az", "vpc", "region"]
    assert ancestors(g, "lab-db") == ["subnet/db", "az", "vpc", "region"]
    assert g.clusters[g.nodes[APP[0]].cluster].az == "ap-northeast-2a"
    assert g.clusters[g.nodes[APP[1]].cluster].az == "ap-northeast-2c"
    azs = [c for c in g.clusters.values() if c.kind == "az"]
    assert [c.label for c in azs] == ["AZ ap-northeast-2a", "AZ ap-northeast-2c"]
    assert all(len(g.subclusters(az.id)) == 3 for az in azs)


def test_model_traffic_path_user_dns_alb_tg_instances_db_and_cdn_s3():
    g = build_model(sample_snapshot())
    assert g.path("user", "dns:api.example.com.:A") and g.has_edge("dns:api.example.com.:A", ALB_ARN)
    assert g.has_edge(ALB_ARN, TG_ARN)
    for iid in APP:
        assert g.has_edge(TG_ARN, iid) and g.has_edge(iid, "lab-db")
    assert g.path("user", "lab-db")
    assert g.path("user", "s3:lab-site") and g.has_edge("E2QWRUHEXAMPLE", "s3:lab-site")
    api = [e for e in g.edges if e.src == "E2QWRUHEXAMPLE" and e.dst == ALB_ARN]
    assert api and api[0].label == "/api/*"
    assert not g.path("user", "i-0bbb00000000bast"), "the bastion is not on the request path"


def test_model_multi_az_db_has_standby_in_the_other_az():
    g = build_model(sample_snapshot())
    standby = g.nodes["lab-db-standby"]
    assert g.clusters[standby.cluster].az == "ap-northeast-2c" and g.clusters[standby.cluster].tier == "db"
    assert [e.kind for e in g.edges if e.dst == "lab-db-standby"] == ["replication"]


@pytest.mark.parametrize("state", ["healthy", "initial", "unhealthy", "draining", "unused"])
def test_model_target_health_state_colours_node_and_edge(state):
    g = build_model(sample_snapshot(states=(state, "healthy", "healthy", "healthy")))
    node = g.nodes[APP[0]]
    assert node.state == state and f"target: {state}" in node.label
    assert [e.state for e in g.edges if e.src == TG_ARN and e.dst == APP[0]] == [state]


def test_model_instance_in_two_target_groups_shows_its_worst_state():
    snap = sample_snapshot()
    snap.target_groups.append(TargetGroup("arn:tg2", "other", targets=[TargetHealth(APP[0], 80, "unhealthy", "Target.ResponseCodeMismatch")]))
    g = build_model(snap)
    assert g.nodes[APP[0]].state == "unhealthy" and "Target.ResponseCodeMismatch" in g.nodes[APP[0]].tooltip
    assert target_state(["healthy", "draining", "initial"]) == "draining" and target_state([]) == ""


def test_model_instance_outside_target_groups_shows_ec2_state_and_terminated_ones_disappear():
    snap = sample_snapshot()
    snap.instances += [Instance("i-stopped", "subnet-appa", "ap-northeast-2a", "stopped"),
                       Instance("i-gone", "subnet-appa", "ap-northeast-2a", "terminated")]
    g = build_model(snap)
    assert g.nodes["i-stopped"].state == "stopped"
    assert "i-gone" not in g.nodes
    assert g.nodes["i-0bbb00000000bast"].kind == "bastion" and g.nodes["i-0bbb00000000bast"].state == "running"


@pytest.mark.parametrize("health_status", ["Unhealthy", "UNHEALTHY"])
def test_model_auto_scaling_unhealthy_instance_outside_target_groups_shows_unhealthy(health_status):
    """describe-auto-scaling-instances says UNHEALTHY, describe-auto-scaling-groups says Unhealthy: both count."""
    snap = sample_snapshot()
    snap.instances.append(Instance("i-sick", "subnet-appa", "ap-northeast-2a", "running", health_status=health_status))
    assert build_model(snap).nodes["i-sick"].state == "unhealthy"


def test_model_asg_shows_desired_versus_in_service():
    g = build_model(sample_snapshot(states=("healthy", "healthy", "initial", "draining")))
    asg = g.nodes["asg:lab-web"]
    assert "desired 4 · in service 2" in asg.label and asg.state == "scaling" and asg.count == 2
    steady = build_model(sample_snapshot(states=("healthy",) * 4)).nodes["asg:lab-web"]
    assert "desired 4 · in service 4" in steady.label and steady.state == "steady"


def test_model_control_loop_alarm_policy_asg_with_alarm_state():
    g = build_model(sample_snapshot())
    high, low = g.nodes["alarm:TargetTracking-lab-web-AlarmHigh"], g.nodes["alarm:TargetTracking-lab-web-AlarmLow"]
    assert (high.state, low.state) == ("ALARM", "OK")
    assert g.path("alarm:TargetTracking-lab-web-AlarmHigh", TG_ARN, kind="control")
    assert g.has_edge("policy:lab-web:cpu70", "asg:lab-web", "control")
    no_control = build_model(sample_snapshot(), layers=("traffic",))
    assert "alarm:TargetTracking-lab-web-AlarmHigh" not in no_control.nodes and "asg:lab-web" in no_control.nodes
    assert POLICY_ARN


def test_model_optional_layers_add_security_group_and_route_edges():
    plain = build_model(sample_snapshot())
    assert not [e for e in plain.edges if e.kind in ("sg", "route")]
    g = build_model(sample_snapshot(), layers=LAYERS)
    sg = {(e.src, e.dst, e.label) for e in g.edges if e.kind == "sg"}
    assert (ALB_ARN, APP[0], "lab-app-sg allows tcp/80") in sg
    assert (APP[0], "lab-db", "lab-db-sg allows tcp/3306") in sg
    assert ("i-0bbb00000000bast", APP[0], "lab-app-sg allows tcp/22") in sg
    assert ("user", ALB_ARN, "lab-alb-sg allows tcp/80") in sg
    assert not any(dst == "i-0bbb00000000bast" and src == "user" for src, dst, _ in sg), "a /32 is not the internet"
    routes = {(e.src, e.dst) for e in g.edges if e.kind == "route"}
    assert ("anchor_cluster_subnet-puba", "igw-1") in routes and ("anchor_cluster_subnet-appc", "nat-1") in routes
    assert ("nat-1", "igw-1") in routes


def test_model_traffic_counters_on_target_edges_and_labels():
    g = build_model(sample_snapshot(), traffic={APP[0]: 120, APP[1]: 7})
    edges = {e.dst: e for e in g.edges if e.src == TG_ARN}
    assert (edges[APP[0]].count, edges[APP[0]].label) == (120, "120 req") and edges[APP[1]].count == 7
    assert edges[APP[2]].count is None
    assert "120 req" in g.nodes[APP[0]].label and g.nodes[ALB_ARN].count == 127 and "127 req" in g.nodes[ALB_ARN].label
    assert build_model(sample_snapshot()).nodes[ALB_ARN].count is None


def test_model_signature_changes_only_when_the_picture_does():
    a, b = build_model(sample_snapshot()), build_model(sample_snapshot())
    assert a.signature() == b.signature()
    assert build_model(sample_snapshot(states=("unhealthy", "healthy", "initial", "draining"))).signature() != a.signature()
    assert build_model(sample_snapshot(), traffic={APP[0]: 1}).signature() != a.signature()


def test_model_rejects_unknown_layers():
    with pytest.raises(ValidationError) as e:
        build_model(Snapshot(), layers=("traffic", "nacls"))
    assert e.value.field == "layers" and "security_groups" in str(e.value)


def test_model_empty_subnet_still_drawn_and_unknown_subnet_falls_back_to_region():
    snap = Snapshot(region="ap-northeast-2", subnets=[Subnet("subnet-x", "vpc-9", "ap-northeast-2a", "10.9.0.0/24", tier="public", role="public")],
                    instances=[Instance("i-lost", "subnet-elsewhere")])
    g = build_model(snap)
    assert "anchor_cluster_subnet-x" in g.nodes and "cluster_vpc-9" in g.clusters
    assert g.nodes["i-lost"].cluster == "cluster_region"


def test_model_names_each_vpc_and_subnet_by_name_and_by_id():
    """Students match the picture against `aws ec2 describe-vpcs/describe-subnets`, which print ids."""
    g = build_model(sample_snapshot())
    assert g.clusters["cluster_vpc-1"].label == "VPC lab-vpc (vpc-1)  10.0.0.0/16"
    assert g.clusters["cluster_subnet-puba"].label.split("\n") == ["Public subnet  10.0.1.0/24", "lab-public-a (subnet-puba)",
                                                                  "0.0.0.0/0 → internet gateway"]
    unnamed = Snapshot(vpcs=[Vpc("vpc-0a1b2c3d4e5f67890", "100.64.0.0/16")],
                       subnets=[Subnet("subnet-0123456789abcdef0", "vpc-0a1b2c3d4e5f67890", "ap-northeast-2a", "100.64.1.0/24")])
    g = build_model(unnamed)
    assert g.clusters["cluster_vpc-0a1b2c3d4e5f67890"].label == "VPC vpc-0a1b2c3d4e5f67890  100.64.0.0/16"
    assert "subnet-0123456789abcdef0" in g.clusters["cluster_subnet-0123456789abcdef0"].label


def test_model_route53_alias_label_keeps_the_whole_target_name():
    snap = sample_snapshot()
    long = "internal-lab-alb-with-a-long-name-1234567890.ap-northeast-2.elb.amazonaws.com."
    snap.dns_records[0] = DnsRecord("example.com.", "api.example.com.", "A", long, True)
    label = build_model(snap).nodes["dns:api.example.com.:A"].label
    assert label.split("\n")[:2] == ["Route 53  api.example.com", "A alias →"]
    assert "".join(label.split("\n")[2:]) == long.rstrip(".")  # wrapped at dots, nothing cut
    assert all(len(line) <= len("internal-lab-alb-with-a-long-name-1234567890.") for line in label.split("\n"))


@pytest.mark.parametrize("n,text", [(1, "1 step"), (2, "2 steps"), (3, "3 steps")])
def test_step_policy_summary_counts_its_steps_in_words(n, text):
    from awslab.topology.discover import _policy_summary

    steps = [{"MetricIntervalLowerBound": float(10 * k), "ScalingAdjustment": 1} for k in range(n)]
    assert _policy_summary({"PolicyType": "StepScaling", "StepAdjustments": steps}) == text
