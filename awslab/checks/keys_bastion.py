"""Lab 03, a key pair and a bastion host: the seed's key flow and the one machine you may SSH to from outside.

Key pairs: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/create-key-pairs.html (EC2 keeps only the
public half; it imports RSA and ED25519 keys). The bastion's rules: SSH from your own address only, and the
app servers take SSH from the bastion's group only
(https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).

Two checks also read your own files, and say so: 03.1 compares EC2's fingerprint with your local public
key, 03.2 reads the private key files' permissions. Everything else reads only AWS APIs.
"""
from __future__ import annotations

import ipaddress
import stat
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ..i18n import N_, _
from ..layers.keys import default_key_dir, fingerprint_matches
from .network import _azs
from .probes import LAB_TAG, by_name, lab_instances, lab_items, label, name_of, tags_of
from .registry import not_yet, ok, question, task
from .security_groups import _only_from_group, cidrs, group, rules, sources

#: The seed's ``chmod 400``: read-only, and for the owner alone.
KEY_MODE = 0o400
#: On the embedded cloud, 127.0.0.1 plays "your machine on the internet" (awslab.dataplane.addresses.INTERNET).
EMBEDDED_ADMIN_IP = "127.0.0.1"


def key_name(lab: Any) -> str:
    return f"{lab.name}-key"


def key_path(lab: Any) -> Path:
    """Where the lab keeps the private key: ``$AWSLAB_HOME/keys/<lab>-key`` (teardown deletes it there)."""
    return default_key_dir() / key_name(lab)


def _import_command(lab: Any) -> str:
    name = key_name(lab)
    return (f"aws ec2 import-key-pair --key-name {name} --public-key-material fileb://{key_path(lab)}.pub "
            f"--tag-specifications 'ResourceType=key-pair,Tags=[{{Key=Name,Value={name}}},"
            f"{{Key=awslab:lab,Value={lab.name}}}]'")


def the_key_pair(lab: Any) -> dict:
    """EC2's record of ``<lab>-key`` (with its public key), or a not-yet saying how to import it."""
    name = key_name(lab)
    try:
        pairs = lab.client("ec2").describe_key_pairs(KeyNames=[name], IncludePublicKey=True)["KeyPairs"]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "InvalidKeyPair.NotFound":
            raise
        pairs = []
    if not pairs:
        raise not_yet(_("EC2 has no key pair named {name} yet (task 03.1).").format(name=name), _import_command(lab))
    return pairs[0]


@task("03.1", N_("Make the key pair with ssh-keygen and import its public half into EC2"))
def key_pair(lab: Any) -> Any:
    kp = the_key_pair(lab)
    name, kid, fp = kp["KeyName"], kp["KeyPairId"], kp.get("KeyFingerprint", "")
    if tags_of(kp).get(LAB_TAG) != lab.name:
        raise not_yet(_("{pair} has no tag awslab:lab={lab}, so the later labs and the lab's teardown cannot find it.").format(
            pair=label(kid, name), lab=lab.name),
            f"aws ec2 create-tags --resources {kid} --tags Key=Name,Value={name} Key=awslab:lab,Value={lab.name}")
    found = [label(kid, name), f"KeyFingerprint {fp}"]
    pub = Path(f"{key_path(lab)}.pub")
    if not pub.exists():
        return ok(_("EC2 holds {pair} ({kind}, fingerprint {fp}). There is no public key file {file} on this machine to "
                    "compare it with (this part of the check reads your own files).").format(
            pair=name, kind=kp.get("KeyType", "rsa"), fp=fp, file=pub), found)
    if not fingerprint_matches(pub.read_bytes(), fp):
        raise not_yet(_("EC2's {pair} is not your local key {file} (this part of the check read your own file): EC2's "
                        "fingerprint is {fp}. Servers launched with it would refuse your private key. Delete the key "
                        "pair and import your public key again.").format(pair=name, file=pub, fp=fp),
                      f"aws ec2 delete-key-pair --key-name {name}\n{_import_command(lab)}")
    return ok(_("EC2 holds {pair} ({kind}, fingerprint {fp}), and it is the public half of your local key {file} "
                "(this part of the check read your own file).").format(
        pair=name, kind=kp.get("KeyType", "rsa"), fp=fp, file=pub), found)


