#!/usr/bin/env python3
"""awslab's web app: the program each instance of the lab runs.

It is one file that uses only the standard library. EC2 user data can copy it onto
Amazon Linux 2023 (python3.9) and start it, and awslab's local data plane imports it.

- ``GET /`` names the instance ("Hello from i-0abc... in ap-northeast-2a (10.0.11.23)").
- ``GET /health`` is what the target group's health check asks: 200 "ok", or 500 (a drilled fault, or
  settings in ``AWSLAB_APP_CONFIG`` the app cannot read: a bad release).
- ``GET /products`` reads rows from the lab's database (RDS, or sqlite locally).
- ``GET /headers`` shows the request as this server received it: the headers a load
  balancer added (X-Forwarded-For, X-Amzn-Trace-Id, ...) and the address the
  connection came from.
- ``GET /api/...`` is the JSON API behind a load balancer's ``/api/*`` rule. A rule
  forwards the path unchanged, so the app serves it under ``/api/``:
  ``/api/whoami``, ``/api/products``, ``/api/headers``.

Behaviour is a pure function, ``respond(request, identity, state, db) -> Response``.
The simulator calls it without sockets, in virtual time. The HTTP server below calls
it for every real request. Both therefore agree. ``AppState`` holds the fault that a
drill injects: ok | unhealthy (/health answers 500) | hang (never answers) |
slow (answers after ``delay`` s) | crash (the process dies).
"""
from __future__ import annotations

import argparse
import asyncio
import http
import json
import os
import signal
import sqlite3
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

MODES = ("ok", "unhealthy", "hang", "slow", "crash")
#: The exit status of a drilled crash. The systemd unit has RestartPreventExitStatus=70, so the app stays down.
CRASH_EXIT = 70
#: Keep idle connections longer than the ALB's 60 s idle timeout, as AWS advises for targets
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout).
KEEPALIVE_S = 75.0
MAX_HEAD, MAX_BODY = 64 * 1024, 1024 * 1024
IMDS = "http://169.254.169.254/latest"
SEED = [(1, "Keyboard", 49.0), (2, "Mouse", 19.5), (3, "Monitor", 199.0), (4, "USB-C cable", 9.9)]


@dataclass(frozen=True)
class Identity:
    """Which instance this is. On EC2 it comes from IMDSv2; locally, from arguments."""

    instance_id: str
    availability_zone: str
    private_ip: str


