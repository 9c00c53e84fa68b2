"""ACM in the embedded cloud: the lab CA signs, DNS validation issues, HTTPS listeners take only issued certificates.

https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
"""
from __future__ import annotations

import datetime
import os
import stat

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from moto import mock_aws

from awslab.cloud import labca
from awslab.cloud.moto_ext import acm as acm_patch
from awslab.cloud.moto_ext import listener_tls
from awslab.cloud.moto_ext.acm import certificate_material

REGION = "ap-northeast-2"


@pytest.fixture
def aws(monkeypatch, tmp_path):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION,
                 "AWSLAB_HOME": str(tmp_path / "home")}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    acm_patch.install()
    listener_tls.install()
    with mock_aws():
        yield {s: boto3.client(s, region_name=REGION) for s in ("acm", "route53", "elbv2", "ec2")}


def _request(acm, name="shop.example.com", sans=("www.shop.example.com",)):
    kw = {"SubjectAlternativeNames": list(sans)} if sans else {}
    return acm.request_certificate(DomainName=name, ValidationMethod="DNS", **kw)["CertificateArn"]


def _zone(r53, name, private_vpc=None):
    kw = {"VPC": {"VPCRegion": REGION, "VPCId": private_vpc}, "HostedZoneConfig": {"PrivateZone": True}} if private_vpc else {}
    return r53.create_hosted_zone(Name=name, CallerReference=name + str(private_vpc), **kw)["HostedZone"]["Id"]


def _validate(aws, arn, zone_id, only=None):
    options = aws["acm"].describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    for o in options:
        if only and o["DomainName"] != only:
            continue
        rr = o["ResourceRecord"]
        aws["route53"].change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
            "Action": "UPSERT", "ResourceRecordSet": {"Name": rr["Name"], "Type": "CNAME", "TTL": 300,
                                                      "ResourceRecords": [{"Value": rr["Value"]}]}}]})


def _status(aws, arn):
    return aws["acm"].describe_certificate(CertificateArn=arn)["Certificate"]["Status"]


def test_pending_until_every_names_validation_cname_is_in_the_public_zone_then_issued_by_the_lab_ca(aws):
    arn = _request(aws["acm"])
    cert = aws["acm"].describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "PENDING_VALIDATION" and "IssuedAt" not in cert and "NotAfter" not in cert
    with pytest.raises(ClientError) as e:
        aws["acm"].get_certificate(CertificateArn=arn)
    assert e.value.response["Error"]["Code"] == "RequestInProgressException"
    zone = _zone(aws["route53"], "shop.example.com")
    _validate(aws, arn, zone, only="shop.example.com")
    assert _status(aws, arn) == "PENDING_VALIDATION"  # www.shop.example.com is not validated yet
    _validate(aws, arn, zone)
    cert = aws["acm"].describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "ISSUED" and "IssuedAt" in cert
    assert {o["ValidationStatus"] for o in cert["DomainValidationOptions"]} == {"SUCCESS"}
    got = aws["acm"].get_certificate(CertificateArn=arn)
    leaf = x509.load_pem_x509_certificate(got["Certificate"].encode())
    ca = labca.load()
    leaf.verify_directly_issued_by(ca.certificate)
    assert got["CertificateChain"].strip() == ca.cert_pem.decode().strip()
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert sorted(sans) == ["shop.example.com", "www.shop.example.com"]
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days == labca.ACM_VALIDITY_DAYS
    assert "PRIVATE KEY" not in str(got) + str(cert)


def test_a_record_in_a_private_zone_or_in_a_parent_zone_that_delegated_the_name_does_not_validate(aws, monkeypatch):
    from moto import settings

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", -1)  # moto's own timer would have issued it at once
    arn = _request(aws["acm"], sans=())
    vpc = aws["ec2"].create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    _validate(aws, arn, _zone(aws["route53"], "shop.example.com", private_vpc=vpc))
    assert _status(aws, arn) == "PENDING_VALIDATION"
    _zone(aws["route53"], "shop.example.com")  # the public zone for the name, still without the record
    _validate(aws, arn, _zone(aws["route53"], "example.com"))  # a record in the parent zone is not what DNS answers
    assert _status(aws, arn) == "PENDING_VALIDATION"