@task("03.2", N_("Make the private key readable by you alone (chmod 400)"))
def key_permissions(lab: Any) -> Any:
    private = key_path(lab)
    if not private.exists():
        raise not_yet(_("There is no private key at {file} yet: task 03.1 makes it with ssh-keygen. (This check reads "
                        "your own files, not AWS.)").format(file=private),
                      f'ssh-keygen -t rsa -b 2048 -C "" -f {private} -N ""')
    found = []
    for path in (private, Path(f"{private}.pem")):
        if not path.exists():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        found.append(f"{path}  {mode:04o}")
        if mode & 0o077:
            raise not_yet(_("{file} has mode {mode:04o}: others on this machine may read (or change) it. ssh refuses "
                            "such a key ('UNPROTECTED PRIVATE KEY FILE').").format(file=path, mode=mode),
                          f"chmod 400 {path}", found)
        if mode != KEY_MODE:
            raise not_yet(_("{file} has mode {mode:04o}: yours alone, but you can still write it. The seed's chmod 400 "
                            "makes it read-only, so nothing overwrites the one copy of your key by accident.").format(
                file=path, mode=mode), f"chmod 400 {path}", found)
    return ok(_("Your private key files are 0400: readable by you, by nobody else, and not writable (this check read "
                "your own files)."), found)


def _admin_cidr_problem(lab: Any, g: dict, open_to: list[str]) -> tuple[str, str] | None:
    """The first thing wrong with who may SSH to the bastion: (message, fix), or None."""
    gid, gname = g["GroupId"], g.get("GroupName", "")
    me = EMBEDDED_ADMIN_IP if lab.backend == "embedded" else None
    want = f"{me or '<your public IP>'}/32"
    for cidr in open_to:
        net = ipaddress.ip_network(cidr, strict=False)
        if net.prefixlen == 32 and (me is None or str(net.network_address) == me):
            continue
        fix = (f"aws ec2 revoke-security-group-ingress --group-id {gid} --protocol tcp --port 22 --cidr {cidr}\n"
               f"aws ec2 authorize-security-group-ingress --group-id {gid} --protocol tcp --port 22 --cidr {want}")
        if net.prefixlen == 0:
            return _("{group} admits SSH from {cidr}: the whole internet. Bots try port 22 around the clock with stolen "
                     "and weak keys. Admit your own address alone, {want}.").format(
                group=label(gid, gname), cidr=cidr, want=want), fix
        if net.prefixlen < 32:
            return _("{group} admits SSH from {cidr}: {n} addresses. Admit your own address alone, as a /32 ({want}).").format(
                group=label(gid, gname), cidr=cidr, n=f"{net.num_addresses:,}", want=want), fix
        return _("{group} admits SSH from {cidr}, but on the embedded cloud you are {me}: your own SSH would time "
                 "out.").format(group=label(gid, gname), cidr=cidr, me=me), fix
    return None


