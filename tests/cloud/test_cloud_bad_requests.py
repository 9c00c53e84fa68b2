"""Malformed AWS requests get AWS's 4xx error, in the request's own protocol, and the cloud keeps serving.

Each case is one the issue found answered with ``500`` and an HTML page.
"""
from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import urlparse

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.cloud.fuzzing import Probe, auth

FORM = "application/x-www-form-urlencoded; charset=utf-8"
CREDS = {"region_name": "ap-northeast-2", "aws_access_key_id": "t", "aws_secret_access_key": "t"}


def port(url: str) -> int:
    return urlparse(url).port


def send(url: str, signing: str, body: bytes | str, content_type: str = FORM, method: str = "POST", path: str = "/",
         target: str | None = None) -> tuple[int, str, bytes]:
    headers = {**auth(signing), "Content-Type": content_type, **({"X-Amz-Target": target} if target else {})}
    return Probe(signing, method, path, headers, body.encode() if isinstance(body, str) else body).send(port(url))


def xml_code(body: bytes) -> str:
    return body.split(b"<Code>", 1)[1].split(b"</Code>", 1)[0].decode()


# (signing name, form body, status, code, the error's outer element:
#  EC2's <Response> or the query APIs' <ErrorResponse>)
QUERY_CASES = [
    ("ec2", b"\x00\xff%%%&&==garbage", 400, "MissingAction", b"<Response"),
    ("ec2", "Action=NoSuchThing&Version=2016-11-15", 400, "InvalidAction", b"<Response"),
    ("ec2", "Action=DescribeInstances&Version=2016-11-15&MaxResults=abc", 400, "InvalidParameterValue", b"<Response"),
    ("elasticloadbalancing", "Action=Nope&Version=2015-12-01", 400, "InvalidAction", b"<ErrorResponse"),
    ("elasticloadbalancing", "Action=CreateTargetGroup&Version=2015-12-01&Name=tg&Protocol=HTTP&Port=80&VpcId=vpc-1"
     "&HealthCheckIntervalSeconds=abc", 400, "ValidationError", b"<ErrorResponse"),
    ("autoscaling", "Action=DescribeAutoScalingGroups&Version=2011-01-01&MaxRecords=abc", 400, "ValidationError",
     b"<ErrorResponse"),
    ("autoscaling", "Action=AttachInstances&Version=2011-01-01", 400, "ValidationError", b"<ErrorResponse"),
    ("monitoring", "Action=PutMetricData&Version=2010-08-01&Namespace=X&MetricData.member.1.MetricName=m"
     "&MetricData.member.1.Value=abc", 400, "InvalidParameterValue", b"<ErrorResponse"),
    ("monitoring", "Action=PutMetricData&Version=2010-08-01&Namespace=X&MetricData.member.1.MetricName=m"
     "&MetricData.member.1.Value=NaN", 400, "InvalidParameterValue", b"<ErrorResponse"),
    ("rds", "Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=abc", 400, "InvalidParameterValue",
     b"<ErrorResponse"),
    ("sts", "Action=AssumeRole&Version=2011-06-15", 400, "ValidationError", b"<ErrorResponse"),
    ("autoscaling", "Action=TerminateInstanceInAutoScalingGroup&Version=2011-01-01&InstanceId=i-0123456789abcdef0"
     "&ShouldDecrementDesiredCapacity=true", 400, "ValidationError", b"<ErrorResponse"),
]


@pytest.mark.parametrize("signing, body, status, code, shape", QUERY_CASES)
def test_query_apis_answer_in_their_xml_shape(cloud_url, signing, body, status, code, shape):
    got, content_type, reply = send(cloud_url, signing, body)
    assert (got, xml_code(reply)) == (status, code), reply[:300]
    assert "xml" in content_type and shape in reply


