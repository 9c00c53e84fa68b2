"""Which asyncio event loop the data plane runs on: uvloop where it exists, else the standard one.

The ALB is CPU-bound in Python on a small machine: per request it reads from a
client, writes to a target, reads the answer and writes it back. The standard
loop spends much of that in Python (selector bookkeeping, transports); uvloop
(libuv, written in Cython) does the same work in C. Measured on the lab's 2-core
machine: the ALB process used about a third less CPU per request (171 -> 112 us)
and served ~3,900 instead of ~2,200 req/s in the same minute (docs/benchmarks.md).

uvloop only exists for Linux and macOS; on Windows (or when it is not
installed, or ``AWSLAB_UVLOOP=0``) the data plane uses asyncio's own loop and
behaves the same, only slower. Nothing in the data plane depends on which loop runs it.
"""
from __future__ import annotations

import asyncio
import os
from typing import Any, Coroutine

__all__ = ["new_event_loop", "run", "loop_name"]


def _uvloop():
    if os.environ.get("AWSLAB_UVLOOP", "1").lower() in ("0", "false", "no", "off"):
        return None
    try:
        import uvloop  # Linux/macOS only; pinned in pyproject.toml
    except ImportError:
        return None
    return uvloop


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A fresh event loop for the data plane's thread: uvloop's if available, else asyncio's."""
    uv = _uvloop()
    return uv.new_event_loop() if uv is not None else asyncio.new_event_loop()


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Like :func:`asyncio.run`, on the loop :func:`new_event_loop` picks."""
    loop = new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coro)
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def loop_name() -> str:
    """``"uvloop"`` or ``"asyncio"``: what :func:`new_event_loop` gives (shown in the benchmark)."""
    return "uvloop" if _uvloop() is not None else "asyncio"
