"""The rule table: every limit awslab checks before an AWS call, each with the AWS page it comes from.

The checks run before anything is created (``build_stack`` checks every layer's
spec first), so a bad input creates nothing. Each raises
:class:`awslab.errors.ValidationError` naming the field as you wrote it, the bad
value, the rule, and a fix. A wrong type (``None``, a dict, ``True`` for a size)
gets the same error as a bad value: see :mod:`awslab.layers.spec_types`.

Names are matched in full (``re.fullmatch``), so ``"web\\n"`` is not ``"web"``.
"""
from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any, Iterable

from ..errors import ValidationError
from ..i18n import N_, _


# -- names and short values
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextRule:
    """One service's rule for a name or a short value: characters and shape (``pattern``, matched in full), length,
    and prefixes and suffixes it may not have. ``rule`` says it in words; ``source`` is the AWS page."""

    what: str
    pattern: str
    max_len: int
    rule: str
    example: str
    source: str
    min_len: int = 1
    forbidden_prefixes: tuple[str, ...] = ()
    forbidden_suffixes: tuple[str, ...] = ()
    forbidden_names: tuple[str, ...] = ()
    #: The characters allowed anywhere (a regex class), to name the first one that is not.
    chars: str = ""

    def problem(self, value: Any) -> str | None:
        """What breaks the rule, in words (the student's language); None when ``value`` passes.

        ``what`` and ``rule`` are marked with ``N_()`` where the rules are defined, and translated here.
        """
        what, rule = _(self.what), _(self.rule)
        if not isinstance(value, str):
            return _("{what} is a string").format(what=what)
        if not self.min_len <= len(value) <= self.max_len:
            return _("{what} is {lo} to {hi} characters long, and this one has {n}").format(
                what=what, lo=self.min_len, hi=self.max_len, n=len(value))
        if not re.fullmatch(self.pattern, value):
            bad = next((c for c in value if self.chars and not re.fullmatch(self.chars, c)), None)
            if bad is not None:
                return _("{rule}; {char!r} is not allowed").format(rule=rule, char=bad)
            return rule
        low = value.lower()
        for prefix in self.forbidden_prefixes:
            if low.startswith(prefix):
                return _("{what} must not begin with '{prefix}'").format(what=what, prefix=prefix)
        for suffix in self.forbidden_suffixes:
            if low.endswith(suffix):
                return _("{what} must not end with '{suffix}'").format(what=what, suffix=suffix)
        if low in self.forbidden_names:
            return _("'{name}' is reserved").format(name=value)
        return None

    def check(self, field: str, value: Any, fix: str | None = None) -> str:
        """``value`` if it passes; otherwise a ValidationError for ``field``."""
        problem = self.problem(value)
        if problem:
            raise ValidationError(field, value, problem, fix or _("Use a name such as '{example}'.").format(
                example=self.example))
        return value


ELB_API = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
#: 32 alphanumerics or hyphens, none at either end (API_CreateTargetGroup.html). AWS also refuses "--" here;
#: moto 5.2.5 models that as undocumented AWS behaviour (moto/elbv2/models.py, create_target_group).
TARGET_GROUP_NAME = TextRule(
    N_("a target group name"), r"(?!.*--)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", 32,
    N_("a target group name is letters, digits and hyphens, with no hyphen at either end and no two in a row"),
    "awslab-tg", ELB_API + "API_CreateTargetGroup.html")
#: 32 alphanumerics or hyphens, none at either end, not starting "internal-" (API_CreateLoadBalancer.html).
LOAD_BALANCER_NAME = TextRule(
    N_("a load balancer name"), r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", 32,
    N_("a load balancer name is letters, digits and hyphens, with no hyphen at either end"),
    "awslab-alb", ELB_API + "API_CreateLoadBalancer.html", forbidden_prefixes=("internal-",))
