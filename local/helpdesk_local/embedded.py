"""Embedded AWS: a moto server inside this process, provisioned from template.yaml.

Every resource in the template is either created in moto or named in NOT_EMULATED with the
reason it does not matter locally; an unknown resource type is an error, so the template and
the local runtime cannot drift apart silently.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import os
import secrets
import socket
import urllib.request
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import boto3

from helpdesk_local.cfn import Resolver, load_template

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STACK = "helpdesk-local"

# Resource types that have no behaviour to emulate on one machine, and why.
NOT_EMULATED = {
    "AWS::Serverless::LayerVersion": "the layer package is installed in the virtualenv",
    "AWS::Chatbot::SlackChannelConfiguration": "Slack is out of reach; chat briefings are listed on the timeline",
    "AWS::IAM::Role": "only AWS Chatbot assumes its role; the handlers run with the local credentials",
    "AWS::S3::BucketPolicy": "moto does not enforce bucket policies",
    "AWS::Lambda::Permission": "handlers are invoked in-process",
    "AWS::Logs::LogGroup": "handler logs go to the runtime's log stream",
    "AWS::CloudWatch::Alarm": "alarms need real metrics; the suite checks their definitions",
    "AWS::CloudWatch::Dashboard": "dashboards are for the console",
    "AWS::Events::Rule": "the runtime's virtual clock invokes scheduled functions itself",
    "AWS::Scheduler::Schedule": "the runtime's virtual clock invokes scheduled functions itself",
}


@dataclass
class LocalFunction:
    logical_id: str
    code_uri: str
    handler: str
    environment: dict[str, str]
    events: dict[str, Any] = field(default_factory=dict)


_server: Any = None


def shared_server() -> str:
    """One moto server per process; each runtime resets it instead of paying for a new one."""
    global _server
    if _server is None:
        from moto.server import ThreadedMotoServer

        from helpdesk_local import moto_patches

        moto_patches.apply()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        _server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
        _server.start()
        atexit.register(_server.stop)
    host, port = _server.get_host_and_port()
    return f"http://{host}:{port}"


@lru_cache(maxsize=64)
def _client(service: str, endpoint: str) -> Any:
    session: Any = boto3.session.Session()  # Any: the service name is not a literal here
    return session.client(service, region_name=REGION, endpoint_url=endpoint,
                          aws_access_key_id="testing", aws_secret_access_key="testing")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedAws:
    def __init__(self, parameters: dict[str, Any] | None = None, endpoint: str | None = None) -> None:
        self.parameters = parameters or {}
        self.endpoint = endpoint or ""  # an external moto server (benchmarks); default: the in-process one
        self.template = load_template()
        self.resolver = Resolver(self.template, dict(self.parameters),
                                 pseudo={"AWS::Region": REGION, "AWS::AccountId": ACCOUNT_ID,
                                         "AWS::StackName": STACK, "AWS::Partition": "aws",
                                         "AWS::URLSuffix": "amazonaws.com"})
        self.functions: dict[str, LocalFunction] = {}
        self.function_urls: dict[str, str] = {}  # function logical id -> loopback URL
        self.chat_channels: dict[str, dict[str, Any]] = {}  # Chatbot configurations, as the template declares them
        self.provisioned: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> EmbeddedAws:
        self.endpoint = self.endpoint or shared_server()
        os.environ.update(self.aws_environment())
        # moto's backends are process-wide; start each runtime from an empty account.
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 - loopback moto server
        self._provision()
        return self

    def stop(self) -> None:
        """The shared server keeps running for the next runtime; its state is reset on start."""

    def aws_environment(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}

    def client(self, service: str) -> Any:
        return _client(service, self.endpoint)

    # -- provisioning from the template ------------------------------------------------------

    def _provision(self) -> None:
        resources = self.template["Resources"]
        pending = list(resources)
        # Functions reference everything else, and rules reference functions: order by type.
        order = ["AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SecretsManager::Secret", "AWS::SQS::Queue",
                 "AWS::SNS::Topic", "AWS::SSM::Parameter", "AWS::Lambda::Url", "AWS::Serverless::Function",
                 "AWS::SNS::Subscription", "AWS::SES::ReceiptRuleSet", "AWS::SES::ReceiptRule"]
        for logical_id in pending:  # function names and ARNs first: URLs and environments refer to them
            if resources[logical_id]["Type"] == "AWS::Serverless::Function":
                name = self._name(logical_id)
                self.resolver.physical[logical_id] = name
                arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
                self.resolver.attributes[(logical_id, "Arn")] = arn
                alias = resources[logical_id].get("Properties", {}).get("AutoPublishAlias")
                if alias:  # SAM names the alias it publishes <Function>Alias<name>; Ref gives its ARN
                    self.resolver.physical[f"{logical_id}Alias{alias}"] = f"{arn}:{alias}"
        pending.sort(key=lambda lid: order.index(resources[lid]["Type"]) if resources[lid]["Type"] in order else 99)
        self._verify_identities()
        for logical_id in pending:
            spec = resources[logical_id]
            rtype = spec["Type"]
            if "Condition" in spec and not self.resolver.condition(spec["Condition"]):
                continue
            creator = getattr(self, "_create_" + rtype.replace("AWS::", "").replace("::", "_").lower(), None)
            if creator is not None:
                creator(logical_id, spec.get("Properties", {}))
                self.provisioned[logical_id] = rtype
            elif rtype not in NOT_EMULATED:
                raise NotImplementedError(f"{logical_id}: {rtype} is neither emulated nor listed in NOT_EMULATED")
            elif rtype == "AWS::Chatbot::SlackChannelConfiguration":
                self.chat_channels[logical_id] = self.resolver.resolve(
                    {k: v for k, v in spec.get("Properties", {}).items() if k != "IamRoleArn"})

    def _verify_identities(self) -> None:
        ses = self.client("ses")
        domain = self.resolver.ref("SupportDomain")
        ses.verify_domain_identity(Domain=domain)
        for staff in self.resolver.ref("StaffDomains"):
            ses.verify_domain_identity(Domain=staff)

    def _name(self, logical_id: str) -> str:
        return f"{STACK}-{logical_id}".lower()

    def _create_dynamodb_table(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolver.resolve(props)
        name = self._name(logical_id)
        kwargs: dict[str, Any] = {
            "TableName": name, "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            "AttributeDefinitions": props["AttributeDefinitions"], "KeySchema": props["KeySchema"],
        }
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        ddb = self.client("dynamodb")
        ddb.create_table(**kwargs)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        self.resolver.physical[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"

    def _create_s3_bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id)
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        props = self.resolver.resolve(props)
        if "LifecycleConfiguration" in props:
            rules = []
            for rule in props["LifecycleConfiguration"]["Rules"]:
                converted: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"],
                                             "Filter": {"Prefix": rule.get("Prefix", "")}}
                if "ExpirationInDays" in rule:
                    converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
                if "AbortIncompleteMultipartUpload" in rule:
                    converted["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
                rules.append(converted)
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        self.resolver.physical[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"

    def _create_secretsmanager_secret(self, logical_id: str, props: dict[str, Any]) -> None:
        length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 64))
        response = self.client("secretsmanager").create_secret(
            Name=self._name(logical_id), SecretString=secrets.token_urlsafe(length)[:length])
        self.resolver.physical[logical_id] = response["ARN"]

    def _create_sqs_queue(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id)
        url = self.client("sqs").create_queue(QueueName=name)["QueueUrl"]
        self.resolver.physical[logical_id] = url
        self.resolver.attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        self.resolver.attributes[(logical_id, "QueueName")] = name

    def _create_sns_topic(self, logical_id: str, props: dict[str, Any]) -> None:
        arn = self.client("sns").create_topic(Name=self._name(logical_id))["TopicArn"]
        self.resolver.physical[logical_id] = arn
        self.resolver.attributes[(logical_id, "TopicArn")] = arn
        self.resolver.attributes[(logical_id, "TopicName")] = self._name(logical_id)

    def _create_sns_subscription(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolver.resolve(props)
        kwargs: dict[str, Any] = {"TopicArn": props["TopicArn"], "Protocol": props["Protocol"],
                                  "Endpoint": props["Endpoint"], "ReturnSubscriptionArn": True}
        if props.get("FilterPolicy"):
            kwargs["Attributes"] = {"FilterPolicy": json.dumps(props["FilterPolicy"])}
            if props.get("FilterPolicyScope"):
                kwargs["Attributes"]["FilterPolicyScope"] = props["FilterPolicyScope"]
        arn = self.client("sns").subscribe(**kwargs)["SubscriptionArn"]
        self.resolver.physical[logical_id] = arn

    def _create_lambda_url(self, logical_id: str, props: dict[str, Any]) -> None:
        """A function URL becomes a loopback address the local runtime can serve on demand."""
        target = props["TargetFunctionArn"]["Fn::GetAtt"][0]
        url = f"http://127.0.0.1:{_free_port()}/"
        self.function_urls[target] = url
        self.resolver.physical[logical_id] = url
        self.resolver.attributes[(logical_id, "FunctionUrl")] = url

    def _create_serverless_function(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id)
        variables = self.resolver.resolve(props.get("Environment", {}).get("Variables", {}))
        self._register_lambda(name, props)
        self.functions[logical_id] = LocalFunction(
            logical_id=logical_id, code_uri=props["CodeUri"], handler=props["Handler"],
            environment={k: str(v) for k, v in variables.items()}, events=props.get("Events", {}))

    def _register_lambda(self, name: str, props: dict[str, Any]) -> None:
        """moto checks that receipt rules and subscriptions target real functions; it never runs them."""
        iam = self.client("iam")
        try:
            role = iam.get_role(RoleName="helpdesk-local-lambda")["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(RoleName="helpdesk-local-lambda", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("app.py", "# invoked in-process by the local runtime\n")
        awslambda = self.client("lambda")
        awslambda.create_function(FunctionName=name, Runtime="python3.13", Role=role, Handler=props["Handler"],
                                  Code={"ZipFile": archive.getvalue()})
        if props.get("AutoPublishAlias"):  # what SAM deploys for SnapStart: a version and an alias to it
            version = awslambda.publish_version(FunctionName=name)["Version"]
            awslambda.create_alias(FunctionName=name, Name=props["AutoPublishAlias"], FunctionVersion=version)

    def _create_ses_receiptruleset(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self.resolver.resolve(props["RuleSetName"])
        self.client("ses").create_receipt_rule_set(RuleSetName=name)
        self.resolver.physical[logical_id] = name

    def _create_ses_receiptrule(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolver.resolve(props)
        self.client("ses").create_receipt_rule(RuleSetName=props["RuleSetName"], Rule=props["Rule"])
        self.resolver.physical[logical_id] = props["Rule"]["Name"]

    # -- what the receipt rule does -----------------------------------------------------------

    def receipt_rule(self) -> dict[str, Any]:
        """The template's SES receipt rule, resolved (recipients, S3 prefix, Lambda target)."""
        for spec in self.template["Resources"].values():
            if spec["Type"] == "AWS::SES::ReceiptRule":
                return self.resolver.resolve(spec["Properties"]["Rule"])
        raise LookupError("template has no SES receipt rule")

    def sent_emails(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return list(ses_backends[ACCOUNT_ID][REGION].sent_messages)
