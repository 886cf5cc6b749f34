"""template.yaml is valid, least-privilege, buildable, and matches the code in both directions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk.app import settings as settings_module
from helpdesk_local.cfn import load_template
from helpdesk_local.embedded import NOT_EMULATED, EmbeddedAws

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = {lid: r for lid, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
# Which settings model each function validates its environment with.
FUNCTION_SETTINGS = {"InboundEmailFunction": settings_module.InboundSettings,
                     "SlaSweeperFunction": settings_module.SweeperSettings,
                     "SurveyFunction": settings_module.SurveySettings,
                     "ReportFunction": settings_module.ReportSettings}


def _sam() -> str:
    sam = os.environ.get("SAM_CLI") or shutil.which("sam")
    if not sam or not Path(sam).exists():
        pytest.fail("aws-sam-cli is not installed; `make test` installs it into .venv-sam")
    return sam


def test_cfn_lint_passes():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), str(ROOT / "template.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_passes():
    result = subprocess.run([_sam(), "validate", "--lint", "--region", "us-east-1", "-t", "template.yaml"],
                            capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "SAM_CLI_TELEMETRY": "0"}, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_build_with_python313(tmp_path):
    py313 = os.environ.get("PY313") or shutil.which("python3.13")
    works = py313 and subprocess.run([py313, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"],
                                     capture_output=True).returncode == 0
    if not works:
        print("SKIP sam build: no working python3.13 interpreter (set PY313 to one)")
        pytest.skip("no python3.13 interpreter on this machine; sam build needs one for the runtime")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3.13").symlink_to(py313)
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    build_dir = tmp_path / "build"
    result = subprocess.run([_sam(), "build", "--build-dir", str(build_dir), "-t", "template.yaml"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    layer = build_dir / "HelpdeskLayer" / "python"
    assert (layer / "helpdesk" / "intake" / "processor.py").exists()
    assert (layer / "helpdesk" / "messages" / "templates" / "acknowledgment.txt.j2").exists()
    assert (layer / "helpdesk" / "policy" / "presets" / "p0-p3.yaml").exists()
    assert not (layer / "helpdesk_local").exists(), "dev-only tooling must never ship to Lambda"
    assert (build_dir / "InboundEmailFunction" / "app.py").exists()


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_handler_path_exists_and_is_callable(logical_id):
    props = FUNCTIONS[logical_id]["Properties"]
    module, _, attribute = props["Handler"].rpartition(".")
    path = ROOT / props["CodeUri"] / f"{module}.py"
    assert path.is_file(), f"{logical_id}: {path} does not exist"
    assert re.search(rf"^def {attribute}\(", path.read_text(), re.M), f"{path} has no {attribute}()"


def test_every_function_directory_is_in_the_template():
    declared = {Path(r["Properties"]["CodeUri"]).resolve() for r in FUNCTIONS.values()}
    on_disk = {p.resolve() for p in (ROOT / "functions").iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert on_disk == declared


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_environment_matches_settings_model_both_ways(logical_id):
    model = FUNCTION_SETTINGS[logical_id]
    expected = {field.alias for field in model.model_fields.values()}
    declared = set(FUNCTIONS[logical_id]["Properties"].get("Environment", {}).get("Variables", {}))
    assert declared == expected


def test_every_function_has_a_settings_model():
    assert set(FUNCTIONS) == set(FUNCTION_SETTINGS)


def test_layer_requirements_match_project_dependencies():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [line.strip() for line in (ROOT / "layers/helpdesk/requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert sorted(layer) == sorted(d for d in project if not d.startswith("boto3"))


def test_raw_mail_prefix_matches_the_receipt_rule_and_iam():
    env = FUNCTIONS["InboundEmailFunction"]["Properties"]["Environment"]["Variables"]
    rule = RESOURCES["InboundRule"]["Properties"]["Rule"]
    s3_action = next(a["S3Action"] for a in rule["Actions"] if "S3Action" in a)
    assert s3_action["ObjectKeyPrefix"] == env["RAW_MAIL_PREFIX"]
    assert [list(a)[0] for a in rule["Actions"]] == ["S3Action", "LambdaAction"]
    lifecycle = RESOURCES["InboundBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("Prefix") == env["RAW_MAIL_PREFIX"] and "ExpirationInDays" in r for r in lifecycle)


# Actions IAM only grants on "*": they name no resource (Service Authorization Reference).
NO_RESOURCE_ACTIONS = {"sns:CheckIfPhoneNumberIsOptedOut"}


def _statements(policy):
    """Every statement, with a conditional one (Fn::If) read in its granting branch."""
    for statement in policy["Statement"]:
        if "Fn::If" in statement:
            _, granted, _ = statement["Fn::If"]
            if granted != {"Ref": "AWS::NoValue"}:
                yield granted
        else:
            yield statement


def test_iam_is_least_privilege():
    for logical_id, function in FUNCTIONS.items():
        for policy in function["Properties"].get("Policies", []):
            assert isinstance(policy, dict), f"{logical_id}: managed policy templates grant too much"
            for statement in _statements(policy):
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any(a.endswith("*") for a in actions), f"{logical_id}: wildcard action {actions}"
                if statement["Resource"] == "*":
                    assert set(actions) <= NO_RESOURCE_ACTIONS, f"{logical_id}: wildcard resource for {actions}"


def test_table_and_bucket_are_protected():
    table = RESOURCES["HelpdeskTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    [due] = [g for g in table["GlobalSecondaryIndexes"] if g["IndexName"] == "DueWork"]
    assert [k["AttributeName"] for k in due["KeySchema"]] == ["due_shard", "due_at"]
    bucket = RESOURCES["InboundBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]


def test_inbound_function_runtime_and_dead_letters():
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13" and globals_["Architectures"] == ["arm64"]
    props = FUNCTIONS["InboundEmailFunction"]["Properties"]
    assert props["DeadLetterQueue"]["Type"] == "SQS"


def test_every_resource_is_provisioned_locally_or_explained():
    runtime_types = {name.replace("_create_", "") for name in dir(EmbeddedAws) if name.startswith("_create_")}
    for logical_id, resource in RESOURCES.items():
        key = resource["Type"].replace("AWS::", "").replace("::", "_").lower()
        assert key in runtime_types or resource["Type"] in NOT_EMULATED, f"{logical_id}: {resource['Type']}"


@pytest.mark.parametrize("name", ["SupportAddress", "SupportDomain", "StaffDomains", "PolicyName"])
def test_required_parameters_exist(name):
    assert name in TEMPLATE["Parameters"]


def _alarms():
    return [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]


def test_every_dead_letter_queue_and_function_is_watched():
    queues = {lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::SQS::Queue"}
    watched_queues = {a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in _alarms() if a["Namespace"] == "AWS/SQS"}
    assert queues == watched_queues
    watched_functions = {a["Dimensions"][0]["Value"]["Ref"] for a in _alarms()
                         if a["Namespace"] == "AWS/Lambda" and a["MetricName"] == "Errors"}
    assert watched_functions == set(FUNCTIONS)
    for alarm in _alarms():
        assert alarm["AlarmActions"] == [{"Ref": "OpsTopic"}]


def test_sweeper_lag_and_failed_sends_alarms():
    by_metric = {a["MetricName"]: a for a in _alarms() if a["Namespace"] == "Helpdesk"}
    assert by_metric["SweeperLagSeconds"]["Threshold"] == 300
    assert "SendsFailed" in by_metric
    assert any(r["Type"] == "AWS::CloudWatch::Dashboard" for r in RESOURCES.values())


def test_every_function_log_group_has_retention():
    groups = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::Logs::LogGroup"]
    named = {g["LogGroupName"]["Fn::Sub"].split("${")[1].rstrip("}") for g in groups}
    assert named == set(FUNCTIONS)
    assert all(g["RetentionInDays"] > 0 for g in groups)


def test_report_schedules_default_to_the_default_policy_timezone():
    from helpdesk.policy.loader import load_policy
    from helpdesk.sla.targets import timezone_of

    policy = load_policy(TEMPLATE["Parameters"]["PolicyName"]["Default"])
    assert TEMPLATE["Parameters"]["ReportTimezone"]["Default"] == timezone_of(policy, policy.default_severity)


# -- hardening: checkov, retention, concurrency, dead letters, key prefixes, alarms, SnapStart ------------

def _checkov() -> str:
    found = os.environ.get("CHECKOV") or str(ROOT / ".venv-checkov" / "bin" / "checkov")
    if not Path(found).exists():
        found = shutil.which("checkov") or ""
    if not found:
        pytest.fail("checkov is not installed; `make test` installs it into .venv-checkov")
    return found


def test_checkov_passes_with_every_skip_explained():
    result = subprocess.run([_checkov(), "-f", "template.yaml", "--framework", "cloudformation", "--compact",
                             "--quiet", "-o", "json"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    import json

    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    failed = [(c["check_id"], c["resource"]) for c in report.get("results", {}).get("failed_checks", [])]
    assert failed == [] and result.returncode == 0, failed or result.stderr[-2000:]
    assert report["summary"]["parsing_errors"] == 0
    for logical_id, resource in RESOURCES.items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (logical_id, skip)
            assert len(skip.get("comment", "")) > 30, f"{logical_id}: skip {skip['id']} needs its reason"


@pytest.mark.parametrize("logical_id", ["HelpdeskTable", "InboundBucket", "SigningKeySecret"])
def test_stateful_resources_survive_stack_deletion_and_replacement(logical_id):
    assert RESOURCES[logical_id]["DeletionPolicy"] == "Retain"
    assert RESOURCES[logical_id]["UpdateReplacePolicy"] == "Retain"


def test_the_public_survey_cannot_take_everyone_elses_concurrency():
    assert 0 < FUNCTIONS["SurveyFunction"]["Properties"]["ReservedConcurrentExecutions"] <= 10


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_dead_letters_what_it_cannot_process(logical_id):
    props = FUNCTIONS[logical_id]["Properties"]
    on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
    queue = props.get("DeadLetterQueue", {}).get("TargetArn", {}).get("Fn::GetAtt", [None])[0]
    assert queue or on_failure, f"{logical_id} has no dead-letter queue or on-failure destination"
    if queue:
        assert RESOURCES[queue]["Type"] == "AWS::SQS::Queue"


def _declared_prefixes() -> set[str]:
    """Every partition-key prefix keys.py documents, as IAM LeadingKeys patterns."""
    from helpdesk.adapters.aws import keys

    patterns = set()
    for row in (keys.__doc__ or "").splitlines():
        cells = [c.strip() for c in row.split("|")]
        if len(cells) > 2 and cells[2] and not cells[2].startswith(("PK", "-")):
            pk = cells[2]
            patterns.add(pk.split("#", 1)[0] + "#*" if "#" in pk else pk)
    return patterns


def _table_writes(logical_id: str) -> list[dict]:
    statements = [s for p in FUNCTIONS[logical_id]["Properties"].get("Policies", []) for s in _statements(p)]
    writes = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")
    return [s for s in statements if set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
            & set(writes)]


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_table_writes_are_limited_to_the_key_prefixes_each_function_touches(logical_id):
    declared = _declared_prefixes()
    for statement in _table_writes(logical_id):
        allowed = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert set(allowed) <= declared, set(allowed) - declared
    if logical_id == "SurveyFunction":
        [statement] = _table_writes(logical_id)
        allowed = set(statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])
        assert not allowed & {"INBOUND#*", "SENDER#*", "SENDERDOMAIN#*", "COUNTER", "POLICY#*", "ACCOUNTS"}


@pytest.mark.parametrize("metric", ["RawMailMissing", "DueItemsParked", "SecurityEvents", "SendsPaused"])
def test_operational_alarms_watch_metrics_the_code_emits(metric):
    [alarm] = [a for a in _alarms() if a["Namespace"] == "Helpdesk" and a["MetricName"] == metric]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "helpdesk"}]
    assert alarm["AlarmActions"] == [{"Ref": "OpsTopic"}]
    emitted = [p for p in (ROOT / "layers/helpdesk/helpdesk").rglob("*.py")
               if f'add_metric(name="{metric}"' in p.read_text()]
    assert emitted, f"nothing emits {metric} with only the service dimension the alarm watches"


@pytest.mark.parametrize("logical_id", ["InboundEmailFunction", "SlaSweeperFunction"])
def test_snapstart_functions_are_invoked_through_their_alias(logical_id):
    props = FUNCTIONS[logical_id]["Properties"]
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"} and props["AutoPublishAlias"]
    alias = f"{logical_id}Alias{props['AutoPublishAlias']}"
    if logical_id == "InboundEmailFunction":
        rule = RESOURCES["InboundRule"]["Properties"]["Rule"]
        action = next(a["LambdaAction"] for a in rule["Actions"] if "LambdaAction" in a)
        assert action["FunctionArn"] == {"Ref": alias}
        assert RESOURCES["SesInvokeInboundPermission"]["Properties"]["FunctionName"] == {"Ref": alias}
    hooks = (ROOT / props["CodeUri"] / "app.py").read_text()
    assert "snapstart" in hooks, "the handler registers the restore hooks"


def test_the_second_opinion_model_is_granted_only_when_the_stack_names_one():
    grants = []
    for logical_id, function in FUNCTIONS.items():
        for policy in function["Properties"].get("Policies", []):
            for statement in policy["Statement"]:
                branch = statement.get("Fn::If", [None, statement, None])
                if "bedrock" in str(branch[1].get("Action", "")):
                    grants.append((logical_id, statement))
    assert [lid for lid, _ in grants] == ["InboundEmailFunction"]
    condition, granted, otherwise = grants[0][1]["Fn::If"]
    assert condition == "HasSecondOpinion" and otherwise == {"Ref": "AWS::NoValue"}
    assert granted["Action"] == "bedrock:InvokeModel"
    assert "foundation-model/${SecondOpinionModelId}" in granted["Resource"]["Fn::Sub"]
    named = {"Fn::Equals": [{"Ref": "SecondOpinionModelId"}, ""]}
    assert TEMPLATE["Conditions"]["HasSecondOpinion"] == {"Fn::Not": [named]}
    assert TEMPLATE["Parameters"]["SecondOpinionModelId"]["Default"] == ""