#: 1-63 letters, digits or hyphens, a letter first, no "--", no hyphen at the end; RDS stores it in lower case
#: (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, DBInstanceIdentifier).
DB_INSTANCE_IDENTIFIER = TextRule(
    N_("a DB instance identifier"), r"[A-Za-z](?:-?[A-Za-z0-9])*", 63,
    N_("a DB instance identifier is letters, digits and hyphens, starts with a letter, "
    "and has no two hyphens in a row and no hyphen at the end"),
    "awslab-db", "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html")
#: At most 255 letters, digits, periods, underscores, spaces or hyphens; not "default"
#: (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html).
DB_SUBNET_GROUP_NAME = TextRule(
    N_("a DB subnet group name"), r"[A-Za-z0-9._ -]+", 255,
    N_("a DB subnet group name is letters, digits, '.', '_', spaces and hyphens"), "awslab-db-subnets",
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html", forbidden_names=("default",))
#: Letters, digits and _+=,.@- ; a role name is at most 64 characters, an instance profile's 128. IAM names are
#: not case sensitive (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html,
#: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html).
IAM_ROLE_NAME = TextRule(
    N_("an IAM role name"), r"[A-Za-z0-9_+=,.@-]+", 64, N_("an IAM role name is letters, digits and _+=,.@-"),
    "awslab-app-role", "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html")
INSTANCE_PROFILE_NAME = replace(
    IAM_ROLE_NAME, what=N_("an instance profile name"), max_len=128, example="awslab-app-profile",
    rule=N_("an instance profile name is letters, digits and _+=,.@-"),
    source="https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html")
#: EC2 takes up to 255 ASCII characters (API_ImportKeyPair.html); the name is also the key's file name, so awslab
#: keeps to a subset that is safe as one: letters, digits, '.', '_', '-', not starting with '.'.
KEY_NAME = TextRule(
    N_("a key name"), r"[A-Za-z0-9_-][A-Za-z0-9._-]*", 255,
    N_("a key name is letters, digits, '.', '_' and '-', not starting with '.' (it is also the key's file name)"),
    "awslab-key", "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ImportKeyPair.html")
#: 3-128 letters, digits and ( ) . - / _
#: (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html).
LAUNCH_TEMPLATE_NAME = TextRule(
    N_("a launch template name"), r"[A-Za-z0-9().\-/_]+", 128, N_("a launch template name is letters, digits and ( ) . - / _"),
    "awslab-app-lt", "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html", min_len=3)
#: Up to 255 of a-z A-Z 0-9, spaces and ._-:/()#,@[]+=&;{}!$*, not starting "sg-"
#: (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html).
SECURITY_GROUP_NAME = TextRule(
    N_("a security group name"), r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+", 255,
    N_("a security group name is letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*"), "awslab-app-sg",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html", forbidden_prefixes=("sg-",))
#: A group's and a rule's description: up to 255 of the same characters as a group name (no '>' or quotes).
SECURITY_GROUP_DESCRIPTION = replace(SECURITY_GROUP_NAME, what=N_("a security group description"), min_len=0, forbidden_prefixes=(),
                                     rule=N_("a description is letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*"),
                                     example="App servers: port 80 from the ALB group only")
#: AWS allows 1-255 characters of almost any kind; the name goes unquoted into the CLI log, so awslab keeps to
#: letters, digits, '.', '_', '-'
#: (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html).
AUTO_SCALING_GROUP_NAME = TextRule(
    N_("an Auto Scaling group name"), r"[A-Za-z0-9][A-Za-z0-9._-]*", 255,
    N_("an Auto Scaling group name here is letters, digits, '.', '_' and '-', starting with a letter or digit"),
    "awslab-asg", "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html")
#: A policy name is 1-255 characters
#: (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScalingPolicy.html).
POLICY_NAME = replace(AUTO_SCALING_GROUP_NAME, what=N_("a scaling policy name"), example="awslab-target-tracking",
                      rule=N_("a scaling policy name here is letters, digits, '.', '_' and '-', starting with a letter or digit"),
                      source="https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScalingPolicy.html")
#: 1-255 characters (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScheduledUpdateGroupAction.html).
SCHEDULED_ACTION_NAME = replace(
    AUTO_SCALING_GROUP_NAME, what=N_("a scheduled action name"), example="weekday-morning",
    rule=N_("a scheduled action name here is letters, digits, '.', '_' and '-', starting with a letter or digit"),
    source="https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScheduledUpdateGroupAction.html")
#: 1-255 characters, no ASCII control characters
#: (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
ALARM_NAME = TextRule(
    N_("an alarm name"), r"[^\x00-\x1f\x7f]+", 255, N_("an alarm name has no control characters"), "awslab-asg-cpu-high-step",
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html")
#: S3: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit at each end, no reserved prefix or suffix
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). awslab's own rule on top: no dots,
#: because CloudFront reaches the bucket over HTTPS at <bucket>.s3.<region>.amazonaws.com, and the wildcard
#: certificate there does not cover names with dots (which also rules out names that look like an IP address).
BUCKET_NAME = TextRule(
    N_("a bucket name"), r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", 63,
    N_("a bucket name is lowercase letters, digits and hyphens, with a letter or digit at each end "
    "(no dots: CloudFront reaches the bucket over HTTPS)"), "mylab-site-123456789012-ap-northeast-2",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html", min_len=3,
    forbidden_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    forbidden_suffixes=("-s3alias", "--ol-s3", "--x-s3", "--table-s3"))
#: Up to 64 characters (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html).
ORIGIN_ACCESS_CONTROL_NAME = TextRule(
    N_("an origin access control name"), r"[A-Za-z0-9._-]+", 64,
    N_("an origin access control name here is letters, digits, '.', '_' and '-'"),
    "awslab-site-oac", "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html")
#: A MySQL database name, unquoted: 1-64 letters, digits and _
#: (https://dev.mysql.com/doc/refman/8.0/en/identifiers.html).
#: It goes to the web app (which creates the database), not to an AWS API.
MYSQL_DATABASE_NAME = TextRule(
    N_("a MySQL database name"), r"[A-Za-z0-9_]+", 64, N_("a MySQL database name here is letters, digits and _"), "awslab",
    "https://dev.mysql.com/doc/refman/8.0/en/identifiers.html")
#: <family><generation>[options].<size>, e.g. t3.micro, m7i.large, c6gn.16xlarge, m5.metal; the type must also exist
#: in the region, which the layers ask EC2
#: (https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html).
INSTANCE_TYPE = TextRule(
    N_("an instance type"), r"[a-z]+[0-9][a-z0-9-]*\.(?:nano|micro|small|medium|large|[0-9]*xlarge|metal(?:-[0-9]+xl)?)", 64,
    N_("an instance type is <family><generation>.<size>, e.g. t3.micro"), "t3.micro",
    "https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html")
#: db.<family><generation>.<size>, e.g. db.t3.micro
#: (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.html).
DB_INSTANCE_CLASS = replace(INSTANCE_TYPE, what=N_("a DB instance class"), pattern="db\\." + INSTANCE_TYPE.pattern, example="db.t3.micro",
                            rule=N_("a DB instance class is db.<family><generation>.<size>, e.g. db.t3.micro"),
                            source="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.html")
#: 'ami-' and 8 or 17 hex digits; the image must also exist, which the layers ask EC2
#: (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html).
IMAGE_ID = TextRule(N_("an AMI ID"), r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})", 21, N_("an AMI ID is 'ami-' and 8 or 17 hex digits"),
                    "ami-06e9e3574a0459db2", "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html")
