"""Which listener rule handles a request, and what it does: a pure function of describe_rules.

An ALB listener holds rules with priorities 1-50,000 and one default rule.
Rules are evaluated lowest priority first; the default rule comes last and
always matches. Within a rule every condition must match; within a
condition any one of its values may match
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#listener-rules).

Conditions (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html):

- ``host-header``: case-insensitive, ``*`` and ``?`` wildcards, compared without the port.
- ``path-pattern``: case-sensitive, the path only (no query string).
- ``http-header``: the header name is case-insensitive, values case-insensitive with wildcards.
- ``http-request-method``: exact and case-sensitive.
- ``query-string``: key/value pairs, case-insensitive, wildcards; a pair with no key matches any key.
- ``source-ip``: the client's address against CIDRs (not X-Forwarded-For).

Actions end a rule: ``forward`` (one or more target groups with weights),
``fixed-response`` or ``redirect`` (``#{protocol}``, ``#{host}``, ``#{port}``,
``#{path}``, ``#{query}`` placeholders; HTTP_301 or HTTP_302).
"""
from __future__ import annotations

import ipaddress
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Mapping
from urllib.parse import parse_qsl

__all__ = ["Request", "Outcome", "RuleSet", "match_rule", "compile_condition", "wildcard"]


@dataclass(slots=True)
class Request:
    """What the rules look at. ``headers`` keys are lower-case."""

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    source_ip: str = "127.0.0.1"
    protocol: str = "http"
    port: int = 80
    #: How many virtual requests this real one stands for (the traffic generator's sampling weight).
    weight: float = 1.0

    @property
    def host(self) -> str:
        """The Host header without its port (rules compare host names only)."""
        h = self.headers.get("host", "")
        if h.startswith("["):
            return h.split("]")[0] + "]"
        return h.rsplit(":", 1)[0] if ":" in h else h


@dataclass(frozen=True)
class Outcome:
    """What the matched rule decided.

    ``kind`` is ``forward``, ``fixed-response`` or ``redirect``; ``priority``
    is the rule's (``0`` for the default rule, as in the access log).
    ``target_group_arn`` for forward; ``status``/``body``/``content_type``
    for fixed-response; ``status``/``location`` for redirect.
    """

    kind: str
    priority: int
    rule_arn: str = ""
    target_group_arn: str | None = None
    status: int = 0
    body: str = ""
    content_type: str = "text/plain"
    location: str | None = None


