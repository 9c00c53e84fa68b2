"""Lab 06, the Application Load Balancer: the ALB in both public subnets, its HTTP:80 listener and its rules.

An ALB is one DNS name in front of a node in each AZ's public subnet. Its listener
takes requests on a port; its rules, lowest priority first, pick what to do with
each one (forward to a target group, answer it at the ALB); the default rule
catches the rest. AWS's reference:
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
"""
from __future__ import annotations

from typing import Any

from ..i18n import N_, _
from .health_checks import the_target_group
from .network import the_vpc
from .probes import lab_items, label, name_of, tags_of
from .registry import not_yet, ok, question, task
from .security_groups import group

#: The lab's rules (task 06.3 and 06.4): the API's path and the path answered at the ALB.
API_PATH, ADMIN_PATH = "/api/*", "/admin/*"
ADMIN_STATUS = "403"


def public_subnets(lab: Any) -> list[dict]:
    """The lab's public subnets (lab 01's), by AZ."""
    vpc_id = the_vpc(lab)["VpcId"]
    found = [s for s in lab_items(lab, "describe_subnets", "Subnets") if s.get("VpcId") == vpc_id
             and (tags_of(s).get("awslab:tier") == "public" or name_of(s).startswith(f"{lab.name}-public-"))]
    return sorted(found, key=lambda s: s["AvailabilityZone"])


def elb_tags(lab: Any, arn: str) -> dict[str, str]:
    """The tags of a load balancer or target group, as a dict."""
    found = lab.client("elbv2").describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return {t["Key"]: t["Value"] for t in (found[0].get("Tags", []) if found else [])}


def find_alb(lab: Any) -> dict | None:
    """The lab's load balancer ``<lab>-alb``, or None."""
    elb = lab.client("elbv2")
    try:
        found = elb.describe_load_balancers(Names=[f"{lab.name}-alb"])["LoadBalancers"]
    except elb.exceptions.LoadBalancerNotFoundException:
        return None
    return found[0] if found else None


def the_alb(lab: Any) -> dict:
    """The lab's load balancer ``<lab>-alb`` (task 06.1's), or a not-yet saying to do 06.1 first."""
    found = find_alb(lab)
    if found is None:
        raise not_yet(_("There is no load balancer named {name} yet (task 06.1).").format(name=f"{lab.name}-alb"),
                      _("Do task 06.1 first: elbv2.create_load_balancer(Name=..., ...)."))
    return found