#: '$Default', '$Latest' or a version number
#: (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateSpecification.html).
LAUNCH_TEMPLATE_VERSION = TextRule(
    N_("a launch template version"), r"\$Default|\$Latest|[1-9][0-9]{0,9}", 11, N_("a version is '$Default', '$Latest' or a number from 1"),
    "$Default", "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateSpecification.html")
#: 1-1024 characters starting with '/'; awslab allows the URL path characters of RFC 3986, nothing that needs escaping
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html, HealthCheckPath).
HEALTH_CHECK_PATH = TextRule(
    N_("a health check path"), r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*", 1024,
    N_("a health check path starts with '/' and uses URL path characters (no spaces)"), "/health",
    ELB_API + "API_CreateTargetGroup.html")
#: HTTP success codes 200-499 for an ALB, as '200', '200,202' or '200-299'
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Matcher.html).
MATCHER = TextRule(N_("a success code matcher"), r"[2-4][0-9]{2}(?:-[2-4][0-9]{2})?(?:,[2-4][0-9]{2}(?:-[2-4][0-9]{2})?)*", 1024,
                   N_("success codes are HTTP codes 200-499, as '200', '200,202' or '200-299'"), "200", ELB_API + "API_Matcher.html")
#: A master user name is a letter, then letters, digits or '_': up to 16 for MySQL and MariaDB, 63 for PostgreSQL
#: (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, MasterUsername).
MASTER_USERNAME = TextRule(N_("a master user name"), r"[A-Za-z][A-Za-z0-9_]*", 16,
                           N_("a master user name is a letter, then letters, digits or '_'"), "admin",
                           "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html")
