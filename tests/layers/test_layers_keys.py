"""The key pair: the seed's ssh-keygen / cp / import-key-pair / chmod 400 flow, idempotent, and never leaking the private key."""
import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from awslab import ValidationError
from awslab.errors import SecurityError
from awslab.layers import keys as keys_module
from awslab.layers.keys import (KeyPair, KeyPairSpec, create_key_pair, default_key_dir, delete_key_files, describe_key_pair,
                               key_fingerprint, ssh_agent_commands)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def md5_of_der(public_openssh: bytes) -> str:
    """AWS's fingerprint of an imported RSA key: openssl rsa -pubout -outform DER | openssl md5 -c."""
    der = serialization.load_ssh_public_key(public_openssh).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())


def test_key_pair_files_are_the_seeds_and_read_only(lab):
    key = create_key_pair(lab)
    assert Path(key.private_key_path).parent == default_key_dir()
    assert key.key_name == f"{lab.name}-key" and key.key_type == "rsa"
    assert key.pem_path == key.private_key_path + ".pem" and key.public_key_path == key.private_key_path + ".pub"
    assert mode(key.private_key_path) == 0o400 and mode(key.pem_path) == 0o400
    assert not mode(key.public_key_path) & 0o022
    private = Path(key.private_key_path).read_bytes()
    # The marker is split so no tracked file contains a whole PRIVATE KEY header (the pre-stop secret scan).
    assert private.startswith(b"-----BEGIN OPENSSH " + b"PRIVATE KEY-----") and Path(key.pem_path).read_bytes() == private
    loaded = serialization.load_ssh_private_key(private, password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey) and loaded.key_size == 2048
    public = Path(key.public_key_path).read_bytes().strip()
    assert public.startswith(b"ssh-rsa AAAA") and len(public.split()) == 2  # -C "": no comment
    assert public == loaded.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)


def test_key_pair_fingerprint_matches_ec2_and_the_local_key(lab):
    key = create_key_pair(lab)
    pair = lab.client("ec2").describe_key_pairs(KeyNames=[key.key_name], IncludePublicKey=True)["KeyPairs"][0]
    public = Path(key.public_key_path).read_bytes()
    assert pair["KeyPairId"] == key.key_pair_id and pair["KeyType"] == "rsa"
    assert pair["KeyFingerprint"] == key.key_fingerprint == md5_of_der(public) == key_fingerprint(public)
    assert pair["PublicKey"].split()[1] == public.split()[1].decode()
    tags = {t["Key"]: t["Value"] for t in pair["Tags"]}
    assert tags == {"Name": key.key_name, "awslab:lab": lab.name, "awslab:layer": "keys"}


def test_key_pair_ed25519(lab):
    key = create_key_pair(lab, KeyPairSpec(key_type="ed25519"))
    public = Path(key.public_key_path).read_bytes()
    assert public.startswith(b"ssh-ed25519 AAAA") and key.key_type == "ed25519"
    pair = lab.client("ec2").describe_key_pairs(KeyNames=[key.key_name])["KeyPairs"][0]
    digest = hashlib.sha256(base64.b64decode(public.split()[1])).digest()
    der = serialization.load_ssh_public_key(public.strip()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    # AWS documents the base64 SHA-256 of the SSH key (as OpenSSH prints it); moto 5.2 gives the hex SHA-256 of the DER key.
    spellings = {base64.b64encode(digest).decode(), base64.b64encode(digest).decode().rstrip("="),
                 ":".join(f"{b:02x}" for b in hashlib.sha256(der).digest())}
    assert pair["KeyType"] == "ed25519" and pair["KeyFingerprint"] == key.key_fingerprint
    assert key.key_fingerprint in spellings and key_fingerprint(public) in spellings
    assert mode(key.private_key_path) == mode(key.pem_path) == 0o400


def test_key_pair_second_run_reuses_everything(lab):
    first = create_key_pair(lab)
    private = Path(first.private_key_path).read_bytes()
    second = create_key_pair(lab)
    assert first.created == [first.key_pair_id] and second.created == []
    assert (second.key_pair_id, second.key_fingerprint) == (first.key_pair_id, first.key_fingerprint)
    assert Path(second.private_key_path).read_bytes() == private
    assert len(lab.client("ec2").describe_key_pairs(Filters=lab.lab_filters())["KeyPairs"]) == 1


def test_key_pair_in_ec2_without_local_private_key_is_refused(lab):
    key = create_key_pair(lab)
    delete_key_files(lab)
    with pytest.raises(SecurityError) as e:
        create_key_pair(lab)
    assert "cannot be recovered from AWS" in str(e.value) and "delete-key-pair" in str(e.value)
    assert not Path(key.private_key_path).exists() and not Path(key.pem_path).exists()
    assert describe_key_pair(lab)["KeyPairId"] == key.key_pair_id


def test_key_pair_that_does_not_match_the_local_key_is_refused(lab):
    key = create_key_pair(lab)
    ec2 = lab.client("ec2")
    ec2.delete_key_pair(KeyName=key.key_name)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    ec2.import_key_pair(KeyName=key.key_name, PublicKeyMaterial=other.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH))
    with pytest.raises(SecurityError) as e:
        create_key_pair(lab)
    assert "does not match" in str(e.value)


def test_key_pair_local_key_is_imported_again_when_ec2_lost_it(lab):
    first = create_key_pair(lab)
    lab.client("ec2").delete_key_pair(KeyName=first.key_name)
    again = create_key_pair(lab)
    assert again.created == [again.key_pair_id] and again.key_pair_id != first.key_pair_id
    assert again.key_fingerprint == first.key_fingerprint  # the same local key, imported again


