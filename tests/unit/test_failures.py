"""One place decides what a failure means: AWS error codes to transient, permanent or unknown."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from helpdesk.adapters.aws.failures import kind_of, raise_for
from helpdesk.core.errors import (
    PermanentSendError,
    RawMailMissingError,
    TransientAwsError,
    failure_class,
)


def _error(code: str, status: int = 400, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "SendRawEmail")


@pytest.mark.parametrize(("code", "status", "kind"), [
    ("Throttling", 400, "throttled"),
    ("ThrottlingException", 400, "throttled"),
    ("ProvisionedThroughputExceededException", 400, "throttled"),
    ("AccountSendingPausedException", 400, "paused"),
    ("ConfigurationSetSendingPausedException", 400, "paused"),
    ("ServiceUnavailable", 503, "server"),
    ("AnythingAtAll", 500, "server"),
    ("MessageRejected", 400, "permanent"),
    ("MailFromDomainNotVerifiedException", 400, "permanent"),
    ("InvalidParameterValue", 400, "permanent"),
    ("OptedOut", 400, "permanent"),
    ("SomethingNew", 400, "unknown"),
])
def test_each_aws_code_has_one_meaning(code, status, kind):
    assert kind_of(_error(code, status)) == kind


def test_network_faults_are_transient():
    assert kind_of(EndpointConnectionError(endpoint_url="https://email.example")) == "network"
    assert kind_of(ReadTimeoutError(endpoint_url="https://email.example")) == "network"


@pytest.mark.parametrize(("code", "raised", "cls"), [
    ("AccountSendingPausedException", TransientAwsError, "transient"),
    ("Throttling", TransientAwsError, "transient"),
    ("MessageRejected", PermanentSendError, "permanent"),
    ("SomethingNew", TransientAwsError, "unknown"),
])
def test_adapters_raise_the_domain_error_without_the_aws_message(code, raised, cls):
    with pytest.raises(raised) as caught:
        raise_for(_error(code, message="Address blocked: ada@customer.example"), "ses.send_raw_email")
    assert "ada@customer.example" not in str(caught.value), "AWS messages can quote recipients"
    assert code in str(caught.value)
    assert failure_class(caught.value) == cls


def test_table_and_bucket_refusals_are_never_silently_final():
    with pytest.raises(TransientAwsError) as caught:
        raise_for(_error("InvalidParameterValue"), "dynamodb.update_item", permanent_ok=False)
    assert failure_class(caught.value) == "unknown"


def test_a_missing_object_is_permanent_and_anything_unclassified_is_unknown():
    assert failure_class(RawMailMissingError("attachments/x")) == "permanent"
    assert failure_class(KeyError("x")) == "unknown"