def test_the_lab_ca_is_made_once_with_its_key_0400_in_a_0700_folder(aws, tmp_path):
    first = labca.ca_certificate_path()
    key = first.parent / "lab-ca.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o400 and stat.S_IMODE(os.stat(first.parent).st_mode) == 0o700
    labca._CACHE.clear()
    assert labca.ca_certificate_path() == first and labca.load().cert_pem == first.read_bytes()
    assert "PRIVATE" not in repr(labca.load())


def _alb(aws):
    ec2 = aws["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "c"))]
    lb = aws["elbv2"].create_load_balancer(Name="web-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    return lb


def _https(aws, lb, arn=None, **kw):
    return aws["elbv2"].create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, **(
        {"Certificates": [{"CertificateArn": arn}]} if arn else {}), **kw, DefaultActions=[{
            "Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])


def _code(fn):
    with pytest.raises(ClientError) as e:
        fn()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_https_listener_refuses_a_missing_foreign_or_pending_certificate_and_an_unknown_policy(aws):
    lb = _alb(aws)
    missing = "arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    assert _code(lambda: _https(aws, lb, missing)) == ("CertificateNotFound", f"Certificate '{missing}' not found")
    foreign = missing.replace("123456789012", "999999999999")
    assert _code(lambda: _https(aws, lb, foreign))[0] == "CertificateNotFound"
    assert _code(lambda: _https(aws, lb)) == ("ValidationError", "A certificate must be specified for HTTPS listeners")
    pending = _request(aws["acm"], sans=())
    code, message = _code(lambda: _https(aws, lb, pending))
    assert code == "UnsupportedCertificate" and pending in message
    _validate(aws, pending, _zone(aws["route53"], "shop.example.com"))
    assert _code(lambda: _https(aws, lb, pending, SslPolicy="ELBSecurityPolicy-Nope"))[0] == "SSLPolicyNotFound"
    assert aws["elbv2"].describe_listeners(LoadBalancerArn=lb)["Listeners"] == []  # none of it created anything
    listener = _https(aws, lb, pending)["Listeners"][0]
    assert listener["SslPolicy"] == "ELBSecurityPolicy-2016-08"  # AWS's default through the API (describe-ssl-policies)
    other = _request(aws["acm"], "api.example.com", sans=())
    code, _ = _code(lambda: aws["elbv2"].add_listener_certificates(
        ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": other}]))
    assert code == "UnsupportedCertificate"


def _self_signed(name, days=30):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def test_an_imported_certificate_and_key_serve_an_https_listener_and_no_answer_carries_the_key(aws):
    cert, key = _self_signed("my.example.net")
    arn = aws["acm"].import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    described = aws["acm"].describe_certificate(CertificateArn=arn)["Certificate"]
    assert described["Status"] == "ISSUED" and described["Type"] == "IMPORTED"
    lb = _alb(aws)
    _https(aws, lb, arn, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06")
    material = certificate_material(arn)
    assert material.private_key == key and material.certificate == cert and "my.example.net" in material.names
    assert "PRIVATE" not in repr(material)
    answers = str(aws["acm"].get_certificate(CertificateArn=arn)) + str(described) + str(
        aws["elbv2"].describe_listeners(LoadBalancerArn=lb))
    assert "PRIVATE KEY" not in answers


def test_of_several_public_zones_of_one_name_any_may_hold_the_record(aws, monkeypatch):
    """Route 53 allows several public zones of one name (each lab of a shared cloud has its own example.com)."""
    from moto import settings

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 10**6)
    arn = _request(aws["acm"], sans=())
    _zone(aws["route53"], "shop.example.com")
    _validate(aws, arn, aws["route53"].create_hosted_zone(Name="shop.example.com", CallerReference="second")["HostedZone"]["Id"])
    assert _status(aws, arn) == "ISSUED"
