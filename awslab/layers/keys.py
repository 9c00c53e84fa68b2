"""Layer 3, the key pair: how you prove who you are to an EC2 instance over SSH.

A key pair is two halves. The **private key** stays on your machine, readable by
you alone (``chmod 400``; ``ssh`` refuses a key others can read). The **public
key** is given to AWS (``import-key-pair``) and placed by EC2 in
``~/.ssh/authorized_keys`` of every instance launched with ``--key-name``.
AWS keeps only the public half, so **a lost private key cannot be recovered from
AWS**: you make a new pair.

The seed makes its keys by hand, and this module does exactly the same:

.. code-block:: bash

    ssh-keygen -t rsa -b 2048 -C "" -f ~/.ssh/NAME -N ""   # RSA 2048, no passphrase
    cp ~/.ssh/NAME ~/.ssh/NAME.pem                          # a .pem copy (optional)
    aws ec2 import-key-pair --key-name "NAME" --public-key-material fileb://~/.ssh/NAME.pub
    chmod 400 ~/.ssh/NAME
    chmod 400 ~/.ssh/NAME.pem

The seed keeps keys in ``~/.ssh``; awslab keeps lab keys apart from your own,
in ``config.home()/keys`` (``~/.awslab/keys``). Set ``KeyPairSpec(key_dir=...)``
to ``~/.ssh`` if you prefer the seed's place.

Nothing here ever prints or logs a private key: :class:`KeyPair` holds *paths*.
"""
from __future__ import annotations

import base64
import hashlib
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from .. import config
from ..errors import SecurityError, ValidationError, translate
from ..lab import Lab
from . import spec_types, validate
from ._base import Built, call, cli_tags, tag_spec
from ..i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from .bastion import Bastion

LAYER = "keys"
__all__ = ["KeyPairSpec", "KeyPair", "create_key_pair", "describe_key_pair", "delete_key_files", "ssh_agent_commands",
           "key_fingerprint", "fingerprint_matches", "default_key_dir", "local_key_files"]

#: RSA keys are 2048 bits, as the seed's ``ssh-keygen -b 2048`` (the key types EC2 imports: validate.KEY_TYPES).
KEY_TYPES = validate.KEY_TYPES
RSA_BITS = 2048


def default_key_dir() -> Path:
    """Where lab keys live: ``config.home()/keys``, apart from your own keys in ``~/.ssh``."""
    return config.home() / "keys"


@dataclass
class KeyPairSpec:
    """``key_name`` defaults to ``<lab>-key``; ``key_type`` is "rsa" (the seed's) or "ed25519".

    ``key_type`` applies to a *new* key: an existing local key of that name is
    reused whatever its type (the result's ``key_type`` says which it is).
    ``key_dir`` defaults to ``config.home()/"keys"``; point it at ``~/.ssh`` to
    do exactly what the seed does.
    """

    key_name: str | None = None
    key_type: str = "rsa"
    key_dir: str | Path | None = None


@dataclass
class KeyPair(Built):
    """The key pair in EC2 and where its files are. Holds paths only, never key material."""

    key_name: str
    key_pair_id: str
    key_fingerprint: str
    key_type: str
    private_key_path: str
    pem_path: str
    public_key_path: str
    created: list[str] = field(default_factory=list)


def check_spec(lab: Lab, spec: KeyPairSpec | None) -> KeyPairSpec:
    """Check the spec before any call or file write; return it with its defaults."""
    spec = spec_types.spec(spec, KeyPairSpec, "keys")
    validate_spec(lab, spec)
    return spec


def validate_spec(lab: Lab, spec: KeyPairSpec | None) -> tuple[str, Path]:
    """Check the spec before any call or file write; return the key name and the folder for its files."""
    spec = spec_types.spec(spec, KeyPairSpec, "keys")
    name = validate.KEY_NAME.check("key_name", spec.key_name if spec.key_name is not None else lab.resource_name("key"))
    validate.one_of("key_type", spec.key_type, KEY_TYPES, "Use key_type='rsa' (the seed's choice) or key_type='ed25519'.")
    if isinstance(spec.key_dir, str) and not spec.key_dir.strip():
        raise ValidationError("key_dir", spec.key_dir, _("it is an empty folder name"), _("Leave key_dir=None for ~/.awslab/keys."))
    return name, Path(spec.key_dir).expanduser() if spec.key_dir else default_key_dir()



