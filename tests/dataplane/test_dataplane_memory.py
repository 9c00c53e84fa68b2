"""What the data plane keeps per resource is dropped when the resource goes (issue 11 §8)."""
from __future__ import annotations

import aiohttp

from awslab.cloud.moto_ext.ec2 import _AMI_MEMO, _cached_image_lookup
from awslab.dataplane.balancer import Target

from .conftest import TG, echo_app, get, run, start_alb, stop_app, view


def test_alb_keeps_nothing_per_target_once_requests_finish_and_forgets_groups_it_no_longer_uses():
    async def body():
        app = await echo_app("127.0.30.41", 8080, "a")
        alb, url = await start_alb(view([Target("i-a", "10.0.30.41", 8080, "ap-northeast-2a")]))
        try:
            async with aiohttp.ClientSession() as s:
                for _ in range(3):
                    assert (await get(s, url + "/"))[0] == 200
            in_flight = dict(alb._in_flight)
            v = view([])
            v.target_groups.clear()
            v.listeners[80] = [{"Priority": "default", "IsDefault": True, "Conditions": [],
                                "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]}]
            alb.update(v)
            return in_flight, dict(alb.pickers)
        finally:
            await alb.stop()
            await stop_app(app)
    in_flight, pickers = run(body())
    assert in_flight == {} and TG not in pickers


def test_ami_memo_lives_on_the_backend_so_a_reset_backend_is_not_kept_alive():
    class Backend:
        amis = {"ami-1": object()}

        def describe_images(self, ami_ids=None, filters=None, **kw):
            return [self.amis["ami-1"]]

    b = Backend()
    lookup = _cached_image_lookup(b)
    assert lookup(filters={"image-id": "ami-1"}) == [b.amis["ami-1"]]
    assert list(getattr(b, _AMI_MEMO)) == [("ami-1", 1)]
    import awslab.cloud.moto_ext.ec2 as ext
    assert not hasattr(ext, "_AMI_CACHE")  # no module-level memo keyed by id(backend)
