"""ALB access logs queried with SQL: Athena's table definition, run by DuckDB on this machine.

AWS's flow is "ALB access logs -> S3 -> Athena": Athena reads the gzip files in place with the table AWS documents,
``CREATE EXTERNAL TABLE alb_access_logs (...) ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'`` and its
``input.regex`` (https://docs.aws.amazon.com/athena/latest/ug/create-alb-access-logs-table.html). Here
:func:`alb_logs` downloads the ``.log.gz`` files with boto3 and gives a DuckDB connection holding the same table:
the same 34 columns, names and types, each line parsed by the same regular expression (RegexSerDe's rules: the
whole line must match, or every column is NULL; a value that does not parse as its type is NULL). Then the SQL a
student writes for Athena runs as is::

    db = alb_logs(lab)
    db.sql("SELECT elb_status_code, count(*) FROM alb_access_logs GROUP BY 1").fetchall()

Nothing is downloaded at run time but the log files: DuckDB reads gzip CSV and evaluates regular expressions (RE2)
with its built-in functions, no extension.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

__all__ = ["COLUMNS", "INPUT_REGEX", "INPUT_REGEX_DDL", "alb_logs", "log_keys", "load"]

ATHENA_DOC = "https://docs.aws.amazon.com/athena/latest/ug/create-alb-access-logs-table.html"
#: The table's columns and Athena types, in AWS's order (the page above).
COLUMNS = (
    ("type", "string"), ("time", "string"), ("elb", "string"), ("client_ip", "string"), ("client_port", "int"),
    ("target_ip", "string"), ("target_port", "int"), ("request_processing_time", "double"),
    ("target_processing_time", "double"), ("response_processing_time", "double"), ("elb_status_code", "int"),
    ("target_status_code", "string"), ("received_bytes", "bigint"), ("sent_bytes", "bigint"),
    ("request_verb", "string"), ("request_url", "string"), ("request_proto", "string"), ("user_agent", "string"),
    ("ssl_cipher", "string"), ("ssl_protocol", "string"), ("target_group_arn", "string"), ("trace_id", "string"),
    ("domain_name", "string"), ("chosen_cert_arn", "string"), ("matched_rule_priority", "string"),
    ("request_creation_time", "string"), ("actions_executed", "string"), ("redirect_url", "string"),
    ("lambda_error_reason", "string"), ("target_port_list", "string"), ("target_status_code_list", "string"),
    ("classification", "string"), ("classification_reason", "string"), ("conn_trace_id", "string"),
)
#: ``input.regex`` exactly as the page's DDL writes it (a HiveQL string literal).
INPUT_REGEX_DDL = (
    r'''([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*):([0-9]*) ([^ ]*)[:-]([0-9]*) ([-.0-9]*) ([-.0-9]*) ([-.0-9]*) (|[-0-9]*) '''
    r'''(-|[-0-9]*) ([-0-9]*) ([-0-9]*) \\\"([^ ]*) (.*) (- |[^ ]*)\\\" \\\"([^\\\"]*)\\\" ([A-Z0-9-_]+) '''
    r'''([A-Za-z0-9.-]*) ([^ ]*) \\\"([^\\\"]*)\\\" \\\"([^\\\"]*)\\\" \\\"([^\\\"]*)\\\" ([-.0-9]*) ([^ ]*) '''
    r'''\\\"([^\\\"]*)\\\" \\\"([^\\\"]*)\\\" \\\"([^ ]*)\\\" \\\"([^\\\\s]+?)\\\" \\\"([^\\\\s]+)\\\" \\\"([^ ]*)\\\" '''
    r'''\\\"([^ ]*)\\\" ?([^ ]*)? ?( .*)?''')


def _hive_unescape(literal: str) -> str:
    """A HiveQL string literal's value: ``\\\\`` is one backslash, ``\\"`` a double quote (Hive's unescapeSQLString)."""
    out, i = [], 0
    while i < len(literal):
        if literal[i] == "\\" and i + 1 < len(literal):
            out.append(literal[i + 1])
            i += 2
        else:
            out.append(literal[i])
            i += 1
    return "".join(out)


#: The regular expression RegexSerDe compiles (Java syntax; RE2, DuckDB's engine, reads these constructs alike).
INPUT_REGEX = _hive_unescape(INPUT_REGEX_DDL)
_DUCK_TYPES = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE"}


def _select() -> str:
    """The SELECT that turns raw lines into Athena's columns (RegexSerDe: no full match -> a row of NULLs)."""
    pattern = INPUT_REGEX.replace("'", "''")
    names = ", ".join(f"'{n}'" for n, _ in COLUMNS)
    cols = []
    for name, kind in COLUMNS:
        value = f"m.r.{name}"
        cols.append(value + f" AS {name}" if kind == "string" else
                    f"TRY_CAST(NULLIF({value}, '') AS {_DUCK_TYPES[kind]}) AS {name}")
    return (f"SELECT {', '.join(cols)} FROM (SELECT CASE WHEN regexp_full_match(line, '{pattern}') "
            f"THEN regexp_extract(line, '{pattern}', [{names}]) END AS r FROM raw) AS m")