def create_key_pair(lab: Lab, spec: KeyPairSpec | None = None) -> KeyPair:
    """Ensure a local key pair whose public half is imported into EC2 (the seed's key flow).

    Reuses what exists when the halves match; refuses (``SecurityError``) when EC2
    has the key but the private key file is gone, or when they do not match.
    """
    spec = spec_types.spec(spec, KeyPairSpec, "keys")
    name, key_dir = validate_spec(lab, spec)
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path, pem_path, pub_path = key_dir / name, key_dir / f"{name}.pem", key_dir / f"{name}.pub"
    existing = describe_key_pair(lab, name)
    private = _load_local(private_path, pem_path)
    if existing and private is None:
        raise SecurityError(
            _("The key pair {name!r} exists in EC2, but its private key file {private_path} is missing. AWS "
              "keeps only the public half, so the private key cannot be recovered from AWS.").format(
                  name=name, private_path=private_path),
            _("Delete the key pair (aws ec2 delete-key-pair --key-name {name}) and run this again, or pick "
              "another name with KeyPairSpec(key_name=...).").format(name=name))
    created: list[str] = []
    if private is None:
        private = _generate(spec.key_type)
    public = _public_openssh(private)
    if existing:
        _check_match(name, existing, public, private_path)
    _write_files(private, public, private_path, pem_path, pub_path)
    if existing:
        key_pair_id, fingerprint = existing["KeyPairId"], existing["KeyFingerprint"]
    else:
        result = call(lab.client("ec2").import_key_pair, _("importing the public key {name!r}").format(
            name=name), error=SecurityError, KeyName=name,
                      PublicKeyMaterial=public, TagSpecifications=tag_spec(lab.tags(name, LAYER), "key-pair"))
        key_pair_id, fingerprint = result["KeyPairId"], result["KeyFingerprint"]
        created.append(key_pair_id)
    _record(lab, name, _key_type(private), private_path, pem_path, pub_path)
    _remember_key_dir(lab, name, key_dir)
    return KeyPair(name, key_pair_id, fingerprint, _key_type(private), str(private_path), str(pem_path), str(pub_path), created)


PrivateKey = Any  # rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def _generate(key_type: str) -> PrivateKey:
    """A new key, as ``ssh-keygen -t rsa -b 2048`` (or ``-t ed25519``) makes it."""
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def _key_type(private: PrivateKey) -> str:
    return "ed25519" if isinstance(private, ed25519.Ed25519PrivateKey) else "rsa"


def _private_bytes(private: PrivateKey) -> bytes:
    # OpenSSH's own format ("BEGIN OPENSSH PRIVATE KEY"), ssh-keygen's default since OpenSSH 7.8; -N "" means no passphrase.
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())


def _public_openssh(private: PrivateKey) -> bytes:
    """``ssh-rsa AAAA...`` / ``ssh-ed25519 AAAA...`` with no comment (the seed's ``-C ""``)."""
    return private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)


def _load_local(private_path: Path, pem_path: Path) -> PrivateKey | None:
    """The local private key, from the key file or else its .pem copy; None if neither exists."""
    for path in (private_path, pem_path):
        if path.exists():
            data = path.read_bytes()
            for loader in (serialization.load_ssh_private_key, serialization.load_pem_private_key):
                try:
                    key = loader(data, password=None)
                except (ValueError, TypeError):
                    continue
                if isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
                    return key
            raise SecurityError(_("{path} is not an unencrypted RSA or ED25519 private key awslab can read.").format(
                path=path),
                                _("Move the file away, or pick another key name with KeyPairSpec(key_name=...)."))
    return None