@lru_cache(maxsize=4096)
def wildcard(pattern: str, case_sensitive: bool = True) -> re.Pattern:
    """An ALB match value as a regex: ``*`` is any run of characters, ``?`` exactly one."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def _values(cond: dict, config_key: str) -> list:
    cfg = cond.get(config_key) or {}
    return cfg.get("Values") or cond.get("Values") or []


def _any_of(values: list[str], case_sensitive: bool) -> Callable[[str | None], bool]:
    """One compiled alternation for a condition's values (one regex call per request, not one per value)."""
    if not values:
        return lambda value: False
    bodies = [wildcard(v, case_sensitive).pattern[1:-1] for v in values]
    match = re.compile("^(?:" + "|".join(bodies) + ")$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL).match
    return lambda value: value is not None and match(value) is not None


def compile_condition(cond: dict) -> Callable[[Request], bool]:
    """One condition as a predicate on a :class:`Request` (patterns compiled once)."""
    field_ = cond["Field"]
    if field_ == "host-header":
        host_ok = _any_of(_values(cond, "HostHeaderConfig"), False)
        return lambda req: host_ok(req.host)
    if field_ == "path-pattern":
        path_ok = _any_of(_values(cond, "PathPatternConfig"), True)
        return lambda req: path_ok(req.path)
    if field_ == "http-request-method":
        methods = set(_values(cond, "HttpRequestMethodConfig"))
        return lambda req: req.method in methods
    if field_ == "http-header":
        cfg = cond.get("HttpHeaderConfig") or {}
        name, header_ok = cfg.get("HttpHeaderName", "").lower(), _any_of(cfg.get("Values", []), False)
        return lambda req: header_ok(req.headers.get(name))
    if field_ == "query-string":
        wants = [(None if w.get("Key") is None else wildcard(w["Key"], False), wildcard(w.get("Value", ""), False))
                 for w in (cond.get("QueryStringConfig") or {}).get("Values", [])]
        return lambda req: any((kp is None or kp.match(k)) and vp.match(v)
                               for k, v in parse_qsl(req.query, keep_blank_values=True) for kp, vp in wants)
    if field_ == "source-ip":
        nets = [ipaddress.ip_network(c, strict=False) for c in _values(cond, "SourceIpConfig")]
        return lambda req: any(ipaddress.ip_address(req.source_ip) in n for n in nets)
    return lambda req: False  # an unknown condition type never matches


def match_rule(rule: dict, req: Request) -> bool:
    """True when every condition of ``rule`` matches ``req`` (the default rule has none)."""
    return all(compile_condition(c)(req) for c in rule.get("Conditions", []))


def _priority(rule: dict) -> int:
    p = rule.get("Priority", "default")
    return 0 if rule.get("IsDefault") or p == "default" else int(p)


class RuleSet:
    """One listener's rules, sorted: evaluate a request with :meth:`evaluate`.

    ``rules`` is the ``Rules`` list of describe_rules. ``rng`` picks among
    weighted target groups (seed it for repeatable tests).
    """

    def __init__(self, rules: list[dict], rng: random.Random | None = None):
        self.rules = sorted(rules, key=lambda r: (1 if _priority(r) == 0 else 0, _priority(r)))
        self.rng = rng or random.Random(0)
        # conditions compiled, priority and terminal action found once, not per request
        self._compiled = [([compile_condition(c) for c in r.get("Conditions", [])], r, _priority(r), _terminal_action(r))
                          for r in self.rules]
        self._forward_cache: dict = {}

    def evaluate(self, req: Request) -> Outcome:
        """The outcome of the first rule that matches (the default rule if none)."""
        for conditions, rule, prio, action in self._compiled:
            for c in conditions:  # a plain loop: cheaper than all(<generator>) on the hot path
                if not c(req):
                    break
            else:
                return self._act(rule, req, prio, action)
        return Outcome("fixed-response", -1, status=503, body="no rules")  # AWS never has no default rule

    def _act(self, rule: dict, req: Request, prio: int, action: dict | None) -> Outcome:
        arn = rule.get("RuleArn", "")
        if action is None:
            return Outcome("fixed-response", -1, arn, status=500, body="no terminal action")
        if action["Type"] == "forward":
            fixed = self._forward_cache.get(arn or id(rule))
            if fixed is not None:  # one target group: the same outcome every time
                return fixed
            out = Outcome("forward", prio, arn, target_group_arn=self._pick_group(action))
            if len(_groups(action)) <= 1:
                self._forward_cache[arn or id(rule)] = out
            return out
        if action["Type"] == "fixed-response":
            cfg = action.get("FixedResponseConfig", {})
            return Outcome("fixed-response", prio, arn, status=int(cfg.get("StatusCode", 200)),
                           body=cfg.get("MessageBody", ""), content_type=cfg.get("ContentType", "text/plain"))
        cfg = action.get("RedirectConfig", {})
        return Outcome("redirect", prio, arn, status=301 if cfg.get("StatusCode") == "HTTP_301" else 302,
                       location=redirect_location(cfg, req))

    def _pick_group(self, action: dict) -> str | None:
        groups = _groups(action)
        if not groups:
            return action.get("TargetGroupArn")
        if len(groups) == 1:
            return groups[0]["TargetGroupArn"]
        weights = [max(int(g.get("Weight", 1)), 0) for g in groups]
        if sum(weights) == 0:
            return groups[0]["TargetGroupArn"]
        return self.rng.choices([g["TargetGroupArn"] for g in groups], weights)[0]


def _terminal_action(rule: dict) -> dict | None:
    """The action that ends the rule (forward, fixed-response or redirect), after any authenticate actions."""
    actions = sorted(rule.get("Actions", []), key=lambda a: a.get("Order", 0))
    return next((a for a in actions if a["Type"] in ("forward", "fixed-response", "redirect")), None)


def _groups(action: dict) -> list[dict]:
    return (action.get("ForwardConfig") or {}).get("TargetGroups") or []


def redirect_location(cfg: dict, req: Request) -> str:
    """The ``Location`` of a redirect action. Unset components keep the request's (``#{...}``)."""
    values = {"protocol": req.protocol, "host": req.host, "port": str(req.port), "path": req.path.lstrip("/"), "query": req.query}

    def fill(template: str) -> str:
        for k, v in values.items():
            template = template.replace("#{" + k + "}", v)
        return template

    protocol = fill(cfg.get("Protocol", "#{protocol}")).lower()
    host = fill(cfg.get("Host", "#{host}"))
    port = fill(cfg.get("Port", "#{port}"))
    path = fill(cfg.get("Path", "/#{path}"))
    query = fill(cfg.get("Query", "#{query}"))
    # AWS keeps the port in Location even when it is the protocol's default (https://host:443/...).
    return f"{protocol}://{host}:{port}{path if path.startswith('/') else '/' + path}" + (f"?{query}" if query else "")