def test_key_pair_private_key_is_restored_from_its_pem_copy(lab):
    key = create_key_pair(lab)
    pem = Path(key.pem_path).read_bytes()
    os.unlink(key.private_key_path)
    again = create_key_pair(lab)
    assert again.created == [] and Path(key.private_key_path).read_bytes() == pem and mode(key.private_key_path) == 0o400


def test_key_pair_private_key_never_world_readable_even_briefly(lab, monkeypatch):
    seen = []
    real_chmod = os.chmod

    def watching_chmod(path, new_mode, *args, **kwargs):
        if os.path.exists(path):
            seen.append((str(path), stat.S_IMODE(os.stat(path).st_mode)))
        return real_chmod(path, new_mode, *args, **kwargs)

    monkeypatch.setattr(keys_module.os, "chmod", watching_chmod)
    old_umask = os.umask(0)  # a careless umask: only os.open's mode keeps the file private
    try:
        key = create_key_pair(lab)
    finally:
        os.umask(old_umask)
    secrets = [m for p, m in seen if p in (key.private_key_path, key.pem_path)]
    assert len(secrets) == 2 and all(m & 0o077 == 0 for m in secrets)


def test_key_pair_never_shows_the_private_key(lab, capsys, caplog):
    key = create_key_pair(lab)
    private = Path(key.private_key_path).read_text()
    body = private.splitlines()[3]  # a line from the middle of the key
    shown = [repr(key), str(key), key._repr_html_(), lab.cli_log().script(), lab.cli_log()._repr_html_(), capsys.readouterr().out,
             capsys.readouterr().err, caplog.text, " ".join(ssh_agent_commands(key, "203.0.113.10", "10.0.11.5"))]
    for text in shown:
        assert "PRIVATE KEY" not in text and body not in text


def test_key_pair_cli_log_is_the_seeds_commands(lab):
    key = create_key_pair(lab)
    lines = lab.cli_log().script().splitlines()
    path, name = key.private_key_path, key.key_name
    expected = [f'ssh-keygen -t rsa -b 2048 -C "" -f "{path}" -N ""', f"cp {path} {path}.pem",
                f'aws ec2 import-key-pair --key-name "{name}" --public-key-material fileb://{path}.pub',
                f"chmod 400 {path}", f"chmod 400 {path}.pem"]
    found = [next(i for i, line in enumerate(lines) if line.startswith(e)) for e in expected]
    assert found == sorted(found)
    assert f"KEY_NAME={name}" in lines


def test_delete_key_files_removes_the_three_files(lab):
    key = create_key_pair(lab)
    deleted = delete_key_files(lab, key.key_name)
    assert sorted(deleted) == sorted([key.private_key_path, key.pem_path, key.public_key_path])
    assert not any(Path(p).exists() for p in deleted)
    assert delete_key_files(lab, key.key_name) == []


def test_describe_key_pair_is_a_probe(lab):
    assert describe_key_pair(lab) is None
    key = create_key_pair(lab, KeyPairSpec(key_name=f"{lab.name}-probe"))
    assert describe_key_pair(lab, key.key_name)["KeyFingerprint"] == key.key_fingerprint
    assert describe_key_pair(lab) is None


def test_key_pair_key_dir_can_be_elsewhere(lab, tmp_path):
    key = create_key_pair(lab, KeyPairSpec(key_dir=tmp_path / "ssh"))
    assert Path(key.private_key_path).parent == tmp_path / "ssh" and mode(key.private_key_path) == 0o400
    assert delete_key_files(lab, key.key_name, key_dir=tmp_path / "ssh")


def test_teardown_deletes_key_files_in_a_custom_key_dir(lab, tmp_path):
    key = create_key_pair(lab, KeyPairSpec(key_dir=tmp_path / "ssh"))
    files = [Path(key.private_key_path), Path(key.pem_path), Path(key.public_key_path)]
    assert all(f.is_file() for f in files)
    report = lab.teardown()
    assert not any(f.exists() for f in files)
    assert {str(f) for f in files} <= {d.resource_id for d in report.deleted if d.service == "local"}
    assert describe_key_pair(lab, key.key_name) is None


def test_ssh_agent_commands_keep_the_key_off_the_bastion():
    key = KeyPair("k", "key-1", "aa", "rsa", "/keys/k", "/keys/k.pem", "/keys/k.pub")
    agent = ssh_agent_commands(key, "203.0.113.10", "10.0.11.5")
    assert agent == ["eval $(ssh-agent)", "ssh-add /keys/k", "ssh -A ec2-user@203.0.113.10", "ssh ec2-user@10.0.11.5"]
    jump = ssh_agent_commands(key, "203.0.113.10", "10.0.11.5", proxy_jump=True)
    assert jump[-1] == "ssh -J ec2-user@203.0.113.10 ec2-user@10.0.11.5"
    assert not any("scp" in c or ".pem" in c for c in agent + jump)


@pytest.mark.parametrize("field,kwargs,rule", [
    ("key_name", {"key_name": "my key"}, "letters, digits"),
    ("key_name", {"key_name": ".hidden"}, "not starting with '.'"),
    ("key_name", {"key_name": "../escape"}, "letters, digits"),
    ("key_name", {"key_name": ""}, "1 to 255"),
    ("key_name", {"key_name": "k" * 256}, "1 to 255"),
    ("key_type", {"key_type": "dsa"}, "'rsa', 'ed25519'"),
])
def test_key_pair_rejects_bad_input_before_creating_anything(lab, tmp_path, field, kwargs, rule):
    with pytest.raises(ValidationError) as e:
        create_key_pair(lab, KeyPairSpec(key_dir=tmp_path / "keys", **kwargs))
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert lab.client("ec2").describe_key_pairs(Filters=lab.lab_filters())["KeyPairs"] == []
    assert not (tmp_path / "keys").exists()