def the_listener(lab: Any, alb: dict) -> dict:
    """The ALB's listener on port 80 (task 06.2's), or a not-yet."""
    listeners = lab.client("elbv2").describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    on_80 = [x for x in listeners if x["Port"] == 80]
    if not on_80:
        tg = the_target_group(lab)
        raise not_yet(_("{alb} has no listener on port 80 yet: it takes no requests at all.").format(
            alb=alb["LoadBalancerName"]),
            f"aws elbv2 create-listener --load-balancer-arn {alb['LoadBalancerArn']} --protocol HTTP --port 80 "
            f"--default-actions Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    return on_80[0]


def forwards_to(action: dict) -> list[str]:
    """The target groups a ``forward`` action sends to (either form AWS accepts); [] for other actions."""
    if action.get("Type") != "forward":
        return []
    if action.get("TargetGroupArn"):
        return [action["TargetGroupArn"]]
    return [t["TargetGroupArn"] for t in action.get("ForwardConfig", {}).get("TargetGroups", [])]


def path_patterns(rule: dict) -> list[str]:
    """The path-pattern values of a rule (``PathPatternConfig`` or the older ``Values``)."""
    return [v for c in rule.get("Conditions", []) if c.get("Field") == "path-pattern"
            for v in c.get("PathPatternConfig", {}).get("Values", c.get("Values", []))]


def _rules(lab: Any, listener: dict) -> list[dict]:
    return [r for r in lab.client("elbv2").describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
            if not r.get("IsDefault")]


def _tag_fix(arn: str, name: str, lab_name: str) -> str:
    return f"aws elbv2 add-tags --resource-arns {arn} --tags Key=Name,Value={name} Key=awslab:lab,Value={lab_name}"


def _create_alb_fix(lab: Any, public: list[dict], sg_id: str) -> str:
    return (f"aws elbv2 create-load-balancer --name {lab.name}-alb --type application --scheme internet-facing "
            f"--subnets {' '.join(s['SubnetId'] for s in public)} --security-groups {sg_id} "
            f"--tags Key=Name,Value={lab.name}-alb Key=awslab:lab,Value={lab.name}")


@task("06.1", N_("Create the internet-facing ALB in both public subnets"))
def load_balancer(lab: Any) -> Any:
    public = public_subnets(lab)
    sg = group(lab, "alb", "02.1")
    alb = find_alb(lab)
    if alb is None:
        raise not_yet(_("There is no load balancer named {name} yet.").format(name=f"{lab.name}-alb"),
                      _create_alb_fix(lab, public, sg["GroupId"]))
    name, arn = alb["LoadBalancerName"], alb["LoadBalancerArn"]
    delete = f"aws elbv2 delete-load-balancer --load-balancer-arn {arn}"
    if alb.get("Type") != "application":
        raise not_yet(_("{alb} is a {type} load balancer; the lab needs an Application Load Balancer (HTTP, with "
                        "rules). The type cannot be changed: delete it and create it again.").format(
            alb=name, type=alb.get("Type")), delete)
    if alb.get("Scheme") != "internet-facing":
        raise not_yet(_("{alb} is internal: it has private addresses only, so users on the internet cannot reach it. "
                        "The scheme cannot be changed: delete it and create it with Scheme='internet-facing'.").format(
            alb=name), delete)
    want = {s["SubnetId"] for s in public}
    got = {z["SubnetId"] for z in alb.get("AvailabilityZones", [])}
    if got != want:
        raise not_yet(_("{alb} is in {got}; it belongs in the lab's public subnets {want}, one per AZ: their route "
                        "to the internet gateway is what lets users reach its nodes.").format(
            alb=name, got=", ".join(sorted(got)), want=", ".join(label(s["SubnetId"], name_of(s)) for s in public)),
            f"aws elbv2 set-subnets --load-balancer-arn {arn} --subnets {' '.join(sorted(want))}")
    if alb.get("SecurityGroups", []) != [sg["GroupId"]]:
        raise not_yet(_("{alb} has the security group(s) {got}; it needs exactly the ALB's group {want} (task 02.1), "
                        "which admits 80 and 443 from the internet and which the app group trusts.").format(
            alb=name, got=", ".join(alb.get("SecurityGroups", [])) or "-", want=label(sg["GroupId"], sg["GroupName"])),
            f"aws elbv2 set-security-groups --load-balancer-arn {arn} --security-groups {sg['GroupId']}")
    if elb_tags(lab, arn).get("awslab:lab") != lab.name:
        raise not_yet(_("{alb} has no tag awslab:lab={lab}: later labs (and teardown) find the lab's resources by it.")
                      .format(alb=name, lab=lab.name),
                      _tag_fix(arn, name, lab.name))
    azs = ", ".join(sorted(z["ZoneName"] for z in alb["AvailabilityZones"]))
    return ok(_("{alb}: internet-facing, a node in each of {azs}, behind {sg}. Its DNS name: {dns}").format(
        alb=name, azs=azs, sg=sg["GroupName"], dns=alb["DNSName"]), [name, alb["DNSName"]])


@task("06.2", N_("Add the HTTP:80 listener that forwards to the target group"))
def listener(lab: Any) -> Any:
    alb = the_alb(lab)
    tg = the_target_group(lab)
    lst = the_listener(lab, alb)
    arn = lst["ListenerArn"]
    if lst.get("Protocol") != "HTTP":
        raise not_yet(_("The listener on port 80 speaks {proto}; port 80 is plain HTTP (HTTPS on 443 needs a "
                        "certificate). Delete it and create an HTTP listener.").format(proto=lst.get("Protocol")),
                      f"aws elbv2 delete-listener --listener-arn {arn}")
    actions = lst.get("DefaultActions", [])
    targets = [t for a in actions for t in forwards_to(a)]
    if targets != [tg["TargetGroupArn"]]:
        what = ", ".join(a.get("Type", "?") for a in actions) if not targets else ", ".join(
            t.split(":")[-1] for t in targets)
        raise not_yet(_("The listener's default action is {what}; it should forward every request to {tg}, the "
                        "target group of the two web servers.").format(what=what, tg=tg["TargetGroupName"]),
                      f"aws elbv2 modify-listener --listener-arn {arn} "
                      f"--default-actions Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    return ok(_("{alb} listens on HTTP:80 and forwards to {tg} (the default rule).").format(
        alb=alb["LoadBalancerName"], tg=tg["TargetGroupName"]), [arn.split(":")[-1]])