MASTER_USERNAME_MAX = {"mysql": 16, "mariadb": 16, "postgres": 63}
#: Numbers and dots: a major version ("8.0") or a full one ("8.0.35")
#: (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html).
ENGINE_VERSION = TextRule(N_("an engine version"), r"[0-9]+(?:\.[0-9]+){0,2}", 20, N_("an engine version is numbers and dots, e.g. '8.0'"),
                          "8.0", "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html")


def master_username(engine: str) -> TextRule:
    """The master user name rule for ``engine`` (its length limit differs)."""
    return replace(MASTER_USERNAME, max_len=MASTER_USERNAME_MAX.get(engine, MASTER_USERNAME.max_len))
#: A Linux login name, as useradd's default NAME_REGEX allows (https://man7.org/linux/man-pages/man8/useradd.8.html);
#: Amazon Linux's is ec2-user (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/managing-users.html).
LOGIN_USER = TextRule(N_("a login user"), r"[a-z_][a-z0-9_-]*", 32, N_("a login user is lowercase letters, digits, '_' and '-'"),
                      "ec2-user", "https://man7.org/linux/man-pages/man8/useradd.8.html")
#: CloudFront's default root object: an object name, here an .html file at the top of the bucket
#: (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DefaultRootObject.html).
INDEX_DOCUMENT = TextRule(N_("a default root object"), r"[A-Za-z0-9._-]+\.html?", 255,
                          N_("the default root object is an .html object key of letters, digits, '.', '_' and '-' (no slashes)"),
                          "index.html", "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DefaultRootObject.html")
#: A DNS label: 1-63 letters, digits, hyphens, none at either end
#: (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html).
DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
DNS_NAME_MAX = 253


def dns_name(field: str, value: Any) -> str:
    """A domain name in lower case without the final dot: two or more labels, 253 characters at most."""
    name = value.lower().rstrip(".") if isinstance(value, str) else ""
    if not name or len(name) > DNS_NAME_MAX or "." not in name or not all(DNS_LABEL.fullmatch(x) for x in name.split(".")):
        raise ValidationError(field, value, _("a domain name is two or more dot-separated labels of 1-63 letters, digits or hyphens "
                              "(no hyphen at either end), 253 characters at most"), _("Use a name such as 'example.com'."))
    return name