@task("03.3", N_("The bastion's security group: SSH from your address only, and the app servers' SSH from the bastion only"))
def bastion_group(lab: Any) -> Any:
    g = group(lab, "bastion", "03.3")
    gid, gname = g["GroupId"], g["GroupName"]
    me = EMBEDDED_ADMIN_IP if lab.backend == "embedded" else "<your public IP>"
    perms = rules(g, 22)
    open_to = cidrs(perms)
    if not open_to:
        fix = f"aws ec2 authorize-security-group-ingress --group-id {gid} --protocol tcp --port 22 --cidr {me}/32"
        via = sources(perms)
        if via:
            raise not_yet(_("{group} admits SSH (22) from the group(s) {groups}, not from an address. You come from "
                            "your own address: admit {me}/32.").format(group=label(gid, gname), groups=", ".join(via),
                                                                     me=me), fix)
        raise not_yet(_("{group} does not admit SSH (22) from your address yet.").format(group=label(gid, gname)), fix)
    problem = _admin_cidr_problem(lab, g, open_to)
    if problem:
        raise not_yet(*problem)
    extra = sorted({p.get("FromPort") for p in g.get("IpPermissions", []) if p.get("FromPort") != 22}, key=str)
    if extra:
        raise not_yet(_("{group} also opens port(s) {ports}; a bastion needs SSH (22) and nothing else (least "
                        "privilege).").format(group=label(gid, gname), ports=", ".join(map(str, extra))),
                      f"aws ec2 revoke-security-group-ingress --group-id {gid} --protocol tcp --port {extra[0]} "
                      f"--cidr <the rule's CIDR>")
    app = group(lab, "app", "02.2")
    found = [f"{label(gid, gname)}: 22 ← {', '.join(open_to)}"] + _only_from_group(lab, app, 22, g, "bastion")
    return ok(_("{group} admits SSH only from {cidrs}, and {app} admits SSH only from {group}.").format(
        group=gname, cidrs=", ".join(open_to), app=app["GroupName"]), found)


def _public_subnet_a(lab: Any) -> dict:
    name = f"{lab.name}-public-{_azs(lab)[0][-1]}"
    found = by_name(lab_items(lab, "describe_subnets", "Subnets"), name)
    if not found:
        raise not_yet(_("Task 01.2 is not done yet: this needs the subnet {name}.").format(name=name),
                      _("Do task 01.2 first, then run this check again."))
    return found[0]


@task("03.4", N_("Launch the bastion in public subnet a, with the key pair, its group and a public IP"))
def bastion(lab: Any) -> Any:
    name = f"{lab.name}-bastion"
    mine = by_name(lab_instances(lab), name)
    if not mine:
        raise not_yet(_("No instance named {name} is running yet.").format(name=name),
                      f"aws ec2 run-instances --image-id <AL2023 AMI> --instance-type t3.micro --key-name {key_name(lab)} "
                      f"--subnet-id <{lab.name}-public-a> --security-group-ids <{lab.name}-bastion-sg> "
                      f"--tag-specifications 'ResourceType=instance,Tags=[{{Key=Name,Value={name}}},"
                      f"{{Key=awslab:lab,Value={lab.name}}}]'")
    if len(mine) > 1:
        raise not_yet(_("There are {n} bastions ({ids}); one is enough. Terminate the others.").format(
            n=len(mine), ids=", ".join(i["InstanceId"] for i in mine)),
            "aws ec2 terminate-instances --instance-ids " + " ".join(i["InstanceId"] for i in mine[1:]))
    i = mine[0]
    iid = i["InstanceId"]
    subnet = _public_subnet_a(lab)
    if i.get("SubnetId") != subnet["SubnetId"]:
        raise not_yet(_("{instance} is in {got}; the bastion belongs in {want}, a public subnet: the one place the "
                        "internet (you) can reach.").format(instance=iid, got=i.get("SubnetId"), want=name_of(subnet)),
                      f"aws ec2 terminate-instances --instance-ids {iid}")
    if i.get("KeyName") != key_name(lab):
        raise not_yet(_("{instance} was launched with the key pair {got}, not {want}. EC2 installs the public key at the "
                        "first boot only, so launch it again with the right one.").format(
            instance=iid, got=i.get("KeyName") or _("no key pair"), want=key_name(lab)),
            f"aws ec2 terminate-instances --instance-ids {iid}")
    groups = {g["GroupId"]: g.get("GroupName", "") for g in i.get("SecurityGroups", [])}
    want_group = group(lab, "bastion", "03.3")
    if set(groups) != {want_group["GroupId"]}:
        raise not_yet(_("{instance} carries the group(s) {got}; a bastion carries {want} alone, so that SSH from your "
                        "address is all that reaches it.").format(
            instance=iid, got=", ".join(f"{v} ({k})" for k, v in groups.items()), want=want_group["GroupName"]),
            f"aws ec2 modify-instance-attribute --instance-id {iid} --groups {want_group['GroupId']}")
    if i["State"]["Name"] != "running":
        raise not_yet(_("{instance} is still {state}: an instance takes some seconds to boot. Wait for it.").format(
            instance=iid, state=i["State"]["Name"]), "ec2.get_waiter('instance_running').wait(InstanceIds=[...])")
    if not i.get("PublicIpAddress"):
        raise not_yet(_("{instance} has no public IP address, so nothing on the internet, you included, can reach it. "
                        "Launch it in a subnet that maps public IPs on launch (lab 01), or ask for one with "
                        "NetworkInterfaces=[{{..., 'AssociatePublicIpAddress': True}}].").format(instance=iid),
                      f"aws ec2 terminate-instances --instance-ids {iid}")
    return ok(_("{instance} is running in {subnet} ({az}) with the public IP {ip}, the key pair {key} and the group "
                "{group}.").format(instance=iid, subnet=name_of(subnet), az=subnet["AvailabilityZone"],
                                   ip=i["PublicIpAddress"], key=i["KeyName"], group=want_group["GroupName"]),
              [label(iid, name), f"{i.get('PrivateIpAddress')} / {i['PublicIpAddress']}"])