def the_api_target_group(lab: Any) -> dict:
    """The API's target group ``<lab>-api-tg`` (task 06.3's), or a not-yet with the command that makes it."""
    elb = lab.client("elbv2")
    name = f"{lab.name}-api-tg"
    try:
        found = elb.describe_target_groups(Names=[name])["TargetGroups"]
    except elb.exceptions.TargetGroupNotFoundException:
        found = []
    if not found:
        vpc_id = the_vpc(lab)["VpcId"]
        raise not_yet(_("There is no target group named {name} yet: the API's requests need a group of their own.")
                      .format(name=name),
                      f"aws elbv2 create-target-group --name {name} --protocol HTTP --port 80 --vpc-id {vpc_id} "
                      f"--health-check-path /health --tags Key=Name,Value={name} Key=awslab:lab,Value={lab.name}")
    return found[0]


def _api_group_ready(lab: Any, api: dict) -> None:
    name, arn = api["TargetGroupName"], api["TargetGroupArn"]
    vpc_id = the_vpc(lab)["VpcId"]
    if (api.get("Protocol"), api.get("Port"), api.get("VpcId")) != ("HTTP", 80, vpc_id):
        raise not_yet(_("{tg} is {proto}:{port} in {vpc}; the lab needs HTTP:80 in {want}. These cannot be changed: "
                        "delete it and create it again.").format(
            tg=name, proto=api.get("Protocol"), port=api.get("Port"), vpc=api.get("VpcId"), want=vpc_id),
                      f"aws elbv2 delete-target-group --target-group-arn {arn}")
    if api.get("HealthCheckPath") != "/health":
        raise not_yet(_("{tg} checks {path}; the web app's health page is /health.").format(
            tg=name, path=api.get("HealthCheckPath")),
            f"aws elbv2 modify-target-group --target-group-arn {arn} --health-check-path /health")
    if elb_tags(lab, arn).get("awslab:lab") != lab.name:
        raise not_yet(_("{tg} has no tag awslab:lab={lab}: later labs (and teardown) find the lab's resources by it.")
                      .format(tg=name, lab=lab.name),
                      _tag_fix(arn, name, lab.name))


@task("06.3", N_("Send /api/* to a target group of its own"))
def api_rule(lab: Any) -> Any:
    alb = the_alb(lab)
    lst = the_listener(lab, alb)
    api = the_api_target_group(lab)
    _api_group_ready(lab, api)
    rules = _rules(lab, lst)
    mine = [r for r in rules if api["TargetGroupArn"] in [t for a in r["Actions"] for t in forwards_to(a)]]
    if not mine:
        elsewhere = [r for r in rules if API_PATH in path_patterns(r)]
        if elsewhere:
            r = elsewhere[0]
            raise not_yet(_("Rule {priority} matches /api/* but does not forward to {tg}.").format(
                priority=r["Priority"], tg=api["TargetGroupName"]),
                f"aws elbv2 modify-rule --rule-arn {r['RuleArn']} "
                f"--actions Type=forward,TargetGroupArn={api['TargetGroupArn']}")
        raise not_yet(_("No rule of the port-80 listener forwards to {tg} yet.").format(tg=api["TargetGroupName"]),
                      f"aws elbv2 create-rule --listener-arn {lst['ListenerArn']} --priority 10 "
                      f"--conditions Field=path-pattern,Values='{API_PATH}' "
                      f"--actions Type=forward,TargetGroupArn={api['TargetGroupArn']}")
    r = mine[0]
    patterns = path_patterns(r)
    if API_PATH not in patterns:
        hint = _("A pattern is matched against the whole path: /api alone does not match /api/whoami; /api/* does.")
        raise not_yet(_("Rule {priority} forwards to {tg} when the path matches {got}; the lab sends /api/* there. "
                        "{hint}").format(priority=r["Priority"], tg=api["TargetGroupName"],
                                         got=", ".join(patterns) or "-", hint=hint),
                      f"aws elbv2 modify-rule --rule-arn {r['RuleArn']} "
                      f"--conditions Field=path-pattern,Values='{API_PATH}'")
    return ok(_("Rule {priority}: /api/* goes to {api}; everything else falls through to the default rule.").format(
        priority=r["Priority"], api=api["TargetGroupName"]),
        [f"{r['Priority']}: {API_PATH} -> {api['TargetGroupName']}"])


