"""ALB access logs from real requests, queried with Athena's table in DuckDB (issue 14 §5)."""
from __future__ import annotations

import gzip
import re
import subprocess
import sys

from awslab.dataplane.accesslogs import AccessLogEntry
from awslab.observability.alb_logs_sql import COLUMNS, INPUT_REGEX, INPUT_REGEX_DDL, alb_logs, load

from ..conftest import control
from .test_dataplane_service import (_octet, build, clients, cloud, cloud_proc,  # noqa: F401
                                    enable_access_logs, get, wait_for)


def test_the_regex_is_athenas_and_reads_every_field_the_data_plane_writes(tmp_path):
    assert len(COLUMNS) == 34 and re.compile(INPUT_REGEX).groups == 35  # 34 columns + AWS's "future fields" group
    assert '\\"' not in INPUT_REGEX.replace('\\"', "") and INPUT_REGEX_DDL.count('\\\\\\"') == INPUT_REGEX.count('\\"')
    entry = AccessLogEntry(time=1.5e9, elb="app/web/50dc6c495c0c9188", client_port="203.0.113.9:50123",
                           target_port="10.0.11.23:80", request_processing_time=0.001, target_processing_time=0.25,
                           response_processing_time=0.0, elb_status_code=502, target_status_code="-",
                           request="GET http://web-1.elb.amazonaws.com:80/products?x=1 HTTP/1.1", user_agent="curl/8.5",
                           target_group_arn="arn:aws:elasticloadbalancing:tg/web/1", trace_id="Root=1-abc",
                           matched_rule_priority=0, request_creation_time=1.5e9, actions_executed="forward",
                           error_reason="-", target_port_list="10.0.11.23:80", target_status_code_list="-")
    path = tmp_path / "one.log.gz"
    path.write_bytes(gzip.compress((entry.line() + "\nnot an access log line\n").encode()))
    db = load([str(path)])
    rows = db.sql("SELECT client_ip, client_port, target_ip, target_port, elb_status_code, "
                                 "target_status_code, request_verb, request_url, request_proto, target_port_list "
                                 "FROM alb_access_logs ORDER BY elb_status_code NULLS LAST").fetchall()
    assert rows[0] == ("203.0.113.9", 50123, "10.0.11.23", 80, 502, "-", "GET",
                       "http://web-1.elb.amazonaws.com:80/products?x=1", "HTTP/1.1", "10.0.11.23:80")
    assert rows[1] == (None,) * 10  # RegexSerDe: a line that does not match is a row of NULLs


def test_duckdb_needs_no_network_for_the_table(tmp_path):
    """Run the load in a process with no network (a new network namespace) when the machine allows it."""
    code = ("import gzip,sys; from awslab.observability.alb_logs_sql import load; "
            "p=sys.argv[1]; open(p,'wb').write(gzip.compress(b'x\\n')); "
            "db=load([p]); print(db.sql('select count(*) from alb_access_logs').fetchone()[0])")
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    cmd = (["unshare", "-rn"] if probe.returncode == 0 else []) + [sys.executable, "-c", code, str(tmp_path / "x.gz")]
    assert subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout.strip() == "1"


def test_which_target_served_the_5xx_during_an_injected_failure(cloud):
    st = build(cloud, _octet(), n=2)
    ec2, elbv2, s3 = clients(cloud)
    # health checks ask "/", so a broken /health does not take the target out: the ALB keeps sending it requests
    elbv2.modify_target_group(TargetGroupArn=st["tg"], HealthCheckPath="/")
    bucket = enable_access_logs(cloud, st)
    broken = st["ids"][0]
    control(cloud, "POST", "faults", {"instance_id": broken, "kind": "unhealthy"})
    seen: dict[int, int] = {}

    def request() -> bool:
        status = get(st["alb_url"] + "/health")[0]
        seen[status] = seen.get(status, 0) + 1
        return status == 500
    wait_for(request, 10, every=0.05)  # the data plane applies the fault on its next sync
    for _ in range(20):
        request()
    assert seen.get(500) and seen.get(200), seen  # round robin over both targets
    control(cloud, "POST", "clock/advance", {"seconds": 600})  # close the 5-minute windows: the files are written

    def all_delivered():  # each node's file is its own PUT: wait until every request is in one of them
        db = alb_logs(bucket, "web/AWSLogs/", s3=s3)
        return db if db.sql("SELECT count(*) FROM alb_access_logs").fetchone()[0] == sum(seen.values()) else None
    db = wait_for(all_delivered, 15, every=0.5)
    counts = dict(db.sql("SELECT elb_status_code, count(*) FROM alb_access_logs "
                         "WHERE request_url LIKE '%/health' GROUP BY 1").fetchall())
    assert counts == seen
    ip = ec2.describe_instances(InstanceIds=[broken])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    served = db.sql("SELECT target_ip, count(*) FROM alb_access_logs WHERE elb_status_code >= 500 "
                    "GROUP BY target_ip").fetchall()
    assert served == [(ip, seen[500])]
