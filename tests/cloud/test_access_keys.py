"""The student's access key file (class mode): made once, owner-only, shared by every process of one AWSLAB_HOME."""
from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from awslab.cloud import access_keys
from awslab.errors import AwslabError


def test_ensure_makes_one_key_that_every_caller_shares(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: access_keys.ensure(tmp_path), range(16)))
    assert len(keys) == 1 and keys == {access_keys.read(tmp_path)}
    path = access_keys.credentials_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and [p.name for p in path.parent.iterdir()] == ["credentials"]


def test_a_broken_key_file_is_named_with_the_fix(tmp_path):
    path = access_keys.credentials_path(tmp_path)
    path.parent.mkdir()
    path.write_text("[default]\naws_access_key_id = AKIAONLYTHEID\n")
    with pytest.raises(AwslabError) as caught:
        access_keys.ensure(tmp_path)
    assert str(path) in caught.value.problem and "Delete" in caught.value.fix


def test_class_mode_is_off_unless_asked(monkeypatch, tmp_path):
    monkeypatch.delenv(access_keys.CLASS_VARIABLE, raising=False)
    monkeypatch.setenv("AWSLAB_HOME", str(tmp_path))
    assert not access_keys.class_mode()
    assert access_keys.embedded_credentials() == {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    assert not access_keys.credentials_path(tmp_path).exists(), "off by default: no key is made"
    monkeypatch.setenv(access_keys.CLASS_VARIABLE, "1")
    assert access_keys.embedded_credentials() == access_keys.read(tmp_path).as_client_kwargs()