def imds_identity(timeout: float = 2.0, base: str = IMDS) -> Identity:
    """Ask the instance metadata service with IMDSv2: PUT a session token, then GET with it.

    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
    """
    put = urllib.request.Request(base + "/api/token", method="PUT",
                                 headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
    with urllib.request.urlopen(put, timeout=timeout) as r:
        token = r.read().decode()

    def get(path: str) -> str:
        req = urllib.request.Request(base + "/meta-data/" + path, headers={"X-aws-ec2-metadata-token": token})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.read().decode().strip()

    return Identity(get("instance-id"), get("placement/availability-zone"), get("local-ipv4"))


def config_problem(text: Optional[str]) -> Optional[str]:
    """What is wrong with the app's settings (``AWSLAB_APP_CONFIG``, a JSON object the user data writes to the
    app's environment file), or None when they are usable or absent.

    A release whose settings don't parse starts, serves ``/``, and answers ``/health`` with 500 naming the
    problem: the way a real bad deploy looks to a load balancer's health check.
    """
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError as e:
        return "AWSLAB_APP_CONFIG is not valid JSON (%s)" % e
    return None if isinstance(value, dict) else "AWSLAB_APP_CONFIG must be a JSON object"


class AppState:
    """The fault a drill has injected, and the settings problem the app started with (``config_error``).
    Servers watching it react at once (a crash closes them)."""

    def __init__(self, mode: str = "ok", delay: float = 0.0, config_error: Optional[str] = None):
        self._watchers: List[Callable[["AppState"], None]] = []
        self._stamp: Optional[float] = None
        self.mode, self.delay = "ok", 0.0
        self.config_error = config_error
        self.set(mode, delay)

    def set(self, mode: str, delay: Optional[float] = None) -> None:
        if mode not in MODES:
            raise ValueError("mode %r is not one of %s" % (mode, ", ".join(MODES)))
        if delay is not None and not 0 <= float(delay) <= 3600:
            raise ValueError("delay must be 0-3600 seconds")
        self.mode = mode
        if delay is not None:
            self.delay = float(delay)
        for fn in list(self._watchers):
            fn(self)

    def watch(self, fn: Callable[["AppState"], None]) -> None:
        self._watchers.append(fn)

    def unwatch(self, fn: Callable[["AppState"], None]) -> None:
        if fn in self._watchers:
            self._watchers.remove(fn)

    def refresh(self, path: str) -> None:
        """Follow a fault file ("unhealthy", "slow 2.5", ...); no file means ok. On EC2 a drill writes it."""
        try:
            stamp = os.stat(path).st_mtime
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        self._stamp = stamp
        words = (open(path).read().split() if stamp is not None else []) or ["ok"]
        self.set(words[0], float(words[1]) if len(words) > 1 else None)

    def __repr__(self) -> str:
        return "AppState(mode=%r, delay=%r)" % (self.mode, self.delay)


@dataclass
class Request:
    method: str
    target: str
    headers: Dict[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""
    version: str = "HTTP/1.1"
    peer: str = ""  # the address the connection came from (behind an ALB: the ALB node's)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Response:
    """What to answer. ``delay``/``hang``/``crash`` tell the server (or the simulator) how to behave."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: Dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False
    crash: bool = False


class Database:
    """The ``products`` table. ``sqlite:///abs/path`` is the local stand-in for RDS;
    ``mysql://user:pass@host:3306/db`` is RDS for MySQL, through PyMySQL when installed.

    ``opener(host, port, timeout) -> socket`` makes the TCP connection instead of PyMySQL (the lab's
    data plane opens it from the instance's own address, so the DB's security group sees the instance);
    on EC2 it is None and PyMySQL connects as usual.
    """

    def __init__(self, url: str, connect_timeout: float = 5.0, opener: Optional[Callable] = None):
        u = urllib.parse.urlsplit(url)
        self.kind, self.url, self.timeout, self.opener = u.scheme.split("+")[0], u, connect_timeout, opener
        if self.kind not in ("sqlite", "mysql"):
            raise ValueError("db url must start with sqlite:/// or mysql://")
        self._lock, self._conn, self._seeded = threading.Lock(), None, False
        self.mark = "?" if self.kind == "sqlite" else "%s"

    def _connect(self):
        u = self.url
        if self.kind == "sqlite":
            path = u.path[1:] if u.path == "/:memory:" else u.path
            return sqlite3.connect(path, timeout=self.timeout, check_same_thread=False)
        import pymysql  # only needed for RDS

        conn = pymysql.connect(host=u.hostname, port=u.port or 3306, user=urllib.parse.unquote(u.username or ""),
                               password=urllib.parse.unquote(u.password or ""), connect_timeout=self.timeout,
                               read_timeout=self.timeout, autocommit=True, defer_connect=self.opener is not None)
        if self.opener is not None:
            try:
                sock = self.opener(u.hostname, u.port or 3306, self.timeout)
            except OSError as e:  # as PyMySQL words a failed connect: (2003, "Can't connect to MySQL server on ...")
                raise pymysql.err.OperationalError(2003, "Can't connect to MySQL server on %r (%s)" % (u.hostname, e))
            conn.connect(sock)
        name = u.path.lstrip("/") or "awslab"
        if not name.replace("_", "").isalnum():
            raise ValueError("database name %r: use letters, digits and _" % name)
        with conn.cursor() as cur:  # a new RDS instance has no database yet: make the app's own
            cur.execute("CREATE DATABASE IF NOT EXISTS `%s`" % name)
        conn.select_db(name)
        return conn

    def _seed(self, cur) -> None:
        cur.execute("CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, "
                    "price DECIMAL(10,2) NOT NULL)")
        cur.execute("SELECT COUNT(*) FROM products")
        if cur.fetchone()[0] == 0:
            ignore = "INSERT OR IGNORE" if self.kind == "sqlite" else "INSERT IGNORE"
            cur.executemany("%s INTO products (id, name, price) VALUES (%s, %s, %s)" % ((ignore,) + (self.mark,) * 3), SEED)
        self._seeded = True

    def products(self) -> List[Dict[str, object]]:
        """Every product, seeding the table first if it is empty."""
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self._connect()
                cur = self._conn.cursor()
                if not self._seeded:
                    self._seed(cur)
                cur.execute("SELECT id, name, price FROM products ORDER BY id")
                rows = cur.fetchall()
                self._conn.commit()
            except Exception:
                self.close()
                raise
            if self.kind == "mysql":
                # A connection per request, no pool: a change to the DB's security group shows on the next request.
                # (An open connection would survive a revoked rule: security groups track established connections,
                # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html.)
                self.close()
        return [{"id": int(i), "name": n, "price": float(p)} for i, n, p in rows]

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass


def _text(status: int, text: str) -> Response:
    return Response(status, text.encode())


def _json(status: int, obj: object) -> Response:
    return Response(status, json.dumps(obj).encode(), "application/json")


def _index(req: Request, me: Identity, state: AppState, db) -> Response:
    hello = "Hello from %s in %s (%s)" % (me.instance_id, me.availability_zone, me.private_ip)
    if "json" in req.headers.get("accept", "") or "format=json" in req.target:
        return _json(200, {"message": hello, "instance_id": me.instance_id, "availability_zone": me.availability_zone,
                           "private_ip": me.private_ip})
    return _text(200, hello + "\n")


def _health(req: Request, me: Identity, state: AppState, db) -> Response:
    if state.config_error:
        return _text(500, "config error: %s\n" % state.config_error)
    return _text(500, "unhealthy\n") if state.mode == "unhealthy" else _text(200, "ok\n")


def _products(req: Request, me: Identity, state: AppState, db) -> Response:
    if db is None:
        return _json(503, {"error": "no database configured (start the app with --db-url)"})
    try:
        rows = db.products()
    except ImportError:
        return _json(500, {"error": "PyMySQL is not installed (pip3 install pymysql)"})
    except Exception as e:  # the database is down or unreachable: the app answers 500, as a real one would
        return _json(500, {"error": "database error: %s: %s" % (type(e).__name__, e)})
    return _json(200, {"instance_id": me.instance_id, "products": rows})


def _headers(req: Request, me: Identity, state: AppState, db) -> Response:
    """The request as this server received it: what a load balancer in front added, and who connected."""
    return _json(200, {"instance_id": me.instance_id, "method": req.method, "target": req.target, "peer": req.peer,
                       "headers": dict(sorted(req.headers.items()))})


def _api(req: Request, me: Identity, state: AppState, db) -> Response:
    """``/api/<name>``: the JSON API. An ALB rule forwards ``/api/*`` with the path unchanged."""
    name = req.path[len("/api"):].rstrip("/") or "/whoami"
    if name == "/whoami":
        return _json(200, {"api": "awslab", "path": req.path, "instance_id": me.instance_id,
                           "availability_zone": me.availability_zone, "private_ip": me.private_ip})
    handler = API_ROUTES.get(name)
    if handler is None:
        routes = ["/api/whoami"] + ["/api" + r for r in API_ROUTES]
        return _json(404, {"error": "no API route %s" % req.path, "routes": routes})
    return handler(req, me, state, db)


ROUTES = {"/": _index, "/health": _health, "/products": _products, "/headers": _headers}
API_ROUTES = {"/products": _products, "/headers": _headers}


def respond(request: Request, identity: Identity, state: AppState, db=None) -> Response:
    """The app's whole behaviour: what it answers to ``request`` in fault ``state``."""
    if state.mode == "crash":
        return Response(0, crash=True)
    if state.mode == "hang":
        return Response(0, hang=True)
    handler = ROUTES.get(request.path)
    if handler is None and (request.path == "/api" or request.path.startswith("/api/")):
        handler = _api
    if handler is None:
        resp = _text(404, "not found\n")
    elif request.method not in ("GET", "HEAD"):
        resp = _text(405, "method not allowed\n")
        resp.headers["Allow"] = "GET, HEAD"
    else:
        resp = handler(request, identity, state, db)
    resp.delay = state.delay if state.mode == "slow" else 0.0
    resp.headers["X-Instance-Id"] = identity.instance_id
    return resp


class BadRequest(Exception):
    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status


async def read_request(reader: asyncio.StreamReader, writer: Optional[asyncio.StreamWriter] = None) -> Optional[Request]:
    """One HTTP/1.1 request (head, then a Content-Length body); None at a clean end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial.strip():
            return None
        raise BadRequest(400, "incomplete request")
    except asyncio.LimitOverrunError:
        raise BadRequest(431, "request head too large")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, "bad request line")
    headers = {}
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise BadRequest(400, "bad header line")
            headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers:
        raise BadRequest(501, "chunked request bodies are not supported; send Content-Length")
    length = headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY:
        raise BadRequest(413 if length.isdigit() else 400, "bad Content-Length")
    if int(length) and writer is not None and headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for this before it sends a body
    body = await reader.readexactly(int(length)) if int(length) else b""
    return Request(parts[0], parts[1], headers, body, parts[2])


def keep_alive(req: Request) -> bool:
    conn = req.headers.get("connection", "").lower()
    return "keep-alive" in conn if req.version == "HTTP/1.0" else "close" not in conn


REASONS = {s.value: s.phrase for s in http.HTTPStatus}


def encode(resp: Response, head_only: bool = False, keep: bool = True) -> bytes:
    lines = ["HTTP/1.1 %d %s" % (resp.status, REASONS.get(resp.status, "")), "Content-Type: " + resp.content_type,
             "Content-Length: %d" % len(resp.body), "Connection: " + ("keep-alive" if keep else "close"), "Server: awslab-webapp"]
    lines += ["%s: %s" % kv for kv in resp.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else resp.body)


def access_line(req: Request, resp: Response, when: float) -> str:
    """One access-log line in Apache's combined format (what httpd and nginx write by default)."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(when))
    agent = req.headers.get("user-agent", "-").replace('"', "'")
    return '%s - - [%s] "%s %s %s" %d %d "-" "%s"' % (req.peer or "-", stamp, req.method, req.target, req.version,
                                                     resp.status, len(resp.body), agent)


def error_line(req: Request, resp: Response, when: float) -> str:
    """One error-log line for an answer of 500 or more: when, the request and why (the body's first line)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
    why = resp.body.decode("utf-8", "replace").strip().splitlines()[:1] or ["-"]
    return "%s [error] %s %s -> %d: %s" % (stamp, req.method, req.target, resp.status, why[0][:500])


class FileLog:
    """The app's logs on an instance: ``<dir>/access.log`` and ``<dir>/error.log`` (the CloudWatch agent tails them)."""

    def __init__(self, directory: str):
        self.directory = directory

    def __call__(self, kind: str, when: float, line: str) -> None:
        with open(os.path.join(self.directory, kind + ".log"), "a") as f:
            f.write(line + "\n")


class WebApp:
    """A running server (what :func:`serve` returns). ``close()`` + ``await wait_closed()``, like asyncio.Server.

    ``log(kind, when, line)`` receives each access line (``kind`` "access") and, for answers of 500 or
    more, an error line ("error"); ``clock()`` is the time they carry (the data plane passes simulated time).
    """

    log: Optional[Callable[[str, float, str], None]] = None
    clock: Callable[[], float] = staticmethod(time.time)

    def __init__(self, identity: Identity, state: AppState, db=None, fault_file: Optional[str] = None, own_db: bool = False):
        self.identity, self.state, self.db, self.fault_file, self._own_db = identity, state, db, fault_file, own_db
        self.crashed = False
        self._server: Optional[asyncio.AbstractServer] = None
        self._conns: Dict[asyncio.Task, asyncio.StreamWriter] = {}
        self._closed: Optional[asyncio.Event] = None

    async def start(self, host: str, port: int) -> "WebApp":
        self._loop = asyncio.get_running_loop()
        self._closed = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, host, port, limit=MAX_HEAD, reuse_address=True)
        self.state.watch(self._on_state)
        return self

    @property
    def sockets(self):
        return self._server.sockets if self._server else ()

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    def is_serving(self) -> bool:
        return bool(self._server and self._server.is_serving())

    def peer_of(self, peername) -> str:
        """The address a connection came from, as the app reports it (on EC2: the caller's private IP)."""
        return str(peername[0]) if peername else ""

    def _on_state(self, state: AppState) -> None:
        if state.mode == "crash" and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.crash)

    def crash(self) -> None:
        """Die like a killed process: stop listening (connection refused) and reset open connections."""
        self.crashed = True
        for writer in self._conns.values():
            writer.transport.abort()
        self.close()

    def close(self) -> None:
        if self._closed is None or self._closed.is_set():
            return
        self._closed.set()
        self.state.unwatch(self._on_state)
        self._server.close()
        for task in list(self._conns):
            task.cancel()

    async def wait_closed(self) -> None:
        await self._closed.wait()
        if self._conns:
            await asyncio.gather(*self._conns, return_exceptions=True)
        await self._server.wait_closed()
        if self._own_db and self.db is not None:
            self.db.close()

    async def aclose(self) -> None:
        self.close()
        await self.wait_closed()

    async def __aenter__(self) -> "WebApp":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def _answer(self, req: Request) -> Response:
        if self.fault_file:
            self.state.refresh(self.fault_file)
        if req.path in ("/products", "/api/products") and self.state.mode not in ("hang", "crash"):
            # The database call blocks, so it runs in a worker thread and the event loop keeps serving.
            return await self._loop.run_in_executor(None, respond, req, self.identity, self.state, self.db)
        return respond(req, self.identity, self.state, self.db)

    def _log(self, req: Request, resp: Response) -> None:
        when = self.clock()
        try:
            self.log("access", when, access_line(req, resp, when))
            if resp.status >= 500:
                self.log("error", when, error_line(req, resp, when))
        except OSError:  # a full disk must not take the app down
            pass

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._conns[task] = writer
        try:
            while not self._closed.is_set():
                try:
                    req = await asyncio.wait_for(read_request(reader, writer), KEEPALIVE_S)
                except BadRequest as e:
                    writer.write(encode(_text(e.status, str(e) + "\n"), keep=False))
                    break
                if req is None:
                    break
                req.peer = self.peer_of(writer.get_extra_info("peername"))
                resp = await self._answer(req)
                if resp.crash:
                    self.crash()
                    return
                if resp.hang:  # stuck: never answer; wait until the client gives up or the server stops
                    while await reader.read(65536):
                        pass
                    break
                if resp.delay:
                    await asyncio.sleep(resp.delay)
                if self.log is not None:
                    self._log(req, resp)
                keep = keep_alive(req)
                writer.write(encode(resp, req.method == "HEAD", keep))
                await writer.drain()
                if not keep:
                    break
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._conns.pop(task, None)
            if not writer.transport.is_closing():
                writer.close()


async def serve(host: str, port: int, identity: Identity, state: Optional[AppState] = None,
                db_url: Optional[str] = None, fault_file: Optional[str] = None, db=None) -> WebApp:
    """Start the web app on ``host:port`` in the running event loop (port 0 picks a free port)."""
    own = db is None and bool(db_url)
    app = WebApp(identity, state or AppState(), Database(db_url) if own else db, fault_file, own_db=own)
    return await app.start(host, port)


def _identity(args: argparse.Namespace) -> Identity:
    got = {"instance_id": args.instance_id, "availability_zone": args.az, "private_ip": args.private_ip}
    if not all(got.values()) and not args.no_imds:
        try:
            found = imds_identity()
            got = {k: v or getattr(found, k) for k, v in got.items()}
        except OSError:
            pass
    return Identity(got["instance_id"] or os.uname().nodename, got["availability_zone"] or "unknown", got["private_ip"] or "127.0.0.1")


async def _run(args: argparse.Namespace, identity: Identity) -> bool:
    state = AppState(config_error=config_problem(os.environ.get("AWSLAB_APP_CONFIG")))
    app = await serve(args.host, args.port, identity, state, db_url=args.db_url, fault_file=args.fault_file)
    if args.log_dir:
        app.log = FileLog(args.log_dir)
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, app.close)
    print("awslab web app: %s on %s:%d" % (identity, args.host, app.port), flush=True)
    await app.wait_closed()
    return app.crashed


def main(argv: Optional[List[str]] = None) -> int:
    env = os.environ.get
    p = argparse.ArgumentParser(description="awslab's web app: /, /health, /products, /headers, /api/...")
    p.add_argument("--host", default=env("AWSLAB_HOST", "0.0.0.0"))
    p.add_argument("--port", type=int, default=int(env("AWSLAB_APP_PORT", "80")))
    p.add_argument("--instance-id", default=env("AWSLAB_INSTANCE_ID"))
    p.add_argument("--az", default=env("AWSLAB_AZ"))
    p.add_argument("--private-ip", default=env("AWSLAB_PRIVATE_IP"))
    p.add_argument("--db-url", default=env("AWSLAB_DB_URL"), help="sqlite:///abs/path or mysql://user:pass@host:3306/db")
    p.add_argument("--fault-file", default=env("AWSLAB_FAULT_FILE"), help='a file holding "ok", "unhealthy", "slow 2" ...')
    p.add_argument("--log-dir", default=env("AWSLAB_LOG_DIR"), help="write access.log and error.log here")
    p.add_argument("--no-imds", action="store_true", help="don't ask the instance metadata service")
    args = p.parse_args(argv)
    crashed = asyncio.run(_run(args, _identity(args)))
    return CRASH_EXIT if crashed else 0


if __name__ == "__main__":
    raise SystemExit(main())