question("03.q1", N_("The bastion sits in a public subnet. Should it hold your .pem, so that you can SSH from it to the "
                     "app servers?"),
         [N_("Yes: copy it there with scp; SSH encrypts everything anyway."),
          N_("No: the key stays on your PC, held in memory by ssh-agent; the bastion only passes the agent's signature "
             "requests back to you (ssh -A), or only relays the connection (ssh -J)."),
          N_("Yes, if you chmod 400 it on the bastion."),
          N_("No: the app servers need no key at all.")],
         answer=1,
         why=N_("The bastion is the most exposed machine you have: it faces the internet. Whoever broke into it would "
                "find a copied .pem and hold the key to every app server. With an agent the private key never leaves "
                "your PC (the seed: 'SSH Agent: the private key is kept in the client PC's memory, not in a file'); "
                "ssh -J is safer still, because no agent is forwarded to the bastion at all."),
         hints={0: N_("SSH encrypts the connection; a copied key file is readable by whoever gets onto the bastion."),
                2: N_("chmod keeps other users out; someone who gains root on the bastion reads any file."),
                3: N_("They do: EC2 installs the key pair's public key on every instance launched with it.")})

question("03.q2", N_("ssh-keygen leaves the private key at mode 0600. Why does the seed still run chmod 400?"),
         [N_("0400 encrypts the key file."),
          N_("EC2 checks the mode when you import the key pair."),
          N_("0400 keeps the key yours and makes it read-only, so the one copy is not overwritten by mistake; and ssh "
             "refuses any key that others can read."),
          N_("ssh needs to execute the key file.")],
         answer=2,
         why=N_("OpenSSH ignores a private key whose mode lets group or others read it (you saw 'bad permissions'). "
                "0600 would satisfy ssh; 0400 also protects the only copy from being overwritten, and AWS's own guide "
                "says chmod 400 key-pair-name.pem."),
         hints={0: N_("Permissions encrypt nothing; a passphrase (ssh-keygen -N) would."),
                1: N_("import-key-pair reads only the public key; the private key never leaves your machine."),
                3: N_("ssh reads the key; nobody executes it.")})

question("03.q3", N_("SSH needs your private key anyway. Why admit port 22 from your address alone, and not from "
                     "0.0.0.0/0?"),
         [N_("AWS does not allow 0.0.0.0/0 on port 22."),
          N_("Defence in depth: from anywhere else a connection cannot even start, so a leaked key or a flaw in the SSH "
             "server is not enough on its own."),
          N_("A /32 rule makes SSH faster."),
          N_("With 0.0.0.0/0 the load balancer could SSH in.")],
         answer=1,
         why=N_("Bots scan port 22 around the clock. With 22 open to your address alone, nobody else reaches the SSH "
                "server at all: two locks (the group and the key) instead of one. The seed's layered security, applied "
                "to the admin path."),
         hints={0: N_("AWS allows it (and warns about it); the lab's check refuses it."),
                3: N_("The load balancer never opens SSH connections; but bots on the internet do.")})