# -- the lab name --------------------------------------------------------------------------------------------
#: Every name a layer derives from the lab name, ``<lab><suffix>``, with the rule of the service that gets it
#: (``{account}`` is the 12-digit account id, ``{region}`` the lab's region). The lab-name rule is computed from
#: these tables, and tests/layers/test_layers_validate_names.py checks that the build derives no other name.
LAYER_NAMES: tuple[tuple[str, TextRule], ...] = (
    ("-tg", TARGET_GROUP_NAME), ("-alb", LOAD_BALANCER_NAME),
    ("-db", DB_INSTANCE_IDENTIFIER), ("-db-subnets", DB_SUBNET_GROUP_NAME),
    ("-app-role", IAM_ROLE_NAME), ("-app-profile", INSTANCE_PROFILE_NAME),
    ("-key", KEY_NAME), ("-app-lt", LAUNCH_TEMPLATE_NAME),
    ("-alb-sg", SECURITY_GROUP_NAME), ("-app-sg", SECURITY_GROUP_NAME), ("-db-sg", SECURITY_GROUP_NAME),
    ("-bastion-sg", SECURITY_GROUP_NAME), ("-asg", AUTO_SCALING_GROUP_NAME),
    ("-target-tracking", POLICY_NAME), ("-step-scale-out", POLICY_NAME), ("-step-scale-in", POLICY_NAME),
    ("-simple-scale-out", POLICY_NAME),
    ("-asg-cpu-high-step", ALARM_NAME), ("-asg-cpu-low-step", ALARM_NAME), ("-asg-cpu-high-simple", ALARM_NAME),
    ("-weekday-morning", SCHEDULED_ACTION_NAME), ("-weekday-evening", SCHEDULED_ACTION_NAME),
    ("-site-{account}-{region}", BUCKET_NAME), ("-site-oac", ORIGIN_ACCESS_CONTROL_NAME),
)
#: The course's experiments derive names too (awslab/course/scaffold.py): a borrowed load balancer
#: ``<lab>-lab<NN>-alb``, and a sandbox lab ``<lab>-sbx`` whose resources are named as the lab's own are.
SANDBOX_SUFFIX = "-sbx"
LAB_DERIVED_NAMES: tuple[tuple[str, TextRule], ...] = (
    LAYER_NAMES + (("-lab00-alb", LOAD_BALANCER_NAME),) + tuple((SANDBOX_SUFFIX + suffix, rule) for suffix, rule in LAYER_NAMES))
ACCOUNT_ID_LENGTH = 12
DEFAULT_REGION = "ap-northeast-2"


def derived_names(lab: str, region: str, account_id: str = "0" * ACCOUNT_ID_LENGTH) -> list[tuple[str, TextRule]]:
    """Every name the layers derive from ``lab``, each with its service's rule."""
    names = [(lab + suffix.format(account=account_id, region=region), rule) for suffix, rule in LAB_DERIVED_NAMES]
    # S3 and RDS store these in lower case.
    return [(n.lower() if rule in (BUCKET_NAME, DB_INSTANCE_IDENTIFIER, DB_SUBNET_GROUP_NAME) else n, rule) for n, rule in names]


@functools.lru_cache(maxsize=32)
def lab_name_rule(region: str = DEFAULT_REGION) -> TextRule:
    """The lab-name rule, computed from :data:`LAB_DERIVED_NAMES` so that every derived name passes its service's rule.

    Lowercase ASCII letters, digits and single hyphens, a letter first, no hyphen at the end (RDS identifiers and S3
    buckets are lower case, IAM names are not case sensitive: 'Team' and 'team' would share a database), as long as
    the longest suffix allows (22: a load balancer's 32 less '-lab05-alb'), and not a word that a service forbids
    at the start of its names.
    """
    longest = min(rule.max_len - len(suffix.format(account="0" * ACCOUNT_ID_LENGTH, region=region))
                  for suffix, rule in LAB_DERIVED_NAMES)
    prefixes = tuple(sorted({p for _, rule in LAB_DERIVED_NAMES for p in rule.forbidden_prefixes}))
    return TextRule(N_("a lab name"), r"[a-z](?:-?[a-z0-9])*", longest,
                    N_("a lab name is lowercase letters a-z, digits and single hyphens, starts with a letter "
                    "and does not end with a hyphen"), "team-7",
                    "awslab: computed from LAB_DERIVED_NAMES (each service's page is cited at its rule)",
                    forbidden_prefixes=prefixes, chars="[a-z0-9-]")


