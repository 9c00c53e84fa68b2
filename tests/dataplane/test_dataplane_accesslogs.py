"""Access log files: 5-minute windows per node, AWS's key format, gzip, off unless enabled."""
from __future__ import annotations

import gzip
import re

from awslab.dataplane.accesslogs import FIELDS, AccessLogEntry, AccessLogWriter, object_key, parse_line

T0 = 1_700_000_100.0  # 2023-11-14T22:15:00Z


def writer(enabled=True):
    objects = {}
    w = AccessLogWriter(put=lambda b, k, d: objects.__setitem__((b, k), d),
                        settings=lambda: (enabled, "logs-bucket", "alb"), account_id="123456789012",
                        region="ap-northeast-2", lb_name="web-alb", lb_id="app/web-alb/50dc6c495c0c9188")
    return w, objects


def test_key_matches_awss_example_format():
    key = object_key(bucket_prefix="prefix", account_id="123456789012", region="us-east-2", lb_name="my-loadbalancer",
                     lb_id="1234567890abcdef", window_end=1392507600.0, delivered=1462060800.0, node_ip="172.160.1.192",
                     random_part="20sg8hgm")
    assert key == ("prefix/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2016/05/01/123456789012_elasticloadbalancing_"
                   "us-east-2_app.my-loadbalancer.1234567890abcdef_20140215T2340Z_172.160.001.192_20sg8hgm.log.gz")


def test_windows_are_flushed_when_they_close_one_file_per_node():
    w, objects = writer()
    for n in range(3):
        w.add("10.0.1.250", AccessLogEntry(time=T0 + n, elb_status_code=200))
    w.add("10.0.2.250", AccessLogEntry(time=T0 + 5, elb_status_code=503))
    w.add("10.0.1.250", AccessLogEntry(time=T0 + 400, elb_status_code=200))  # next window
    assert w.tick(T0 + 299) == [] and not objects
    keys = w.tick(T0 + 300)  # 22:20 closes the 22:15-22:20 window
    assert len(keys) == 2 and len(objects) == 2
    assert all(re.search(r"_20231114T2220Z_010\.000\.00[12]\.250_[a-z0-9]{8}\.log\.gz$", k) for k in keys)
    first = next(d for (b, k), d in objects.items() if "010.000.001.250" in k)
    lines = gzip.decompress(first).decode().splitlines()
    assert len(lines) == 3 and all(len(parse_line(line)) == len(FIELDS) for line in lines)
    assert w.flush(T0 + 401) and len(objects) == 3


def test_nothing_logged_while_disabled():
    w, objects = writer(enabled=False)
    w.add("10.0.1.250", AccessLogEntry(time=T0))
    assert w.flush(T0 + 1000) == [] and not objects


def test_awss_documented_example_line_parses():
    line = ('http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 '
            '0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - '
            'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 '
            '"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" '
            '"10.0.0.1:80" "200" "-" "-" TID_1234')
    f = parse_line(line)
    assert f["client_port"] == "192.168.131.39:2817" and f["request"] == "GET http://www.example.com:80/ HTTP/1.1"
    assert f["matched_rule_priority"] == "0" and f["conn_trace_id"] == "TID_1234"
    ours = AccessLogEntry(time=1530570180.186641, request_creation_time=1530570168.364, elb_status_code=200).line()
    assert ours.split()[1] == "2018-07-02T22:23:00.186641Z"