def test_the_message_names_the_parameter_and_what_it_takes(cloud_url):
    _, _, reply = send(cloud_url, "elasticloadbalancing", QUERY_CASES[4][1])
    assert b"Value (abc) for parameter HealthCheckIntervalSeconds is invalid" in reply
    assert b"a whole number" in reply
    _, _, reply = send(cloud_url, "monitoring", QUERY_CASES[8][1])  # NaN: CloudWatch's (and moto's) own words
    assert b"<Message>The value NaN for parameter MetricData.member.1.Value is invalid." in reply


LOGS = "application/x-amz-json-1.1"


@pytest.mark.parametrize("target, body, code, words", [
    ("Logs_20140328.DescribeLogGroups", "[" * 100_000 + "]" * 100_000, "SerializationException", "nests too deeply"),
    ("Logs_20140328.DescribeLogGroups", "{not json", "SerializationException", "not valid JSON"),
    ("Logs_20140328.DescribeLogGroups", "[1, 2]", "SerializationException", "must be a JSON object"),
    ("Logs_20140328.DescribeLogGroups", '{"limit": "abc"}', "SerializationException",
     "STRING_VALUE can not be converted to Integer at limit"),
    ("Logs_20140328.Nope", "{}", "UnknownOperationException", "names no operation"),
    ("Logs_20140328.CreateLogGroup", "{}", "ValidationException", "logGroupName"),
])
def test_json_apis_answer_in_their_json_shape(cloud_url, target, body, code, words):
    status, _, reply = send(cloud_url, "logs", body, LOGS, target=target)
    error = json.loads(reply)
    assert (status, error["__type"]) == (400, code)
    assert words in error["Message"]


def test_cloudwatch_over_json_gets_a_serialization_error_for_a_text_value(cloud_url):
    body = json.dumps({"Namespace": "X", "MetricData": [{"MetricName": "m", "Value": "abc"}]})
    status, _, reply = send(cloud_url, "monitoring", body, "application/x-amz-json-1.0",
                            target="GraniteServiceVersion20100801.PutMetricData")
    assert status == 400 and json.loads(reply)["__type"].endswith("SerializationException")


def test_cloudwatch_over_json_refuses_nan_in_cloudwatch_s_own_words(cloud_url):
    """The JSON protocols spell NaN and the infinities as strings (Smithy); they are well-formed, so the error is
    CloudWatch's InvalidParameterValue (moto's, as AWS's, for NaN), never a SerializationException."""
    cw = boto3.client("cloudwatch", endpoint_url=cloud_url, **CREDS)
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="X", MetricData=[{"MetricName": "m", "Value": Decimal("NaN")}])
    assert e.value.response["Error"] == {
        "Code": "InvalidParameterValue", "Message": "The value NaN for parameter MetricData.member.1.Value is invalid.",
        **{k: v for k, v in e.value.response["Error"].items() if k not in ("Code", "Message")}}
    for value in ('"Infinity"', '"-Infinity"'):
        status, _, reply = send(cloud_url, "monitoring", '{"Namespace": "X", "MetricData": [{"MetricName": "m", '
                                f'"Value": {value}}}]}}', "application/x-amz-json-1.0",
                                target="GraniteServiceVersion20100801.PutMetricData")
        assert status == 400 and "#InvalidParameterValue" in json.loads(reply)["__type"], reply
        assert "takes a finite number" in json.loads(reply)["Message"]
    assert cw.list_metrics(Namespace="X")["Metrics"] == []  # none of them stored anything


def test_terminate_instances_without_instances_is_ec2_s_own_error(cloud_url):
    """botocore sends nothing for InstanceIds=[]; EC2 answers InvalidParameterCombination "No instances specified"
    (moto says the same), not MissingParameter. Another action with a required list still gets MissingParameter."""
    ec2 = boto3.client("ec2", endpoint_url=cloud_url, **CREDS)
    with pytest.raises(ClientError) as e:
        ec2.terminate_instances(InstanceIds=[])
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "InvalidParameterCombination", "No instances specified")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        ec2.stop_instances(InstanceIds=[])
    assert e.value.response["Error"]["Code"] == "MissingParameter"