@task("06.4", N_("Answer /admin/* at the load balancer with 403"))
def admin_rule(lab: Any) -> Any:
    lst = the_listener(lab, the_alb(lab))
    rules = [r for r in _rules(lab, lst) if ADMIN_PATH in path_patterns(r)]
    if not rules:
        raise not_yet(_("No rule matches /admin/* yet: the admin pages go to the web servers like any other path."),
                      f"aws elbv2 create-rule --listener-arn {lst['ListenerArn']} --priority 20 "
                      f"--conditions Field=path-pattern,Values='{ADMIN_PATH}' --actions "
                      f"'Type=fixed-response,FixedResponseConfig={{StatusCode={ADMIN_STATUS},ContentType=text/plain,"
                      "MessageBody=Forbidden}'")
    r = rules[0]
    action = r["Actions"][-1] if r.get("Actions") else {}
    fix = (f"aws elbv2 modify-rule --rule-arn {r['RuleArn']} --actions 'Type=fixed-response,"
           f"FixedResponseConfig={{StatusCode={ADMIN_STATUS},ContentType=text/plain,MessageBody=Forbidden}}'")
    if action.get("Type") != "fixed-response":
        raise not_yet(_("Rule {priority} matches /admin/* but its action is {type}: the request still leaves the ALB. "
                        "A fixed-response action answers at the ALB itself.").format(
            priority=r["Priority"], type=action.get("Type")), fix)
    status = action.get("FixedResponseConfig", {}).get("StatusCode")
    if status != ADMIN_STATUS:
        raise not_yet(_("Rule {priority} answers /admin/* with {got}; the lab answers 403 Forbidden.").format(
            priority=r["Priority"], got=status), fix)
    return ok(_("Rule {priority}: /admin/* is answered 403 by the ALB; no server sees it.").format(
        priority=r["Priority"]), [f"{r['Priority']}: {ADMIN_PATH} -> {ADMIN_STATUS}"])


question("06.q1", N_("Your ALB answers 504 Gateway Timeout. Which of these does AWS give as a cause?"),
         [N_("The target groups have no registered targets."),
          N_("A target refused the connection, or closed it while a request was in flight."),
          N_("The ALB could not connect to a target within 10 seconds, or the target did not answer before the idle "
             "timeout."),
          N_("The request was bigger than the ALB accepts.")],
         answer=2,
         why=N_("AWS's troubleshooting page: 504 means the load balancer failed to establish a connection to the "
                "target before the connection timeout expired (10 seconds), or the target did not respond before the "
                "idle timeout period elapsed (60 s by default). You measured the second: a hung app, 504 after 60 s."),
         hints={0: N_("That is 503: no target to send to at all, answered at once."),
                1: N_("That is 502 Bad Gateway, answered as soon as the connection fails."),
                3: N_("Oversized requests get 4xx codes (413, 414, 400), not 504.")})

question("06.q2", N_("Why does AWS require at least two Availability Zones (subnets) for an Application Load "
                     "Balancer?"),
         [N_("So that it has a node in each: if one AZ fails, the node in the other keeps taking requests."),
          N_("To double its bandwidth."),
          N_("Because a node can only send requests to targets in its own AZ."),
          N_("It does not: it is only the console's default.")],
         answer=0,
         why=N_("The ALB is the single point of entry, so it must not be a single point of failure: one node per AZ, "
                "and DNS answers with the nodes that are well. With cross-zone load balancing (always on for an ALB), "
                "each node reaches the targets in every AZ, as your 20 requests showed."),
         hints={2: N_("Cross-zone load balancing is always on for an ALB: each node sends to targets in every AZ."),
                3: N_("The API refuses a single subnet: 'At least two subnets in two different Availability Zones "
                      "must be specified'.")})

question("06.q3", N_("One of your two targets turns unhealthy. What does the ALB do with new requests?"),
         [N_("Keeps taking turns between both; half the users get errors."),
          N_("Sends them all to the healthy target until the other passes HealthyThresholdCount checks in a row."),
          N_("Terminates the unhealthy instance and launches a new one."),
          N_("Answers 503 to the requests that would have gone to the unhealthy one.")],
         answer=1,
         why=N_("Health-based routing: the ALB routes only to healthy targets (and to all of them only when none is "
                "healthy: fail-open). You saw it after the crash: 502s until the target was marked unhealthy, then "
                "only 200s."),
         hints={0: N_("That happens only when every target is unhealthy (fail-open), lab 05."),
                2: N_("The ALB only routes. Replacing servers is the Auto Scaling group's job: lab 07.")})
