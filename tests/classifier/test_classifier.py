"""The classifier against the labelled examples (every preset), and its behaviour rule by rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from helpdesk.accounts.model import Account
from helpdesk.classifier import Classification, Classifier
from helpdesk.mail.quotes import strip_quoted
from helpdesk.policy.loader import CLASSIFIERS_DIR, load_policy, preset_names
from helpdesk_local.evaluate import DEFAULT_EXAMPLES, evaluate, format_report, load_examples, main

PRESETS = preset_names()
COMMON = yaml.safe_load((CLASSIFIERS_DIR / "common.yaml").read_text(encoding="utf-8"))


def account(industry: str = "", flags: tuple[str, ...] = (), arr: float = 0) -> Account:
    return Account(domain="customer.example", name="Customer", arr=arr, flags=frozenset(flags),
                   industry=industry)


@pytest.fixture(scope="module", params=PRESETS)
def preset(request: pytest.FixtureRequest) -> tuple[Classifier, object]:
    policy = load_policy(request.param)
    return Classifier(policy), policy


@pytest.fixture(scope="module")
def p0p3() -> Classifier:
    return Classifier(load_policy("p0-p3"))


def level(classifier: Classifier, name: str) -> str:
    return classifier.policy.resolve_severity(name)


def rules(result: Classification, decision: str = "severity") -> dict[str, list[str]]:
    return {e.rule: e.phrases for e in result.evidence if e.decision == decision}


# -- the evaluation targets, for every preset ---------------------------------------------------


@pytest.fixture(scope="module", params=PRESETS)
def report(request: pytest.FixtureRequest) -> dict:
    return evaluate(request.param)


def test_severity_accuracy_at_least_90_percent(report: dict) -> None:
    assert report["severity_accuracy"] >= 0.90, format_report(report)


def test_no_critical_example_below_the_second_level(report: dict) -> None:
    assert report["critical_below_second"] == [], format_report(report)


def test_every_expected_trigger_is_detected(report: dict) -> None:
    assert report["trigger_recall"] == 1.0, report["trigger_misses"]


def test_forbidden_triggers_and_required_evidence(report: dict) -> None:
    assert report["false_triggers"] == [], report["false_triggers"]
    assert report["evidence_misses"] == [], report["evidence_misses"]
    assert report["passed"]


def test_report_has_a_confusion_matrix_in_policy_order(report: dict) -> None:
    policy = load_policy(report["policy"])
    assert report["severities"] == list(policy.severities)
    assert list(report["confusion"]) == list(policy.severities)
    assert sum(sum(row.values()) for row in report["confusion"].values()) == report["examples"]
    text = format_report(report)
    assert "expected \\ predicted" in text and all(sid in text for sid in policy.severities)


# -- the labelled examples themselves -------------------------------------------------------------


def test_examples_cover_levels_types_and_every_trigger_rule() -> None:
    examples = load_examples()
    assert len(examples) >= 100
    assert {e.level for e in examples} == {"critical", "high", "medium", "low"}
    assert {e.issue_type for e in examples} <= set(COMMON["issue_types"])
    for rule in COMMON["trigger_rules"].values():
        positives = [e for e in examples if rule["trigger"] in e.triggers]
        assert len(positives) >= 3, rule["trigger"]
        if rule.get("industries"):
            assert all(e.account.industry in rule["industries"] for e in positives)
            wrong = [e for e in examples if rule["trigger"] in e.absent_triggers
                     and e.account.industry and e.account.industry not in rule["industries"]]
            assert wrong, f"{rule['trigger']}: needs an example from another industry where it must not fire"
    assert any(len(e.body) >= 200_000 for e in examples)
    assert any(e.evidence_rule == "no_content" for e in examples)


def test_cli_exit_status_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--policy", "p0-p3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] and out["reports"][0]["policy"] == "p0-p3"
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(yaml.safe_dump({"examples": [
        {"id": "mislabelled", "subject": "Production is down", "body": "Nobody can log in.",
         "level": "low", "issue_type": "bug", "triggers": ["legal"]},
    ]}), encoding="utf-8")
    assert main(["--policy", "p0-p3", "--examples", str(wrong)]) == 1
    text = capsys.readouterr().out
    assert "FAIL" in text and "mislabelled" in text
    assert DEFAULT_EXAMPLES.is_file()


# -- negation, hypotheticals and reassurance -----------------------------------------------------


@pytest.mark.parametrize(("subject", "body", "absent"), [
    ("Portal", "The portal is not down, pages are a little slower than usual.", "outage"),
    ("Import", "The import stopped at row 40 with an error. No data loss as far as we can see.", "data_loss"),
    ("Reset", "This is not a security issue, but password reset emails arrive late.", "security_incident"),
    ("Outages", "What happens if the site is down during our busy season?", "outage"),
    ("Finance", "Could you give Sue from finance access to invoices?", "legal"),
    ("Media", "Is it possible to add folders to the media library?", "public_relations"),
])
def test_negated_and_hypothetical_mentions_do_not_count(p0p3: Classifier, subject: str, body: str,
                                                         absent: str) -> None:
    result = p0p3.classify(subject, body)
    assert absent not in result.triggers
    assert p0p3.policy.rank(result.severity) >= 2  # medium or low


def test_negation_does_not_reach_into_the_next_clause(p0p3: Classifier) -> None:
    result = p0p3.classify("Renewal", "If this isn't fixed by Friday, we will not renew our contract.")
    assert "churn_threat" in result.triggers
    result = p0p3.classify("Status", "No, we changed nothing. Since 9am the site is down.")
    assert "outage" in result.triggers and result.severity == level(p0p3, "critical")


def test_reassurance_discounts_a_high_problem_to_the_default(p0p3: Classifier) -> None:
    result = p0p3.classify("Reports", "No rush, but the reports are not working for our team.")
    assert result.severity == level(p0p3, "medium")
    assert rules(result)["reassurance_discounts"] == ["no rush"]


def test_reassurance_alone_means_the_lowest_level(p0p3: Classifier) -> None:
    result = p0p3.classify("Thanks", "Thanks, that fixed it! All good now.")
    assert result.severity == level(p0p3, "low")
    assert "reassurance" in rules(result)


def test_reassurance_does_not_talk_down_data_loss(p0p3: Classifier) -> None:
    result = p0p3.classify("Contacts", "Not urgent, but 300 records disappeared after the import.")
    assert result.severity == level(p0p3, "critical")
    assert "data_loss" in result.triggers


def test_a_resolved_outage_keeps_its_trigger_but_does_not_raise(p0p3: Classifier) -> None:
    body = ("Yesterday's outage was resolved quickly and everything is back to normal. "
            "Could you send the incident report for our records?")
    result = p0p3.classify("Incident report", body)
    assert "outage" in result.triggers  # still routed to whoever follows outages up
    assert result.severity == level(p0p3, "low")
    assert "trigger:outage" not in rules(result)
    assert "reassurance_discounts:trigger:outage" in rules(result)


# -- impact figures -------------------------------------------------------------------------------


@pytest.mark.parametrize(("figure", "expected"), [
    ("$20k per hour", "critical"),
    ("$1,000/hr", "critical"),
    ("$1.5 million per hour", "critical"),
    ("$30,000 per day", "critical"),  # 1,250 an hour
    ("$500/hr", "high"),
    ("$100 an hour", "high"),
    ("$99 per hour", None),
    ("$2,000 per day", None),  # 83 an hour
])
def test_money_per_hour_thresholds(preset: tuple[Classifier, object], figure: str,
                                   expected: str | None) -> None:
    classifier, _ = preset
    result = classifier.classify("Checkout", f"The checkout delays are costing us {figure}.")
    if expected:
        assert result.severity == level(classifier, expected)
        assert "money_per_hour" in rules(result)
    else:
        assert "money_per_hour" not in rules(result)
        assert result.severity == level(classifier, "medium")  # nothing else voted: the default


@pytest.mark.parametrize(("body", "expected"), [
    ("About 350 users can't open the app since this morning.", "critical"),
    ("Reports fail to load for 25 users in finance.", "high"),
    ("3 users see an error when saving.", "medium"),
    ("The export is broken for all our users since yesterday.", "critical"),
])
def test_affected_user_counts(p0p3: Classifier, body: str, expected: str) -> None:
    result = p0p3.classify("Problem", body)
    assert result.severity == level(p0p3, expected)
    assert "users_affected" in rules(result)


def test_a_count_without_a_problem_in_its_sentence_is_not_impact(p0p3: Classifier) -> None:
    result = p0p3.classify("SSO", "We're rolling out to 900 employees next quarter. How do we set up SSO?")
    assert "users_affected" not in rules(result)
    assert result.severity == level(p0p3, "low")
    result = p0p3.classify("Invoice", "Our invoice lists 48 seats but we only have 41 active users.")
    assert "users_affected" not in rules(result)


# -- emotion ----------------------------------------------------------------------------------------


def test_all_caps_is_angry(p0p3: Classifier) -> None:
    result = p0p3.classify("WHY IS THE EXPORT EMPTY", "EVERY EXPORT IS EMPTY AND I NEED IT TODAY")
    assert result.emotion == "angry"
    assert "ALL CAPS" in rules(result, "emotion")["emotions"]


def test_exclamation_marks_are_urgent_unless_already_angry(p0p3: Classifier) -> None:
    result = p0p3.classify("Help please!!!", "The import button is greyed out and I need it today!!!")
    assert result.emotion == "urgent" and "!!!" in rules(result, "emotion")["emotions"]
    result = p0p3.classify("Unacceptable!!!", "This is unacceptable, the import is greyed out again!!!")
    assert result.emotion == "angry"


def test_plain_mail_is_calm(p0p3: Classifier) -> None:
    assert p0p3.classify("Question", "How do I add a user?").emotion == "calm"


# -- account context ---------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["strategic", "fortune500"])
def test_flagged_accounts_are_never_below_medium(preset: tuple[Classifier, object], flag: str) -> None:
    classifier, _ = preset
    typo = "Small thing: there is a typo on the login page."
    assert classifier.classify("Typo", typo).severity == level(classifier, "low")
    result = classifier.classify("Typo", typo, account(flags=(flag,)))
    assert result.severity == level(classifier, "medium")
    assert rules(result)[f"account_flag:{flag}"] == [flag]
    empty = classifier.classify("", "", account(flags=(flag,)))
    assert empty.severity == level(classifier, "medium") and "no_content" in rules(empty)


def test_a_floor_never_lowers_a_severity(p0p3: Classifier) -> None:
    result = p0p3.classify("Down", "Production is down for everyone.", account(flags=("strategic",)))
    assert result.severity == level(p0p3, "critical")
    assert "account_flag:strategic" not in rules(result)


@pytest.mark.parametrize(("trigger", "body", "industry", "other"), [
    ("patient_safety", "The medication screen shows the wrong dosage units.", "healthcare", "technology"),
    ("hipaa", "Appointment emails include PHI in the subject line.", "healthcare", "retail"),
    ("pci", "Full card numbers appear in the order export, a PCI problem.", "finance", "healthcare"),
    ("pci", "Full card numbers appear in the order export, a PCI problem.", "retail", "education"),
    ("regulatory_reporting", "The regulatory report totals don't match our ledger.", "finance", "retail"),
    ("peak_season", "Discount codes fail on Black Friday weekend.", "retail", "legal services"),
    ("pos_integration", "The POS registers stopped syncing sales.", "retail", "healthcare"),
])
def test_industry_triggers_fire_only_for_their_industry(p0p3: Classifier, trigger: str, body: str,
                                                         industry: str, other: str) -> None:
    assert trigger in p0p3.classify("Issue", body, account(industry)).triggers
    assert trigger not in p0p3.classify("Issue", body, account(other)).triggers
    assert trigger not in p0p3.classify("Issue", body).triggers


# -- evidence -------------------------------------------------------------------------------------------


def test_evidence_names_the_rule_and_phrases_of_every_decision(p0p3: Classifier) -> None:
    result = p0p3.classify("Production is down", "Nobody can log in and we lost data. This is unacceptable.")
    found = {(e.decision, e.value, e.rule): e.phrases for e in result.evidence}
    assert found[("severity", result.severity, "outage")] == ["is down", "nobody * can log in"]
    assert found[("severity", result.severity, "data_or_security")] == ["lost data"]
    assert found[("trigger", "outage", "outage")] == ["is down", "nobody * can log in"]
    assert found[("trigger", "data_loss", "data_loss")] == ["lost data"]
    assert ("emotion", "angry", "emotions") in found
    assert result.triggers == ["data_loss", "outage"]  # in the order the rules are listed
    for trigger in result.triggers:
        assert any(e.decision == "trigger" and e.value == trigger for e in result.evidence)
    assert [e.value for e in result.evidence if e.decision == "issue_type"] == [result.issue_type]
    assert [e.value for e in result.evidence if e.decision == "emotion"] == [result.emotion]
    for entry in result.as_dict()["evidence"]:
        assert set(entry) == {"decision", "value", "rule", "phrases"}
        assert isinstance(entry["phrases"], list) and all(isinstance(p, str) for p in entry["phrases"])


def test_trigger_raises_are_explained(p0p3: Classifier) -> None:
    result = p0p3.classify("Renewal", "The sync has failed for weeks. We are evaluating other vendors.")
    assert result.severity == level(p0p3, "high")
    assert rules(result)["trigger:churn_threat"] == ["churn_threat"]


def test_classification_is_deterministic(p0p3: Classifier) -> None:
    args = ("Reports broken", "Reports fail for 12 users; the sync stopped. Not urgent!!!")
    assert p0p3.classify(*args).as_dict() == p0p3.classify(*args).as_dict()
    assert Classifier(load_policy("p0-p3")).classify(*args).as_dict() == p0p3.classify(*args).as_dict()


# -- no content ---------------------------------------------------------------------------------------------

REPLY_WITH_ONLY_HISTORY = """On Mon, 23 Nov 2026 at 09:00, Support <support@help.example.com> wrote:
> We received your request and will reply soon.
> Ticket #3302
"""


@pytest.mark.parametrize(("subject", "body"), [
    ("", ""),
    ("   ", "\n \n\t\n"),
    ("RE:", "> Hello, we received your request.\n> Ticket #3302"),
    ("Re: [#3302] Your request", strip_quoted(REPLY_WITH_ONLY_HISTORY)),
    ("", "--\nMartina Kovac\nOperations Coordinator | Riverside Logistics\n+44 20 7946 0018"),
    ("Re: [#2231] Your request", "Best regards,\nTom Becker\nBecker & Sohne GmbH"),
    ("", "Sent from my iPhone"),
])
def test_empty_quoted_only_or_signature_only_is_lowest_with_no_content(
        preset: tuple[Classifier, object], subject: str, body: str) -> None:
    classifier, _ = preset
    result = classifier.classify(subject, body)
    assert result.severity == level(classifier, "low")
    assert rules(result) == {"no_content": ["no content"]}
    assert result.triggers == []


def test_a_subject_that_names_a_problem_is_content(p0p3: Classifier) -> None:
    result = p0p3.classify("Production is down", "--\nJane Doe\nAcme")
    assert result.severity == level(p0p3, "critical") and "no_content" not in rules(result)


def test_signature_text_does_not_vote(p0p3: Classifier) -> None:
    body = ("How do I add a user?\n--\nJane Doe\n"
            "Our lawyers review every email. Unauthorized access is forbidden.")
    result = p0p3.classify("Users", body)
    assert result.severity == level(p0p3, "low") and result.triggers == []


# -- size ----------------------------------------------------------------------------------------------------


def test_a_200_kb_body_classifies(p0p3: Classifier) -> None:
    log = "2024-05-14T02:13:07Z INFO export.worker chunk processed rows=5000 status=ok\n"
    intro = "The nightly export keeps failing with a timeout. Full log below.\n"
    body = intro + log * (200_000 // len(log) + 1)
    assert len(body) > 200_000
    result = p0p3.classify("Export log", body)
    assert result.severity == level(p0p3, "high")
    assert rules(result)["major"] == ["keeps failing"]
