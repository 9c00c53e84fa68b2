"""awslab.sdk: awslab's boto3 sessions are faster than a plain one, never different."""
from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest
from botocore.utils import parse_timestamp

from awslab import Lab, config, sdk

SAMPLES = ["2026-11-27T01:02:03Z", "2026-11-27T01:02:03.000Z", "2026-11-27T01:02:03.123456Z", "2026-11-27T01:02:03.5Z",
           "2026-11-27T01:02:03+09:00", "2026-11-27T01:02:03.000+0000", "Fri, 27 Nov 2026 01:02:03 GMT",
           1764205323, 1764205323.25, "1764205323"]


@pytest.mark.parametrize("value", SAMPLES)
def test_fast_timestamps_are_botocores_exactly(value):
    fast, slow = sdk.parse_timestamp_fast(value), parse_timestamp(value)
    assert (fast, repr(fast)) == (slow, repr(slow))  # repr: the same zone object too


def test_fast_timestamps_match_in_another_local_zone():
    """The zone botocore attaches depends on the machine's zone (tzlocal() on UTC machines): checked in Seoul."""
    code = ("import sys; from botocore.utils import parse_timestamp; from awslab.sdk import parse_timestamp_fast as f; "
            f"vals = {SAMPLES!r}; bad = [v for v in vals if repr(f(v)) != repr(parse_timestamp(v))]; print(bad); sys.exit(bool(bad))")
    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, TZ="Asia/Seoul"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_bad_timestamps_still_fail_as_botocore_fails():
    with pytest.raises(ValueError):
        sdk.parse_timestamp_fast("not a time")


def test_lab_clients_parse_responses_exactly_like_plain_boto3(lab, cloud_url):
    ec2 = lab.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    iid = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": lab.tags("sdk-probe", "compute")}])["Instances"][0]["InstanceId"]
    try:
        plain = boto3.client("ec2", endpoint_url=cloud_url, region_name=lab.region, **config.EMBEDDED_CREDENTIALS)
        ours = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        theirs = plain.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        assert repr(ours["LaunchTime"]) == repr(theirs["LaunchTime"])
        assert ours == theirs
    finally:
        ec2.terminate_instances(InstanceIds=[iid])


def test_labs_share_one_session_per_profile(cloud_url):
    a, b = Lab(name="sdk-a", endpoint_url=cloud_url), Lab(name="sdk-b", endpoint_url=cloud_url)
    assert a.client("ec2") is a.client("ec2")
    assert sdk.session(None) is sdk.session(None)
    # the service's JSON model was read and parsed once, for both labs
    assert a.client("ec2").meta.service_model._service_description is b.client("ec2").meta.service_model._service_description


def _ec2_model_path() -> str:
    import botocore.session

    loader = botocore.session.get_session().get_component("data_loader")
    version = loader.determine_latest_version("ec2", "service-2")
    return next(str(p / "ec2" / version / "service-2") for p in map(__import__("pathlib").Path, loader.search_paths)
                if (p / "ec2" / version).is_dir())


def test_cached_models_are_botocores_models(tmp_path):
    from botocore.loaders import JSONFileLoader

    path = _ec2_model_path()
    expected = JSONFileLoader().load_file(path)
    cache = sdk.CachedModelLoader(tmp_path)
    first, second = cache.load_file(path), cache.load_file(path)  # the second comes from the pickle
    assert len(list(tmp_path.glob("*.pickle"))) == 1
    assert first == expected and second == expected
    assert type(second["operations"]) is type(expected["operations"])  # ordered dicts stay ordered dicts
    assert cache.load_file(str(tmp_path / "no-such-model")) is None


def test_a_broken_cache_entry_is_rebuilt_and_an_unwritable_cache_is_skipped(tmp_path):
    path = _ec2_model_path()
    cache = sdk.CachedModelLoader(tmp_path)
    cache.load_file(path)
    entry = next(tmp_path.glob("*.pickle"))
    entry.write_bytes(b"not a pickle")
    assert "DescribeInstances" in cache.load_file(path)["operations"]
    assert entry.read_bytes() != b"not a pickle"
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    assert "DescribeInstances" in sdk.CachedModelLoader(blocked / "cache").load_file(path)["operations"]


def test_warming_fills_the_model_cache_without_a_request(tmp_path, monkeypatch):
    monkeypatch.setenv("AWSLAB_HOME", str(tmp_path))
    monkeypatch.setattr(sdk, "_SESSIONS", {})  # a new session: its loader caches under this home
    assert sdk.warm_model_cache(("ec2", "elbv2")) == 2
    cached = list((tmp_path / "cache" / "botocore").glob("*.pickle"))
    assert len(cached) >= 4  # each service's model and endpoint rules, at least