def _write_secret(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file that is never readable by others, then make it read-only (0400)."""
    if path.exists():
        if path.read_bytes() == data:
            os.chmod(path, 0o400)
            return
        raise SecurityError(_("{path} holds a different private key than its twin file.").format(path=path),
                            _("Remove whichever of {name} and its copy is stale, or pick another key name.").format(
                                name=path.name))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, 0o400)


def _write_files(private: PrivateKey, public: bytes, private_path: Path, pem_path: Path, pub_path: Path) -> None:
    """The key file and its .pem copy (0400 both) and ``<name>.pub`` (public, 0644 as ssh-keygen leaves it)."""
    data = private_path.read_bytes() if private_path.exists() else (pem_path.read_bytes() if pem_path.exists() else _private_bytes(private))
    _write_secret(private_path, data)
    _write_secret(pem_path, data)
    if not pub_path.exists() or pub_path.read_bytes().split()[:2] != public.split()[:2]:
        pub_path.unlink(missing_ok=True)
        pub_path.write_bytes(public + b"\n")
        os.chmod(pub_path, 0o644)


def key_fingerprint(public_openssh: bytes | str) -> str:
    """The fingerprint EC2 shows for an *imported* public key.

    RSA: the MD5 of the DER-encoded public key, as ``openssl rsa -pubout -outform DER | openssl md5 -c``;
    ED25519: the base64 SHA-256, as OpenSSH prints it
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/verify-keys.html).
    """
    return _fingerprints(public_openssh)[0]


def fingerprint_matches(public_openssh: bytes | str, fingerprint: str) -> bool:
    """Is ``fingerprint`` (as DescribeKeyPairs shows it) the fingerprint of this public key?"""
    return fingerprint in _fingerprints(public_openssh)


def _fingerprints(public_openssh: bytes | str) -> list[str]:
    """Every spelling of the key's fingerprint an EC2 API might use, the documented one first."""
    raw = public_openssh.encode() if isinstance(public_openssh, str) else public_openssh
    key = serialization.load_ssh_public_key(b" ".join(raw.split()[:2]))
    if isinstance(key, rsa.RSAPublicKey):
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        blob = base64.b64decode(raw.split()[1])
        # The EC2 guide's openssl recipe (MD5 of the DER key) first; the API reference cites RFC 4716 (MD5 of the SSH blob).
        return [":".join(f"{b:02x}" for b in hashlib.md5(data).digest()) for data in (der, blob)]
    b64 = base64.b64encode(hashlib.sha256(base64.b64decode(raw.split()[1])).digest()).decode()
    # AWS: base64 SHA-256 of the SSH key blob (with or without '=' padding); moto 5.2: hex SHA-256 of the DER key.
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return [b64.rstrip("="), b64, ":".join(f"{b:02x}" for b in hashlib.sha256(der).digest())]


def _check_match(name: str, existing: dict, public: bytes, private_path: Path) -> None:
    """Refuse to reuse an EC2 key pair whose public half is not our private key's."""
    if existing.get("PublicKey"):
        same = existing["PublicKey"].split()[1:2] == public.decode().split()[1:2]
    else:
        same = existing.get("KeyFingerprint") in _fingerprints(public)
    if not same:
        raise SecurityError(
            _("The key pair {name!r} in EC2 does not match the private key {private_path} (EC2's fingerprint "
              "{ec2}, the local key's {local}).").format(
                  name=name, private_path=private_path, ec2=existing.get('KeyFingerprint'), local=key_fingerprint(public)),
            _("Pick another name with KeyPairSpec(key_name=...), or delete the EC2 key pair (aws ec2 "
              "delete-key-pair --key-name {name}) so the local key is imported again.").format(name=name))


def _record(lab: Lab, name: str, key_type: str, private_path: Path, pem_path: Path, pub_path: Path) -> None:
    """The seed's five commands, word for word (plus KEY_NAME for later steps)."""
    q = shlex.quote
    bits = f" -b {RSA_BITS}" if key_type == "rsa" else ""
    lab.record(f"keys/{name}/name", f"KEY_NAME={q(name)}", _("The key pair: made locally, public half imported into EC2"))
    lab.record(f"keys/{name}/keygen", f'ssh-keygen -t {key_type}{bits} -C "" -f "{private_path}" -N ""',
               _("An {upper} key pair with no passphrase (the private key never leaves this machine)").format(upper=key_type.upper()))
    lab.record(f"keys/{name}/pem", f"cp {q(str(private_path))} {q(str(pem_path))}", _("A .pem copy of the private key (optional)"))
    tags = lab.tags(name, LAYER)
    lab.record(f"keys/{name}/import", f'aws ec2 import-key-pair --key-name "{name}" --public-key-material fileb://{q(str(pub_path))} '
               f"--tag-specifications {q(cli_tags('key-pair', tags))}", _("Give EC2 the public half only"))
    lab.record(f"keys/{name}/chmod-private", f"chmod 400 {q(str(private_path))}", _("Only you may read the private key"))
    lab.record(f"keys/{name}/chmod-pem", f"chmod 400 {q(str(pem_path))}")


