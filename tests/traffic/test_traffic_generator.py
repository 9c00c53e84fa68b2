"""Open and closed load models against a real server, sampling weights, and the statistics."""
from __future__ import annotations

import asyncio

from aiohttp import web

from awslab.traffic import (WEIGHT_HEADER, Endpoint, LoadRun, RequestStats, StatsEntry, closed_model, constant,
                            open_model, seed_surge_users, steady, step)


async def counting_server(delay: float = 0.0):
    seen = []

    async def handle(request):
        seen.append((request.path, float(request.headers.get(WEIGHT_HEADER, "1"))))
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=500 if request.path == "/fail" else 200, text="ok")

    server = web.Server(handle, access_log=None)
    srv = await asyncio.get_running_loop().create_server(server, "127.0.0.1", 0)
    return server, srv, f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}", seen


async def close(server, srv):
    srv.close()
    await server.shutdown(0.2)
    await srv.wait_closed()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_open_model_sends_the_shape_rate():
    async def body():
        server, srv, url, seen = await counting_server()
        stats = await open_model(url, steady(40), duration_s=1.0)
        await close(server, srv)
        return stats, seen
    stats, seen = run(body())
    assert 30 <= len(seen) <= 44 and stats.total.num_real == len(seen)
    assert all(w == 1.0 for _, w in seen) and stats.total.status[200] == len(seen)


def test_open_model_samples_when_virtual_rate_exceeds_the_cap():
    async def body():
        server, srv, url, seen = await counting_server()
        stats = await open_model(url, steady(100), duration_s=10.0, speed=10, max_real_rps=50)
        await close(server, srv)
        return stats, seen
    stats, seen = run(body())
    # 100 virtual req/s x 10 speed = 1000 virtual req per wall second; 50 real ones weigh 20 each
    assert 35 <= len(seen) <= 55 and {w for _, w in seen} == {20.0}
    assert abs(stats.total.num_requests - 20 * len(seen)) < 1e-6
    assert 85 <= stats.total.rps <= 115  # the shape's 100 virtual req per *simulated* second


def test_closed_model_users_and_think_time():
    async def body():
        server, srv, url, seen = await counting_server()
        stats = await closed_model(url, steady(4), duration_s=1.0, think_time=constant(0.2))
        await close(server, srv)
        return stats, seen
    stats, seen = run(body())
    assert 12 <= len(seen) <= 26  # 4 users x ~5 requests each


def test_closed_model_slows_down_when_the_service_is_slow():
    async def body():
        server, srv, url, seen = await counting_server(delay=0.2)
        await closed_model(url, steady(4), duration_s=1.0, think_time=constant(0.0))
        await close(server, srv)
        return seen
    assert len(run(body())) <= 24  # 4 users can't do more than 5 requests/s each


def test_closed_model_samples_users_above_the_cap():
    async def body():
        server, srv, url, seen = await counting_server()
        await closed_model(url, step(100, 100, 0), duration_s=0.5, think_time=constant(0.2), max_real_users=10)
        await close(server, srv)
        return seen
    seen = run(body())
    assert seen and {w for _, w in seen} == {10.0}


def test_endpoints_are_counted_separately_with_failures():
    async def body():
        server, srv, url, seen = await counting_server()
        stats = await open_model(url, steady(60), duration_s=0.6, endpoints=[Endpoint("/"), Endpoint("/fail")])
        await close(server, srv)
        return stats
    stats = run(body())
    rows = {r["name"]: r for r in stats.rows()}
    assert rows["/fail"]["failures"] == rows["/fail"]["requests"] > 0 and rows["/"]["failures"] == 0
    assert rows["Aggregated"]["requests"] == rows["/"]["requests"] + rows["/fail"]["requests"]


def test_load_run_in_a_thread_is_bounded_and_stoppable():
    async def start():
        return await counting_server()

    loop = asyncio.new_event_loop()
    server, srv, url, seen = loop.run_until_complete(start())
    import threading
    t = threading.Thread(target=loop.run_forever, daemon=True)
    t.start()
    r = LoadRun(open_model, url, steady(50), duration_s=60.0, max_requests=20).start()
    stats = r.wait(10)
    assert not r.running and stats.total.num_real == 20
    loop.call_soon_threadsafe(loop.stop)
    t.join(5)
    loop.run_until_complete(close(server, srv))
    loop.close()


def test_stats_never_divide_by_zero_and_percentiles_use_rounded_histogram():
    e = StatsEntry("/")
    assert (e.rps, e.avg_ms, e.fail_ratio, e.percentile(0.99)) == (0.0, 0.0, 0.0, 0.0)
    s = RequestStats()
    for n in range(1, 101):
        s.log("GET", "/", 200, float(n), n / 10)
    s.log("GET", "/", None, 1234.0, 11.0)
    assert s.total.percentile(0.5) == 51 and s.total.percentile(0.99) == 100 and s.total.percentile(1.0) == 1200
    assert round(s.total.fail_ratio, 4) == round(1 / 101, 4) and "Aggregated" in str(s)


def test_seed_surge_users_shape():
    shape = seed_surge_users(at_s=600, ramp_s=60)
    assert shape(0) == 100 and shape(630) == 550 and shape(700) == 1000
