"""The SQL engine behind a DB instance's MySQL endpoint: SQLite, one file per MySQL database.

mysql-mimic (https://github.com/kelsin/mysql-mimic) speaks MySQL's client/server protocol:
the handshake, ``mysql_native_password`` authentication, ``COM_QUERY`` and result sets, plus
the session statements every client sends (``SET NAMES``, ``SET autocommit``, ``SELECT @@version``).
It hands each other statement, parsed by sqlglot, to :class:`SqliteSession`, which turns it
into SQLite's dialect and runs it on the current database's file. So a MySQL client library
(PyMySQL, the ``mysql`` CLI) talks to it exactly as to RDS for MySQL, for what the lab needs:
``CREATE DATABASE``/``USE``, tables, ``INSERT``/``SELECT``/``UPDATE``/``DELETE``.

A database named in the handshake (``mysql -D db``, PyMySQL's ``database=``) is opened at the first
query, so an unknown one is refused there (1049) rather than at login as MySQL does.

What it is not: MySQL's full dialect (stored procedures, users and ``GRANT``, replication).
A statement SQLite cannot run answers MySQL's error 1064 with SQLite's reason.

Each DB instance keeps its files under ``<home>/dataplane/rds/<identifier>/`` for the life of
the cloud (a reset, or deleting the DB instance, removes them).
"""
from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

from mysql_mimic import Session
from mysql_mimic.errors import ErrorCode, MysqlError
from sqlglot import exp

__all__ = ["Storage", "SqliteSession", "UNKNOWN_DATABASE", "DB_NAME"]

#: MySQL's ER_BAD_DB_ERROR (https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html).
UNKNOWN_DATABASE = 1049
DB_EXISTS = 1007
#: A database name the engine accepts (MySQL allows more; the lab's names are letters, digits and _).
DB_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
#: MySQL's own schemas: they are answered by mysql-mimic, never stored.
SYSTEM_SCHEMAS = {"information_schema", "mysql", "performance_schema", "sys"}


class Storage:
    """One DB instance's databases: ``<root>/<name>.sqlite``. Thread-safe (each session opens its own connection)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        if not DB_NAME.match(name or ""):
            raise MysqlError(f"Incorrect database name '{name[:64]}'", _code(1102))
        return self.root / f"{name}.sqlite"

    def exists(self, name: str) -> bool:
        return DB_NAME.match(name or "") is not None and self.path(name).exists()

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.sqlite")) if self.root.exists() else []

    def create(self, name: str, if_not_exists: bool) -> None:
        path = self.path(name)
        if path.exists():
            if if_not_exists:
                return
            raise MysqlError(f"Can't create database '{name}'; database exists", _code(DB_EXISTS))
        self.root.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()

    def drop(self, name: str, if_exists: bool) -> None:
        path = self.path(name)
        if not path.exists():
            if if_exists:
                return
            raise MysqlError(f"Can't drop database '{name}'; database doesn't exist", _code(1008))
        path.unlink()

    def open(self, name: str) -> sqlite3.Connection:
        if not self.exists(name):
            raise MysqlError(f"Unknown database '{name}'", _code(UNKNOWN_DATABASE))
        conn = sqlite3.connect(self.path(name), timeout=5.0, isolation_level=None, check_same_thread=False)
        return conn

    def remove_all(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _code(number: int) -> ErrorCode:
    """An ``ErrorCode`` for MySQL's ``number`` (mysql-mimic's enum lists only the codes it raises itself)."""
    try:
        return ErrorCode(number)
    except ValueError:
        member = int.__new__(ErrorCode, number)
        member._name_, member._value_ = f"ER_{number}", number
        return member


class SqliteSession(Session):
    """One client connection's session: ``USE``/``CREATE DATABASE`` on :class:`Storage`, the rest on SQLite."""

    def __init__(self, storage: Storage):
        super().__init__()
        self.storage = storage
        self._conn: sqlite3.Connection | None = None

    async def use(self, database: str) -> None:
        if database.lower() in SYSTEM_SCHEMAS:
            self.database = database
            return
        conn = self.storage.open(database)
        self._close()
        self._conn, self.database = conn, database

    async def close(self) -> None:
        self._close()
        await super().close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def schema(self) -> dict:
        out: dict = {}
        for name in self.storage.names():
            conn = self.storage.open(name)
            try:
                tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
                out[name] = {t: {c[1]: (c[2] or "TEXT") for c in conn.execute(f'PRAGMA table_info("{t}")')}
                             for t in tables}
            finally:
                conn.close()
        return out

    async def query(self, expression: exp.Expression, sql: str, attrs: dict[str, str]):
        kind = str(expression.args.get("kind") or "").upper()
        if isinstance(expression, (exp.Create, exp.Drop)) and kind in ("DATABASE", "SCHEMA"):
            name = expression.this.name if isinstance(expression.this, exp.Table) else expression.this.name
            if isinstance(expression, exp.Create):
                self.storage.create(name, bool(expression.args.get("exists")))
            else:
                self.storage.drop(name, bool(expression.args.get("exists")))
            return [], []
        if self._conn is None and self.database and self.database.lower() not in SYSTEM_SCHEMAS:
            await self.use(self.database)  # named in the handshake (mysql -D, PyMySQL's database=): opened now
        if self._conn is None:
            raise MysqlError("No database selected", ErrorCode.NO_DB_ERROR)
        try:
            cur = self._conn.execute(expression.sql(dialect="sqlite"))
        except sqlite3.Error as e:
            raise MysqlError(f"You have an error in your SQL syntax or it uses what this lab's engine lacks: {e}",
                             ErrorCode.PARSE_ERROR) from None
        if cur.description is None:
            return [], []
        return cur.fetchall(), [d[0] for d in cur.description]