def describe_key_pair(lab: Lab, key_name: str | None = None) -> dict | None:
    """Probe: EC2's record of the key pair (with its public key), or None if there is none. Changes nothing."""
    from botocore.exceptions import ClientError

    name = key_name or lab.resource_name("key")
    try:
        pairs = lab.client("ec2").describe_key_pairs(KeyNames=[name], IncludePublicKey=True)["KeyPairs"]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == "InvalidKeyPair.NotFound":
            return None
        raise translate(e, _("describing the key pair {name!r}").format(name=name), cls=SecurityError) from e
    return pairs[0] if pairs else None


def _key_dirs(lab: Lab) -> dict[str, str]:
    """Key name -> the folder its files were written to (the lab's local record, for teardown)."""
    import json

    try:
        return json.loads((lab.state_dir() / "key-dirs.json").read_text())
    except (OSError, ValueError):
        return {}


def _remember_key_dir(lab: Lab, name: str, key_dir: Path) -> None:
    import json

    dirs = _key_dirs(lab)
    if dirs.get(name) != str(key_dir):
        dirs[name] = str(key_dir)
        (lab.state_dir() / "key-dirs.json").write_text(json.dumps(dirs, indent=1))


def local_key_files(lab: Lab) -> list[str]:
    """Probe: the key files this lab wrote that are still on this machine (private key, .pem, .pub). Changes nothing."""
    return [str(path) for name, where in _key_dirs(lab).items()
            for path in (Path(where) / name, Path(where) / f"{name}.pem", Path(where) / f"{name}.pub") if path.is_file()]


def delete_key_files(lab: Lab, key_name: str | None = None, key_dir: str | Path | None = None) -> list[str]:
    """Action: delete the local key file, its .pem copy and its .pub; return the paths deleted.

    Teardown calls this after deleting the EC2 key pair. Only those three files go, from
    ``key_dir`` if given, else from the folder the lab wrote them to (its local record),
    else from the default folder.
    """
    name, where = validate_spec(lab, KeyPairSpec(key_name=key_name, key_dir=key_dir))
    recorded = _key_dirs(lab)
    if key_dir is None and name in recorded:
        where = Path(recorded[name])
    deleted = []
    for path in (where / name, where / f"{name}.pem", where / f"{name}.pub"):
        if path.is_file():
            path.unlink()
            deleted.append(str(path))
    if deleted and recorded.pop(name, None) is not None:
        import json

        (lab.state_dir() / "key-dirs.json").write_text(json.dumps(recorded, indent=1))
    return deleted


def ssh_agent_commands(key: "KeyPair | str | Path", bastion: "Bastion | str", private_ip: str = "<private-ip>",
                       user: str = "ec2-user", proxy_jump: bool = False) -> list[str]:
    """The seed's section 3: reach a private instance through the bastion without copying the key there.

    The bastion sits in a public subnet, so it is the most exposed machine you
    have. If it held the ``.pem``, whoever broke into it would hold the key to
    every private instance. Instead the key stays on your machine: ``ssh-agent``
    keeps it in memory, ``ssh -A`` forwards the agent, and when you then
    ``ssh`` from the bastion to a private IP, the signature is made on your
    machine. Safer still is ``ssh -J`` (ProxyJump, ``proxy_jump=True``): the
    bastion only relays the encrypted connection, and no agent is exposed on it
    (root on the bastion can use a forwarded agent while you are connected).
    """
    host = bastion if isinstance(bastion, str) else (bastion.public_ip or "<bastion-public-ip>")
    path = str(key) if isinstance(key, (str, Path)) else key.private_key_path
    commands = ["eval $(ssh-agent)", f"ssh-add {shlex.quote(path)}"]
    if proxy_jump:
        return commands + [f"ssh -J {user}@{host} {user}@{private_ip}"]
    return commands + [f"ssh -A {user}@{host}", f"ssh {user}@{private_ip}"]