def lab_name(value: Any, region: str = DEFAULT_REGION) -> str:
    """A lab name every layer can build with: it goes into every resource's name (``<lab>-alb``, ``<lab>-db``...)."""
    rule = lab_name_rule(region)
    fix = _("Use a short name such as {suggestion!r}: it becomes part of every resource's name ({suggestion}-alb, "
            "{suggestion}-db).")
    if rule.max_len < 1:
        raise ValidationError("region", region, _("the region's name leaves no room for a lab name in the bucket's name"),
                              _("Use a region such as 'ap-northeast-2'."))
    problem = rule.problem(value)
    # A derived name is "<lab>-...": so "internal" is refused too ("internal-alb" begins with "internal-").
    word = next((p for p in rule.forbidden_prefixes if isinstance(value, str) and (value + "-").startswith(p)), None)
    if problem is None and word:
        problem = _("a lab name must not be or begin with the word '{word}': AWS refuses names that begin with "
                    "'{prefix}'").format(
            word=word.rstrip("-"), prefix=word)
    if problem:
        raise ValidationError("name", value, problem, fix.format(suggestion=suggest_lab_name(value, rule)))
    return value


def suggest_lab_name(value: Any, rule: TextRule | None = None) -> str:
    """A valid lab name close to ``value`` ('Team 7' -> 'team-7'), or 'awslab'."""
    rule = rule or lab_name_rule()
    text = unicodedata.normalize("NFKD", value).lower() if isinstance(value, str) else ""  # 'Läb' -> 'la\u0308b'
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[: rule.max_len].rstrip("-")
    if text and not text[0].isalpha():
        text = ("lab-" + text)[: rule.max_len].rstrip("-")
    for prefix in rule.forbidden_prefixes:
        if (text + "-").startswith(prefix):
            text = ("my-" + text)[: rule.max_len].rstrip("-")
    return text if text and rule.problem(text) is None else "awslab"


# -- numbers --------------------------------------------------------------------------------------------------
#: Target group health-check ranges for instance and ip targets
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
HEALTH_CHECK_RANGES = {
    "health_check_interval_seconds": (5, 300),
    "health_check_timeout_seconds": (2, 120),
    "healthy_threshold_count": (2, 10),
    "unhealthy_threshold_count": (2, 10),
}
#: Deregistration delay 0-3600 s
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html).
DEREGISTRATION_DELAY_RANGE = (0, 3600)
#: Health check grace period: AWS documents no maximum in the API reference, so awslab uses 0-7200 s (two hours) as a
#: sanity bound (https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html). UNCONFIRMED.
GRACE_PERIOD_RANGE = (0, 7200)
#: TCP ports (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html).
PORT_RANGE = (1, 65535)
#: An RDS instance's port: 1150-65535
#: (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, Port).
DB_PORT_RANGE = (1150, 65535)
#: DefaultInstanceWarmup: 0-3600 s, or -1 to turn it off
#: (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-default-instance-warmup.html).
WARMUP_RANGE = (-1, 3600)
#: A policy's EstimatedInstanceWarmup, 0-3600 s like the group's default (same page).
WARMUP_SECONDS_RANGE = (0, 3600)
#: DefaultCooldown and a simple policy's Cooldown: 0-86400 s
#: (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html).
COOLDOWN_RANGE = (0, 86400)
#: gp2/gp3 storage for MySQL, MariaDB and PostgreSQL is 20-65,536 GiB
#: (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#Concepts.Storage.GeneralSSD).
STORAGE_RANGE = (20, 65536)
#: An alarm's Period x EvaluationPeriods may not exceed one day
#: (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
ALARM_SPAN_MAX_S = 86400
#: Cron fields of a scheduled action's Recurrence: minute, hour, day of month, month, day of week (Unix cron)
#: (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html#scheduled-scaling-recurring-schedules).
CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
CRON_NAMES = {n: i for i, n in enumerate(MONTHS, 1)}
CRON_NAMES.update({n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])})

