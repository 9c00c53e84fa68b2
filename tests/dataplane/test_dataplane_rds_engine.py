"""The DB instance's MySQL server on its own (no cloud): the protocol, the master user's login, SQL over SQLite,
MySQL's error codes for bad input, and reading the app's database settings from its user data."""
from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pymysql
import pytest
from mysql_mimic import MysqlServer

from awslab.dataplane.rds.appdb import db_settings
from awslab.dataplane.rds.engine import SqliteSession, Storage
from awslab.dataplane.rds.server import _MasterUser
from awslab.webapp import user_data
from awslab.webapp.app import Database

ENDPOINT = "lab-db.abcdefghij.ap-northeast-2.rds.amazonaws.com"
SECRET = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:rds!db-1234-AbCdEf"


@pytest.fixture
def server(tmp_path):
    """A MySQL server for master user admin / pw on 127.0.0.1 in a thread of its own."""
    loop = asyncio.new_event_loop()
    storage = Storage(tmp_path)
    view = SimpleNamespace(master_username="admin", master_password="pw")
    srv = MysqlServer(session_factory=lambda: SqliteSession(storage),
                      identity_provider=_MasterUser(SimpleNamespace(view=view)))
    loop.run_until_complete(srv.start_server(host="127.0.0.1", port=0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield srv.sockets()[0].getsockname()[1], storage
    loop.call_soon_threadsafe(srv.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def connect(port: int, password: str = "pw", user: str = "admin", db: str | None = None) -> pymysql.Connection:
    return pymysql.connect(host="127.0.0.1", port=port, user=user, password=password, database=db, autocommit=True,
                           connect_timeout=5, read_timeout=5)


def test_the_apps_own_database_class_seeds_and_reads_products(server):
    port, storage = server
    db = Database(f"mysql://admin:pw@127.0.0.1:{port}/awslab")
    rows = db.products()
    assert [r["name"] for r in rows] == ["Keyboard", "Mouse", "Monitor", "USB-C cable"]
    assert rows[0] == {"id": 1, "name": "Keyboard", "price": 49.0}
    assert storage.exists("awslab") and db.products() == rows  # seeded once, and it persists


@pytest.mark.parametrize("user,password", [("admin", "wrong"), ("root", "pw"), ("admin", "")])
def test_only_the_master_user_with_its_password_logs_in(server, user, password):
    port, _ = server
    with pytest.raises(pymysql.err.OperationalError) as e:
        connect(port, password, user)
    assert e.value.args[0] == 1045
    assert e.value.args[1].startswith(f"Access denied for user '{user}'@")
    assert e.value.args[1].endswith("(using password: YES)" if password else "(using password: NO)")


def test_bad_input_gets_mysqls_error_codes_and_the_server_goes_on(server):
    port, _ = server
    with connect(port, db="nope") as conn, conn.cursor() as cur, pytest.raises(pymysql.err.OperationalError) as e:
        cur.execute("SELECT 1 FROM t")  # MySQL refuses at login; this engine at the first query (engine's doc)
    assert e.value.args == (1049, "Unknown database 'nope'")
    with connect(port) as conn, conn.cursor() as cur:
        with pytest.raises(pymysql.err.OperationalError) as e:
            cur.execute("SELECT 1 FROM t")
        assert e.value.args[0] == 1046  # No database selected
        cur.execute("CREATE DATABASE shop")
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute("CREATE DATABASE shop")
        assert e.value.args[0] == 1007
        conn.select_db("shop")
        for bad in ("SELECT * FROM missing", "INSERT INTO nowhere VALUES (1)"):
            with pytest.raises(pymysql.err.MySQLError) as e:
                cur.execute(bad)
            assert e.value.args[0] == 1064, bad
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20))")
        cur.execute("INSERT INTO t VALUES (%s, %s)", (1, "it's \"quoted\"; DROP TABLE t; --"))
        cur.execute("SELECT name FROM t WHERE id = %s", (1,))
        assert cur.fetchone() == ("it's \"quoted\"; DROP TABLE t; --",)
        cur.execute("SHOW TABLES")
        assert ("t",) in cur.fetchall()
    with connect(port, db="shop") as conn, conn.cursor() as cur:  # still serving after all of that
        cur.execute("SELECT COUNT(*) FROM t")
        assert cur.fetchone() == (1,)


def test_the_apps_settings_come_from_its_user_data_and_never_a_password_in_it():
    got = db_settings(user_data(80, f"mysql://admin@{ENDPOINT}:3306/awslab", SECRET))
    assert got.secret_arn == SECRET
    assert got.url.format(password="p%40ss") == f"mysql://admin:p%40ss@{ENDPOINT}:3306/awslab"
    plain = db_settings(user_data(80, f"mysql://admin:pw@{ENDPOINT}:3306/awslab"))
    assert plain.url.format() == f"mysql://admin:pw@{ENDPOINT}:3306/awslab" and plain.secret_arn is None
    assert db_settings(user_data(80)) is None and db_settings(user_data(80, "sqlite:///tmp/x.db")) is None
    assert db_settings(None) is None and db_settings("#!/bin/bash\nprintf 'AWSLAB_DB_URL=\"%s\"\\n' 'unclosed") is None
