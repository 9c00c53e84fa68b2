"""Structure (issue 11 §10): the moto patch creates target-tracking alarms through a hook the simulator
registers; it imports no simulator code, and CloudWatch, the policies and the patch form no import cycle."""
from __future__ import annotations

import ast
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "awslab"
WATCHED = ("awslab.sim.cloudwatch", "awslab.sim.policies", "awslab.cloud.moto_ext")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every awslab module ``name`` imports, at any depth of the file (function-level imports included)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for t in targets:
            while t not in modules and "." in t:
                t = t.rsplit(".", 1)[0]
            if t in modules and t != name:
                found.add(t)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_the_moto_extension_imports_no_simulator_code():
    graph = _graph()
    offenders = {m: sorted(d for d in deps if d.startswith("awslab.sim"))
                 for m, deps in graph.items() if m.startswith("awslab.cloud.moto_ext")}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_cloudwatch_policies_and_the_moto_patch_form_no_import_cycle():
    graph = _graph()
    watched = [m for m in graph if m.startswith(WATCHED)]

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            for d in graph.get(m, ()):
                if d == goal:
                    return True
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return False

    # a package importing its own submodules (re-exports) is not a cycle between modules
    cycles = [(m, d) for m in watched for d in graph[m]
              if not d.startswith(m + ".") and not m.startswith(d + ".") and reaches(d, m)
              and not (m.rsplit(".", 1)[0] == d or d.rsplit(".", 1)[0] == m)]
    assert cycles == []


def test_target_tracking_alarms_come_from_the_simulators_hook(world):
    """The moto patch stores whatever the simulator's hook decides (and makes none without a simulator hook)."""
    w = world
    w.network()
    w.asg(name="tt", desired=1, min_size=1, max_size=2)
    calls = []
    real = w.sim.policies.target_tracking_alarms

    def hook(group_name, group, policy_arn, config):
        calls.append((group_name, group.name, policy_arn.endswith("policyName/cpu50"), config["TargetValue"]))
        return real(group_name, group, policy_arn, config)[:1]  # only AlarmHigh, to see the hook's answer used

    w.sim.policies.target_tracking_alarms = hook
    out = w.autoscaling.put_scaling_policy(AutoScalingGroupName="tt", PolicyName="cpu50",
                                           PolicyType="TargetTrackingScaling", TargetTrackingConfiguration={
                                               "TargetValue": 50.0, "PredefinedMetricSpecification": {
                                                   "PredefinedMetricType": "ASGAverageCPUUtilization"}})
    assert calls == [("tt", "tt", True, 50.0)]
    assert [a["AlarmName"].split("-")[2] for a in out["Alarms"]] == ["AlarmHigh"]
    cw = boto3.client("cloudwatch", region_name="ap-northeast-2")
    assert [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="TargetTracking-tt-")["MetricAlarms"]] == [
        out["Alarms"][0]["AlarmName"]]