# -- choices: AWS's sets of values (and awslab's subsets of them) ----------------------------------------------
#: Predefined target tracking metrics
#: (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html).
TARGET_METRICS = ("ASGAverageCPUUtilization", "ASGAverageNetworkIn", "ASGAverageNetworkOut", "ALBRequestCountPerTarget")
#: https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html
ADJUSTMENT_TYPES = ("ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity")
#: EC2 imports RSA and ED25519 keys
#: (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/create-key-pairs.html#how-to-generate-your-own-key-and-import-it-to-aws).
KEY_TYPES = ("rsa", "ed25519")
#: awslab uses general-purpose SSD (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html).
STORAGE_TYPES = ("gp2", "gp3")
#: CloudFront price classes (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PriceClass.html).
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")


def one_of(field: str, value: Any, choices: Iterable[Any], fix: str) -> Any:
    """``value`` if it is one of ``choices`` (compared exactly: 'RSA' is not 'rsa')."""
    choices = tuple(choices)
    if not any(type(value) is type(c) and value == c for c in choices):
        raise ValidationError(field, value, _("it is one of {choices}").format(
            choices=", ".join(map(repr, choices))), fix)
    return value


def whole_number(field: str, value: Any, lo: int, hi: int, fix: str = "") -> int:
    """A whole number from ``lo`` to ``hi``. ``True`` and ``False`` are not numbers here, though Python counts them as 1 and 0."""
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValidationError(field, value, _("AWS allows whole numbers from {lo} to {hi}").format(lo=lo, hi=hi),
                              fix or "Pick a whole number between {lo} and {hi}.".format(lo=lo, hi=hi))
    return value


in_range = whole_number  # the name the layers used first


