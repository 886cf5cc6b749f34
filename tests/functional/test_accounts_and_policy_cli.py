"""The account directory, `helpdesk policy`, `helpdesk classify` and `helpdesk accounts` as users run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpdesk_local.cli import main
from tests.conftest import ROOT, make_mail


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_STATE", str(tmp_path / "state.json"))


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_accounts_import_and_list(capsys):
    code, out, _ = _run(capsys, "accounts", "import", str(ROOT / "events/accounts.yaml"))
    assert code == 0 and "imported 4 accounts" in out
    code, out, _ = _run(capsys, "accounts", "list", "--json")
    accounts = {a["domain"]: a for a in json.loads(out)}
    assert accounts["globex.example"]["arr"] == 2_400_000
    assert accounts["globex.example"]["flags"] == ["fortune500", "reference", "strategic"]
    assert accounts["mercyhealth.example"]["industry"] == "healthcare"
    assert accounts["initech.example"]["customer_since"] == "2026-10-12"


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(capsys, tmp_path):
    good_then_bad = tmp_path / "accounts.csv"
    good_then_bad.write_text("domain,name,arr,flags,csm_email\n"
                             "acme.example,Acme,250k,fortune500,ann@example.com\n"
                             "not a domain,Broken,-3,,\n"
                             "beta.example,Beta,10,shiny,not-an-email\n")
    code, _, err = _run(capsys, "accounts", "import", str(good_then_bad))
    assert code == 1 and "nothing imported" in err
    assert f"{good_then_bad}:3: domain" in err and f"{good_then_bad}:3: arr" in err
    assert f"{good_then_bad}:4: flags" in err and f"{good_then_bad}:4: csm_email" in err
    code, out, _ = _run(capsys, "accounts", "list", "--json")
    assert json.loads(out) == []


def test_yaml_errors_carry_line_numbers(capsys, tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n  - domain: ok.example\n    name: Ok\n  - domain: ok.example\n    name: Twice\n"
                    "  - domain: x.example\n    nme: typo\n")
    code, _, err = _run(capsys, "accounts", "import", str(path))
    assert code == 1
    assert f"{path}:4: domain: ok.example already given on line 2" in err
    assert f"{path}:6: name" in err and f"{path}:6: nme: Extra inputs are not permitted" in err


def test_subdomains_resolve_to_parent_and_unknown_gets_default(runtime):
    from helpdesk_local.policy_cli import import_accounts

    import_accounts(runtime_store(runtime), ROOT / "events/accounts.yaml")
    outcome = runtime.deliver(make_mail(sender="ops@eu.mail.globex.example", subject="Login page is down",
                                        body="The platform is down for our stores."))
    ticket = runtime.ticket(outcome["ticket"])
    assert ticket["account_domain"] == "globex.example"
    assert ticket["modifiers"] == ["strategic_accounts"]
    assert ticket["first_response_due"] == "2026-11-23T17:07:30Z"  # 15 minutes, 50% faster
    ack = " ".join(runtime.emails()[0].body().split())
    assert "Who is on it: Jordan Reyes, Customer Success Manager, jordan.reyes@example.com, phone" in ack
    other = runtime.deliver(make_mail(sender="someone@unknown-co.example", message_id="<u@x>"))
    assert runtime.ticket(other["ticket"])["account_domain"] == "*"


def runtime_store(runtime):
    from helpdesk.adapters.aws.store import Store

    return Store(runtime.table())


def test_policy_check_ok_and_errors(capsys, tmp_path):
    assert _run(capsys, "policy", "check", "p0-p3")[:2] == (0, "ok\n")
    bad = tmp_path / "bad.yaml"
    text = (ROOT / "layers/helpdesk/helpdesk/policy/presets/p0-p3.yaml").read_text()
    bad.write_text(text.replace("first_response: 15m", "first_response: soon"))
    code, out, _ = _run(capsys, "policy", "check", str(bad))
    assert code == 1
    assert f"{bad}: severities.P0.first_response: expected a duration like '15m'" in out
    bad.write_text(text.replace("L3, raise", "L9, raise"))
    code, out, _ = _run(capsys, "policy", "check", str(bad))
    assert code == 1 and "triggers.security_incident.escalate_to: unknown escalation level 'L9'" in out


def test_policy_simulate_json_respects_business_time(capsys):
    code, out, _ = _run(capsys, "policy", "simulate", "--policy", "p0-p3", "--severity", "P2",
                        "--at", "2026-11-25T18:00:00-08:00", "--json")
    assert code == 0
    result = json.loads(out)
    first = next(d for d in result["due"] if d["kind"] == "first_response")
    # 24 business hours from Wed 18:00: 1h Wed, Thanksgiving closed, 12h Fri, 11h Mon -> Mon 18:00.
    assert first["local"] == "Mon 2026-11-30 18:00 PST"
    kinds = {d["kind"] for d in result["due"]}
    assert {"first_response", "update", "warning", "escalation", "resolution"} <= kinds


def test_policy_simulate_accepts_aliases_and_rejects_unknown(capsys):
    assert _run(capsys, "policy", "simulate", "--severity", "critical", "--at", "2026-11-23T09:00:00-08:00")[0] == 0
    code, _, err = _run(capsys, "policy", "simulate", "--severity", "P9", "--at", "2026-11-23T09:00:00-08:00")
    assert code == 2 and "unknown severity" in err


def test_classify_json_fields(capsys, tmp_path):
    eml = tmp_path / "outage.eml"
    eml.write_bytes(make_mail(subject="Site down", body="Our production site is down, $20k per hour lost."))
    txt = tmp_path / "question.txt"
    txt.write_text("How do I export reports?\nIs it possible to export as CSV? No rush.")
    code, out, _ = _run(capsys, "classify", "--json", str(eml), str(txt))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [Path(r["file"]).name for r in rows] == ["outage.eml", "question.txt"]
    assert set(rows[0]) >= {"file", "severity", "issue_type", "triggers", "emotion", "evidence"}
    assert rows[0]["severity"] == "P0" and "outage" in rows[0]["triggers"]
    assert rows[1]["severity"] == "P3"
