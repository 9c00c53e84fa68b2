"""The SDK side: how awslab makes its boto3 sessions. Faster, never different.

- **One session per profile** for the process. A botocore session's loader reads
  each service's JSON model once, so a second client (or a second Lab) costs
  milliseconds instead of a fresh parse. Sessions are not thread-safe, so
  clients are created under :data:`SESSION_LOCK`.
- **Timestamps parsed without dateutil when they are plain UTC.** botocore turns
  every timestamp in a response (``LaunchTime``, ``AttachTime``, ...) into a
  ``datetime`` with ``dateutil.parser``, about 0.2 ms each: a tenth of a second
  for 140 instances. AWS (and moto) write them as ISO 8601 in UTC
  (``2026-11-27T01:02:03.000Z``), which :func:`datetime.fromisoformat` reads a
  hundred times faster. The result is the same ``datetime``, with the same
  zone object botocore would attach (``tzutc()``, or ``tzlocal()`` on a machine
  whose local zone is UTC); any other form goes to botocore's own parser. This uses
  botocore's documented hook for it (``set_parser_defaults(timestamp_parser=...)``).
- **Service models read from a cache.** Making a client reads the service's
  JSON model (EC2's is 4 MB) into ordered dicts: about 0.2 s for the eight
  services discovery uses, in every new process. :class:`CachedModelLoader`
  keeps each decoded file as a pickle in ``$AWSLAB_HOME/cache/botocore``
  (keyed by the file's path, size, modification time and botocore's version)
  and reads that instead, in under half the time. The cache is awslab's own,
  in the user's awslab home, like the compiled Graphviz next to it: unpickling
  is only done for files this user wrote. A missing, stale or broken entry is
  simply rebuilt from the JSON.
"""
from __future__ import annotations

import contextlib
import datetime
import gc
import hashlib
import os
import pickle
import re
import threading
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.session
from botocore.loaders import JSONFileLoader
from botocore.utils import parse_timestamp

from . import config

__all__ = ["session", "SESSION_LOCK", "parse_timestamp_fast", "CachedModelLoader", "warm_model_cache", "LAB_SERVICES"]

#: The services the labs, the builder and discovery make clients for.
LAB_SERVICES = ("ec2", "elbv2", "autoscaling", "cloudwatch", "rds", "s3", "cloudfront", "route53", "iam", "sts")

SESSION_LOCK = threading.RLock()
_SESSIONS: dict[str | None, boto3.session.Session] = {}
#: ``YYYY-MM-DDTHH:MM:SS[.fraction]Z``: the form AWS's APIs use. Anything else takes botocore's path.
_ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z\Z")
#: The zone botocore (through dateutil) attaches to a "...Z" timestamp on this machine.
_UTC = parse_timestamp("2000-01-01T00:00:00Z").tzinfo


def parse_timestamp_fast(value: Any) -> datetime.datetime:
    """botocore's ``parse_timestamp``, with a fast path for plain UTC ISO 8601 strings (same result)."""
    if isinstance(value, str) and _ISO_UTC.match(value):
        return datetime.datetime.fromisoformat(value[:-1]).replace(tzinfo=_UTC)
    return parse_timestamp(value)


def _unpickle(data: bytes) -> Any:
    """``pickle.loads`` with the garbage collector paused: a model is ~100,000 new dicts, which would
    otherwise trigger collections that find nothing to free (a third of the load time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if was_enabled:
            gc.enable()


class CachedModelLoader(JSONFileLoader):
    """botocore's JSON model loader, with each decoded file kept as a pickle in ``cache_dir``."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir

    def load_file(self, file_path: str) -> Any:
        for ext in (".json", ".json.gz"):  # botocore's order (its _JSON_OPEN_METHODS)
            try:
                st = os.stat(file_path + ext)
            except OSError:
                continue
            key = hashlib.sha256(f"{file_path}{ext}|{st.st_size}|{st.st_mtime_ns}|{botocore.__version__}".encode()).hexdigest()[:24]
            cached = self.cache_dir / f"{key}.pickle"
            try:
                return _unpickle(cached.read_bytes())
            except OSError:  # not cached yet (or no cache folder): read the JSON below
                pass
            except Exception:  # noqa: BLE001 - a broken entry: rebuilt below
                with contextlib.suppress(OSError):
                    cached.unlink()
            data = super().load_file(file_path)
            if data is not None:
                self._write(cached, data)
            return data
        return None

    def _write(self, path: Path, data: Any) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(path)  # atomic: another process reads the old entry or the new one, never half
        except OSError:  # a read-only home: work without the cache
            pass


def session(profile: str | None = None) -> boto3.session.Session:
    """The process's boto3 session for ``profile`` (None: the default credentials chain)."""
    with SESSION_LOCK:
        if profile not in _SESSIONS:
            core = botocore.session.Session()
            core.get_component("data_loader").file_loader = CachedModelLoader(config.home() / "cache" / "botocore")
            core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp_fast)
            _SESSIONS[profile] = boto3.session.Session(botocore_session=core, profile_name=profile)
        return _SESSIONS[profile]


def warm_model_cache(services: tuple[str, ...] = LAB_SERVICES) -> int:
    """Fill the model cache by making (and dropping) a client per service; returns how many were made.

    ``awslab up`` runs this in the background, so the notebook's first clients (and the first
    topology) don't pay for parsing JSON models on a machine's first run. Makes no request.
    """
    made = 0
    for name in services:
        session().client(name, region_name=config.region(), endpoint_url="http://127.0.0.1:9",
                         aws_access_key_id="warm", aws_secret_access_key="warm")
        made += 1
    return made