def number(field: str, value: Any, lo: float, hi: float, fix: str = "") -> float:
    """A finite number (int or float, not a bool) from ``lo`` to ``hi``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and lo <= value <= hi
    if not ok:
        raise ValidationError(field, value, _("it is a number from {lo:g} to {hi:g}").format(lo=lo, hi=hi),
                              fix or "Pick a number between {lo:g} and {hi:g}.".format(lo=lo, hi=hi))
    return value


def port(field: str, value: Any) -> int:
    """A TCP port, 1-65535."""
    return whole_number(field, value, *PORT_RANGE, "Ports are 1-65535; the lab's web app uses 80.")


def capacity(min_size: Any, desired_capacity: Any, max_size: Any, where: str = "") -> None:
    """Auto Scaling sizes: whole numbers with 0 <= min <= desired <= max
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html)."""
    for field, value in (("min_size", min_size), ("desired_capacity", desired_capacity), ("max_size", max_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(where + field, value, _("a group size is a whole number, 0 or more (True and False are not sizes)"),
                                  _("Use e.g. min_size=2, desired_capacity=2, max_size=6."))
    if not min_size <= desired_capacity <= max_size:
        raise ValidationError(where + "desired_capacity", desired_capacity,
                              _("AWS requires min_size <= desired_capacity <= max_size, but min={lo}, desired={want}, max={hi}").format(
                                  lo=min_size, want=desired_capacity, hi=max_size),
                              _("Raise max_size or lower desired_capacity so that min <= desired <= max."))


def health_check(**values: Any) -> None:
    """Health-check settings inside AWS's ranges, and the timeout shorter than the interval.

    ELB answers "Health check interval must be greater than the timeout" otherwise (AWS CDK mirrors the check:
    https://github.com/aws/aws-cdk/pull/29075).
    """
    for field, value in values.items():
        whole_number(field, value, *HEALTH_CHECK_RANGES[field])
    interval = values.get("health_check_interval_seconds")
    timeout = values.get("health_check_timeout_seconds")
    if interval is not None and timeout is not None and timeout >= interval:
        raise ValidationError("health_check_timeout_seconds", timeout,
                              _("the timeout must be shorter than the interval ({interval} s)").format(
                                  interval=interval),
                              _("Use a timeout below {interval}, e.g. 5.").format(interval=interval))


# -- addresses ------------------------------------------------------------------------------------------------
#: RFC 1918 private ranges. AWS recommends them for VPCs
#: (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html).
PRIVATE_RANGES = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
#: A VPC's IPv4 block is /16 to /28 (vpc-cidr-blocks.html).
VPC_PREFIX_RANGE = (16, 28)
#: A subnet's IPv4 block is /16 to /28 too (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
SUBNET_PREFIX_RANGE = (16, 28)
CIDR_FORM = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}/[0-9]{1,2}")


def cidr_block(field: str, value: Any, prefix_range: tuple[int, int] = VPC_PREFIX_RANGE) -> ipaddress.IPv4Network:
    """A valid IPv4 CIDR block such as '10.0.0.0/16', written at its network address, its prefix in ``prefix_range``."""
    fix = "Write an IPv4 network address, a slash and a prefix length, as a string: e.g. '10.0.0.0/16'."
    if not isinstance(value, str) or not CIDR_FORM.fullmatch(value):
        raise ValidationError(field, value, _("it is not a CIDR block such as '10.0.0.0/16'"), fix)
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValidationError(field, value, _("it is not a CIDR block such as '10.0.0.0/16'"), fix) from None
        raise ValidationError(field, value, _("host bits are set; the network address of this block is {net}").format(
            net=loose.network_address), _("Use '{block}'.").format(block=loose)) from None
    lo, hi = prefix_range
    if not lo <= net.prefixlen <= hi:
        raise ValidationError(field, value, _("AWS allows prefix lengths /{lo} to /{hi} here").format(lo=lo, hi=hi),
                              _("Pick a prefix between /{lo} and /{hi}.").format(lo=lo, hi=hi))
    return net


def private_cidr(field: str, value: Any, prefix_range: tuple[int, int] = VPC_PREFIX_RANGE) -> ipaddress.IPv4Network:
    """A valid CIDR block inside the RFC 1918 private ranges."""
    net = cidr_block(field, value, prefix_range)
    if not any(net.subnet_of(r) for r in PRIVATE_RANGES):
        raise ValidationError(field, value,
                              _("a VPC should use private (RFC 1918) addresses: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"),
                              _("Use a block such as '10.0.0.0/16'; "
                              "public addresses in a VPC clash with real hosts on the internet."))
    return net


def subnets_in_vpc(vpc_cidr: str, subnets: dict[str, Any]) -> None:
    """Every subnet lies inside the VPC block, and no two subnets overlap."""
    vpc = private_cidr("vpc_cidr", vpc_cidr)
    nets: dict[str, ipaddress.IPv4Network] = {}
    for field, value in subnets.items():
        net = cidr_block(field, value, SUBNET_PREFIX_RANGE)
        if not net.subnet_of(vpc):
            raise ValidationError(field, value, _("a subnet must lie inside its VPC's block {vpc}").format(vpc=vpc),
                                  _("Pick a block inside {vpc}, e.g. '{example}'.").format(
                                      vpc=vpc, example=next(vpc.subnets(new_prefix=max(24, vpc.prefixlen)))))
        for other_field, other in nets.items():
            if net.overlaps(other):
                raise ValidationError(field, value, _("it overlaps {other_field}='{other}'; subnets of a VPC must not overlap").format(
                    other_field=other_field, other=other),
                    _("Give each subnet its own block, e.g. 10.0.1.0/24, 10.0.2.0/24, 10.0.11.0/24 ..."))
        nets[field] = net


def availability_zones(requested: Iterable[str], available: Iterable[str], region: str) -> list[str]:
    """Each requested AZ exists in the region, and there are two or more of them."""
    available = sorted(available)
    requested = list(requested)
    for az in requested:
        if az not in available:
            raise ValidationError("availability_zones", az, _("there is no such Availability Zone in {region}").format(
                region=region),
                                  _("Choose from {zones}.").format(zones=", ".join(available)))
    if len(set(requested)) < 2 or len(set(requested)) != len(requested):
        raise ValidationError("availability_zones", requested, _("high availability needs two or more different AZs, each listed once"),
                              _("Use two or more of {zones}.").format(zones=", ".join(available)))
    return requested
