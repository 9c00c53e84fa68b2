"""How a person reads AWS identifiers: names and ids, not ARNs.

An ARN is for machines. The console shows a target group as ``awslab-tg`` and
an instance as ``i-0abc…``; the lab's tables and messages do the same, so a
student can match them with the console and the AWS CLI's output.
"""
from __future__ import annotations

__all__ = ["readable"]

#: ARN resource types whose second path part is the name: ``targetgroup/awslab-tg/73e2…``, ``loadbalancer/app/awslab-alb/…``.
_NAMED = {"targetgroup": 1, "loadbalancer": 2, "listener": 2, "listener-rule": 2}


def readable(value: str) -> str:
    """``arn:…:targetgroup/awslab-tg/73e2…`` -> ``awslab-tg``; a listener -> ``awslab-alb listener``; an id stays an id."""
    if not isinstance(value, str) or not value.startswith("arn:"):
        return value
    parts = value.split(":", 5)
    if len(parts) < 6:
        return value
    resource = parts[5]
    if resource.startswith(("autoScalingGroup:", "scalingPolicy:")):
        tail = resource.rsplit("/", 1)[-1]  # ...:autoScalingGroupName/awslab-asg or ...:policyName/awslab-tt
        return tail
    if resource.startswith("alarm:"):
        return resource.split(":", 1)[1]
    path = resource.split("/")
    kind = path[0]
    if kind in _NAMED and len(path) > _NAMED[kind]:
        name = path[_NAMED[kind]]
        return f"{name} {kind.replace('-', ' ')}" if kind.startswith("listener") else name
    return path[-1] if len(path) > 1 else resource.split(":")[-1]
