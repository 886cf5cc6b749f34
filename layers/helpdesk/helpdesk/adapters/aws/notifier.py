"""SNS: escalations to managers and executives (email briefings, SMS) and operator alerts."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from helpdesk.adapters.aws.clients import client
from helpdesk.adapters.aws.failures import raise_for, raise_if_transient


class Notifier:
    def __init__(self, sns: Any = None) -> None:
        self._sns = sns

    @property
    def sns(self) -> Any:
        if self._sns is None:
            self._sns = client("sns")
        return self._sns

    def publish(self, topic_arn: str, *, subject: str, bodies: dict[str, str],
                attributes: dict[str, str | list[str]]) -> str:
        """One message with a body per protocol (`default`, `email`, `sms`) and filterable attributes."""
        message_attributes = {
            name: ({"DataType": "String.Array", "StringValue": json.dumps(value)} if isinstance(value, list)
                   else {"DataType": "String", "StringValue": str(value)})
            for name, value in attributes.items() if value not in (None, "", [])
        }
        try:
            response = self.sns.publish(TopicArn=topic_arn, Subject=subject[:99], MessageStructure="json",
                                        Message=json.dumps(bodies), MessageAttributes=message_attributes)
        except (ClientError, BotoCoreError) as exc:
            raise_for(exc, "sns.publish")
        return str(response["MessageId"])

    def opted_out(self, phone: str) -> bool:
        """Whether the number opted out of SMS from this account (SNS refuses to deliver to it)."""
        try:
            response = self.sns.check_if_phone_number_is_opted_out(phoneNumber=phone)
        except ClientError as exc:
            raise_if_transient(exc, "sns.check_if_phone_number_is_opted_out")
            return False  # an answer we cannot read: try the send; its own error says what went wrong
        return bool(response.get("isOptedOut"))
