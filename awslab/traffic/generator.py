"""Real HTTP load through the ALB: an open model (requests/s) and a closed model (users who think).

- **Open model**: requests arrive at ``shape(t)`` per simulated second,
  whether or not earlier ones have been answered (the internet at large).
- **Closed model**: ``shape(t)`` users each send a request, wait for the
  answer, think, and send the next (a known population, such as the seed's
  100 -> 1000 users). A slow service slows the users down.

Time: ``t`` is simulated seconds. At ``speed`` 20 a 600 s scenario takes 30 s.

**Sampling.** The lab's virtual load can exceed what this machine can send
(1000 users at 20x is thousands of requests per wall second). Then a sampled
real stream goes out - at most ``max_real_rps`` requests or ``max_real_users``
users - and each real request carries ``X-Awslab-Weight: k``: it stands for
``k`` virtual requests in the statistics and in the simulator's CPU model
(the ALB reads and strips the header).

Every run is bounded: by ``duration_s`` and by ``max_requests``.
"""
from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Sequence

import aiohttp

from .shapes import LoadShape, ThinkTime, between
from .stats import RequestStats

__all__ = ["WEIGHT_HEADER", "Endpoint", "open_model", "closed_model", "LoadRun"]

WEIGHT_HEADER = "X-Awslab-Weight"
_TICK_S = 0.01


@dataclass(frozen=True)
class Endpoint:
    """A request the generator sends; ``weight`` is its share among the endpoints."""

    path: str = "/"
    method: str = "GET"
    weight: float = 1.0


@dataclass
class _Run:
    url: str
    endpoints: Sequence[Endpoint]
    speed: float
    timeout_s: float
    max_requests: int
    stats: RequestStats
    rng: random.Random
    session: aiohttp.ClientSession | None = None
    sent: int = 0
    t0: float = field(default_factory=time.monotonic)
    stop: asyncio.Event | None = None

    def sim_t(self) -> float:
        return (time.monotonic() - self.t0) * self.speed

    def pick(self) -> Endpoint:
        if len(self.endpoints) == 1:
            return self.endpoints[0]
        return self.rng.choices(self.endpoints, [e.weight for e in self.endpoints])[0]

    async def one(self, weight: float) -> None:
        ep = self.pick()
        self.sent += 1
        started = time.perf_counter()
        status = None
        try:
            async with self.session.request(ep.method, self.url + ep.path, headers={WEIGHT_HEADER: f"{weight:.4g}"},
                                            allow_redirects=False, timeout=aiohttp.ClientTimeout(total=self.timeout_s)) as r:
                await r.read()
                status = r.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            status = None
        self.stats.log(ep.method, ep.path, status, (time.perf_counter() - started) * 1000, self.sim_t(), weight)

    @property
    def done(self) -> bool:
        return self.sent >= self.max_requests or (self.stop is not None and self.stop.is_set())


async def open_model(url: str, shape: LoadShape, *, duration_s: float, speed: float = 1.0, max_real_rps: float = 200.0,
                     max_requests: int = 100_000, endpoints: Sequence[Endpoint] = (Endpoint(),), max_in_flight: int = 256,
                     timeout_s: float = 10.0, seed: int = 0, stats: RequestStats | None = None,
                     stop: asyncio.Event | None = None,
                     resolver: aiohttp.abc.AbstractResolver | None = None) -> RequestStats:
    """Send requests at ``shape(t)`` virtual req/s for ``duration_s`` simulated seconds; returns the statistics.

    ``resolver``: how host names become addresses (aiohttp's; default the system's DNS).
    """
    run = _Run(url.rstrip("/"), endpoints, speed, timeout_s, max_requests, stats or RequestStats(), random.Random(seed), stop=stop)
    in_flight: set[asyncio.Task] = set()
    credit, last = 0.0, time.monotonic()
    connector = aiohttp.TCPConnector(limit=max_in_flight, resolver=resolver)
    async with aiohttp.ClientSession(connector=connector) as run.session:
        while run.sim_t() < duration_s and not run.done:
            await asyncio.sleep(_TICK_S)
            now = time.monotonic()
            virtual = max(shape(run.sim_t()), 0.0) * speed  # virtual requests per wall second
            real = min(virtual, max_real_rps)
            credit += real * (now - last)
            last = now
            weight = virtual / real if real > 0 else 1.0
            while credit >= 1.0 and not run.done:
                credit -= 1.0
                if len(in_flight) >= max_in_flight:  # the machine can't keep up: count it as not sent
                    run.stats.log("GET", "(generator overloaded)", None, 0.0, run.sim_t(), weight)
                    continue
                task = asyncio.create_task(run.one(weight))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.wait(in_flight, timeout=timeout_s)
    return run.stats


async def closed_model(url: str, users: LoadShape, *, duration_s: float, think_time: ThinkTime = between(1, 3),
                       speed: float = 1.0, max_real_users: int = 50, max_requests: int = 100_000,
                       endpoints: Sequence[Endpoint] = (Endpoint(),), timeout_s: float = 10.0, seed: int = 0,
                       stats: RequestStats | None = None, stop: asyncio.Event | None = None) -> RequestStats:
    """Run ``users(t)`` users (think time in simulated seconds) for ``duration_s`` simulated seconds."""
    run = _Run(url.rstrip("/"), endpoints, speed, timeout_s, max_requests, stats or RequestStats(), random.Random(seed), stop=stop)
    tasks: list[asyncio.Task] = []
    weight = [1.0]

    async def user(index: int) -> None:
        while not run.done and run.sim_t() < duration_s and index < len(tasks):
            await run.one(weight[0])
            await asyncio.sleep(think_time(run.rng) / speed)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max_real_users + 8)) as run.session:
        while run.sim_t() < duration_s and not run.done:
            n = max(users(run.sim_t()), 0.0)
            real = int(min(round(n), max_real_users)) if n >= 1 else 0
            weight[0] = n / real if real else 1.0
            while len(tasks) < real:
                tasks.append(asyncio.create_task(user(len(tasks))))
            while len(tasks) > real:
                tasks.pop().cancel()
            await asyncio.sleep(_TICK_S * 5)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return run.stats


class LoadRun:
    """Run a generator in a background thread (for notebooks): ``start()``, ``stop()``, ``wait()``, ``stats``.

    >>> run = LoadRun(open_model, alb_url, steady(50), duration_s=60, speed=20).start()
    >>> run.wait(); print(run.stats)
    """

    def __init__(self, model, url: str, shape: LoadShape, **kw):
        self.stats = RequestStats()
        self._args, self._kw, self._model = (url, shape), kw, model
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.error: BaseException | None = None

    def start(self) -> "LoadRun":
        ready = threading.Event()

        def main() -> None:
            async def go() -> None:
                self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
                ready.set()
                await self._model(*self._args, stats=self.stats, stop=self._stop, **self._kw)

            try:
                asyncio.run(go())
            except BaseException as e:  # surfaced by wait()
                self.error = e
            finally:
                ready.set()

        self._thread = threading.Thread(target=main, name="awslab-traffic", daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:
                pass

    def wait(self, timeout: float | None = None) -> RequestStats:
        if self._thread is not None:
            self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.stats

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