@pytest.mark.parametrize("signing, method, path, body, code", [
    ("route53", "POST", "/2013-04-01/hostedzone", "<CreateHostedZoneRequest><Name>x", "MalformedInput"),
    ("route53", "POST", "/2013-04-01/hostedzone/Z123/rrset", "<<<", "MalformedInput"),
    ("cloudfront", "POST", "/2020-05-31/distribution", "<Distri", "MalformedInput"),
])
def test_rest_apis_answer_malformed_xml_in_their_shape(cloud_url, signing, method, path, body, code):
    status, _, reply = send(cloud_url, signing, body, "text/xml", method, path)
    assert (status, xml_code(reply)) == (400, code)
    assert b"<ErrorResponse" in reply and b"Could not parse XML" in reply


def test_s3_answers_malformed_xml_as_s3_does(cloud_url):
    s3 = boto3.client("s3", endpoint_url=cloud_url, **CREDS)
    s3.create_bucket(Bucket="bad-requests-xml", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    for query, body in (("tagging", "<Tagging><TagSet"), ("delete", "<Delete><Object>")):
        status, _, reply = send(cloud_url, "s3", body, "application/xml", "PUT" if query == "tagging" else "POST",
                                f"/bad-requests-xml?{query}")
        assert (status, xml_code(reply)) == (400, "MalformedXML")
        assert reply.count(b"<Error>") == 1 and b"not well-formed" in reply
    with pytest.raises(ClientError) as e:  # the malformed tagging set nothing
        s3.get_bucket_tagging(Bucket="bad-requests-xml")
    assert e.value.response["Error"]["Code"] == "NoSuchTagSet"


def test_boto3_without_its_own_validation_gets_a_client_error_naming_the_parameter(cloud_url):
    """What a script sees when it switches botocore's checks off and sends MaxResults='abc'."""
    ec2 = boto3.client("ec2", endpoint_url=cloud_url, config=Config(parameter_validation=False), **CREDS)
    with pytest.raises(ClientError) as e:
        ec2.describe_instances(MaxResults="abc")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "MaxResults" in e.value.response["Error"]["Message"]
    elbv2 = boto3.client("elbv2", endpoint_url=cloud_url, config=Config(parameter_validation=False), **CREDS)
    with pytest.raises(ClientError) as e:
        elbv2.create_target_group(Name="bad-interval", Protocol="HTTP", Port=80, VpcId="vpc-1",
                                  HealthCheckIntervalSeconds="abc")
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_motos_own_errors_pass_through_unchanged(cloud_url):
    """A request moto answers correctly keeps moto's answer (here EC2's InvalidVpcID.NotFound)."""
    ec2 = boto3.client("ec2", endpoint_url=cloud_url, **CREDS)
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(VpcIds=["vpc-00000000000000000"])
    assert e.value.response["Error"]["Code"] == "InvalidVpcID.NotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_operation_moto_lacks_is_named_as_such(cloud_url):
    """AWS has it, moto doesn't: 501 NotImplemented in the API's shape, saying so (not a 500 page)."""
    status, _, reply = send(cloud_url, "ec2", "Action=DescribeVolumeAttribute&Version=2016-11-15&VolumeId=vol-1"
                                               "&Attribute=autoEnableIO")
    assert (status, xml_code(reply)) == (501, "NotImplemented")
    assert b"does not implement" in reply


def test_the_cloud_keeps_serving_after_all_of_them(cloud_url):
    for signing, body, *_ in QUERY_CASES:
        send(cloud_url, signing, body)
    ec2 = boto3.client("ec2", endpoint_url=cloud_url, **CREDS)
    assert ec2.describe_vpcs()["ResponseMetadata"]["HTTPStatusCode"] == 200
