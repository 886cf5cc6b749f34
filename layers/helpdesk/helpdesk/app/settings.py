"""Each function's environment as a validated model, checked at cold start.

tests/test_template.py asserts that template.yaml gives each function exactly these variables.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class SettingsError(RuntimeError):
    pass


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    @classmethod
    def from_env(cls, env: Mapping[str, str]):  # noqa: ANN206 - returns the subclass
        try:
            return cls.model_validate(dict(env))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise SettingsError(f"{cls.__name__}: {problems}") from exc


class CommonSettings(_Settings):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    support_address: str = Field(alias="SUPPORT_ADDRESS", pattern=r"^[^@\s+]+@[^@\s]+$")
    policy_name: str = Field(alias="POLICY_NAME", min_length=1)
    signing_key_secret: str = Field(alias="SIGNING_KEY_SECRET_ARN", min_length=1)
    team_name: str = Field(alias="TEAM_NAME", min_length=1)
    team_queue_address: str = Field(alias="TEAM_QUEUE_ADDRESS", pattern=r"^[^@\s]+@[^@\s]+$")
    due_shards: int = Field(alias="DUE_SHARDS", ge=1, le=64)
    escalation_topic_arn: str = Field(alias="ESCALATION_TOPIC_ARN", min_length=1)
    ops_topic_arn: str = Field(alias="OPS_TOPIC_ARN", min_length=1)
    sms_routes: str = Field(alias="SMS_ROUTES", default="")
    chat_topic_arn: str = Field(alias="CHAT_TOPIC_ARN", default="")  # set when Slack (AWS Chatbot) is configured


class InboundSettings(CommonSettings):
    inbound_bucket: str = Field(alias="INBOUND_BUCKET", min_length=1)
    survey_url: str = Field(alias="SURVEY_URL", min_length=1)  # the public Function URL: one-tap ack links
    raw_mail_prefix: str = Field(alias="RAW_MAIL_PREFIX")
    staff_domains: tuple[str, ...] = Field(alias="STAFF_DOMAINS")
    # The Bedrock model of the classifier's optional second opinion (template parameter SecondOpinionModelId).
    second_opinion_model_id: str = Field(alias="SECOND_OPINION_MODEL_ID", default="")

    @field_validator("staff_domains", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(d.strip().lower() for d in value.split(",") if d.strip())
        return value


class SweeperSettings(CommonSettings):
    inbound_bucket: str = Field(alias="INBOUND_BUCKET", min_length=1)  # attachments of relays being retried
    survey_url: str = Field(alias="SURVEY_URL", min_length=1)  # the survey function's URL, for rating links


class SurveySettings(CommonSettings):
    inbound_bucket: str = Field(alias="INBOUND_BUCKET", min_length=1)  # long comments are kept in S3


class ReportSettings(_Settings):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    policy_name: str = Field(alias="POLICY_NAME", min_length=1)
    support_address: str = Field(alias="SUPPORT_ADDRESS", pattern=r"^[^@\s+]+@[^@\s]+$")
    team_name: str = Field(alias="TEAM_NAME", min_length=1)
    report_bucket: str = Field(alias="REPORT_BUCKET", min_length=1)
    report_recipients: tuple[str, ...] = Field(alias="REPORT_RECIPIENTS")

    @field_validator("report_recipients", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(a.strip().lower() for a in value.split(",") if a.strip())
        return value
