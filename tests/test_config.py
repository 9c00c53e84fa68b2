"""awslab.config: every value that becomes part of a path is checked first."""
from __future__ import annotations

import pytest
from botocore.session import get_session

from awslab import ValidationError, config


def test_every_region_botocore_knows_is_accepted():
    regions = {r for partition in get_session().get_data("endpoints")["partitions"] for r in partition["regions"]}
    assert len(regions) > 30
    for region in regions:
        assert config.check_region(region) == region


@pytest.mark.parametrize("value", ["x/../../../elsewhere", "../ap-northeast-2", "ap-northeast-2\n", "ap-northeast-2/",
                                   "AP-NORTHEAST-2", "ap-northeast", "", " ap-northeast-2", None, 2, ["us-east-1"]])
def test_anything_else_is_refused_with_the_fix(value):
    with pytest.raises(ValidationError) as e:
        config.check_region(value, "--region")
    assert e.value.field == "--region" and "ap-northeast-2" in e.value.fix


def test_the_environment_is_checked_too(monkeypatch):
    monkeypatch.setenv("AWSLAB_REGION", "x/../../elsewhere")
    with pytest.raises(ValidationError) as e:
        config.region()
    assert e.value.field == "AWSLAB_REGION"
    monkeypatch.setenv("AWSLAB_PORT", "../9")
    with pytest.raises(ValidationError):
        config.port()


def test_a_labs_folder_is_one_segment_under_awslab_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AWSLAB_HOME", str(tmp_path))
    assert config.lab_dir("team-7", "embedded", "ap-northeast-2") == tmp_path / "labs" / "team-7-embedded-ap-northeast-2"
    for name in ("../x", "a/b", ".hidden", "x\n"):
        with pytest.raises(ValidationError):
            config.lab_dir(name, "embedded", "ap-northeast-2")
    assert not (tmp_path / "labs").exists()  # checked, never created here