def load(files: list[str], db: Any = None) -> Any:
    """A DuckDB connection with table ``alb_access_logs`` made from ``files`` (gzip or plain ALB log files)."""
    import duckdb

    # Never fetch an extension: anything that needed one fails here instead of downloading it.
    db = db or duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    db.execute("DROP TABLE IF EXISTS alb_access_logs")
    ddl = ", ".join(f"{n} {_DUCK_TYPES[k]}" for n, k in COLUMNS)
    db.execute(f"CREATE TABLE alb_access_logs ({ddl})")
    if files:
        # One VARCHAR per line: a delimiter and quote that never occur in a log line.
        paths = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        db.execute(f"CREATE OR REPLACE TEMP VIEW raw AS SELECT line FROM read_csv([{paths}], "
                   "columns={'line': 'VARCHAR'}, delim='\x01', quote='', escape='', header=false, "
                   "auto_detect=false) WHERE line IS NOT NULL")
        db.execute(f"INSERT INTO alb_access_logs {_select()}")
        db.execute("DROP VIEW raw")
    return db


def log_keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    """Every ``.log.gz`` key under ``prefix`` (Athena's LOCATION), oldest window first."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".log.gz")]
    return sorted(keys)


def _where(lab: Any) -> tuple[Any, str, str]:
    """``(s3 client, bucket, prefix)`` from the lab's load balancer's ``access_logs.s3.*`` attributes."""
    from ..checks.observability import lb_attributes

    attrs = lb_attributes(lab)
    bucket = attrs.get("access_logs.s3.bucket", "")
    if not bucket:
        from ..errors import ValidationError
        from ..i18n import _

        raise ValidationError("access_logs.s3.bucket", None, _("the load balancer writes no access logs yet"),
                              _("Turn them on first (lab 11, task 11.1), send some requests, then query them."))
    prefix = attrs.get("access_logs.s3.prefix", "").strip("/")
    return lab.client("s3"), bucket, f"{prefix}/AWSLogs/" if prefix else "AWSLogs/"


def alb_logs(lab_or_bucket: Any, prefix: str | None = None, *, s3: Any = None) -> Any:
    """Download the ALB's access log files and return a DuckDB connection with Athena's ``alb_access_logs``.

    ``lab_or_bucket``: a :class:`~awslab.lab.Lab` (its load balancer's log bucket and prefix) or a bucket name,
    with ``prefix`` as Athena's LOCATION under it and ``s3`` a boto3 S3 client.
    """
    if isinstance(lab_or_bucket, str):
        import boto3

        client, bucket, where = s3 or boto3.client("s3"), lab_or_bucket, prefix or ""
    else:
        client, bucket, where = _where(lab_or_bucket)
        where = prefix if prefix is not None else where
    keys = log_keys(client, bucket, where)
    with tempfile.TemporaryDirectory(prefix="alb-logs-") as tmp:
        files = []
        for i, key in enumerate(keys):
            path = Path(tmp) / f"{i:06d}.log.gz"
            client.download_file(bucket, key, str(path))
            files.append(str(path))
        return load(files)  # the table holds the rows: the files can go
