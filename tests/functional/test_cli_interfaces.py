"""The operator and check interfaces: parse, policy show/simulate, classify with an account, replay of
mail in every container format, scenario ticket references and retrying parked work."""

from __future__ import annotations

import json
import mailbox
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from helpdesk_local.cli import main
from tests.conftest import make_mail


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_STATE", str(tmp_path / "state.json"))


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_parse_shows_the_real_sender_the_new_text_and_what_was_stripped(capsys, tmp_path):
    spoof = tmp_path / "spoof"  # no .eml suffix: any message file is read
    spoof.write_bytes(make_mail(sender='"ada@customer.example" <mallory@evil.example>',
                                body="Please reset my password.\n\nOn Mon, 23 Nov 2026, Support wrote:\n> hi\n"))
    code, out, _ = _run(capsys, "parse", str(spoof), "--json")
    row = json.loads(out)
    assert code == 0
    assert row["sender"]["address"] == "mallory@evil.example"  # the display name is never the address
    assert "display_name_address_mismatch" in row["sender"]["problems"] or \
        "display_name_is_an_address" in row["sender"]["problems"]
    assert row["new_text"] == "Please reset my password."
    assert {r["reason"] for r in row["stripped"]["removed"]} >= {"quoted"}
    assert row["robot"] is None and row["classification"]["severity"]


def test_parse_names_the_robot_and_its_reason(capsys, tmp_path):
    ooo = tmp_path / "ooo.eml"
    ooo.write_bytes(make_mail(subject="Automatische Antwort: Bericht", body=(
        "Vielen Dank für Ihre Nachricht. Ich bin bis zum 11. Dezember nicht im Büro und habe keinen Zugriff "
        "auf meine E-Mails.")))
    code, out, _ = _run(capsys, "parse", str(ooo), "--json")
    row = json.loads(out)
    assert code == 0 and row["robot"]["kind"] == "out_of_office" and row["drop_reason"]


def test_policy_show_prints_the_resolved_policy_as_json(capsys):
    code, out, _ = _run(capsys, "policy", "show", "p1-p4", "--json")
    policy = json.loads(out)
    assert code == 0 and policy["name"] == "p1-p4"
    assert set(policy["severities"]) == {"P1", "P2", "P3", "P4"}
    assert policy["lifecycle"]["reopen_window"]  # defaults are filled in


def test_simulate_takes_several_instants_and_inline_account_facts(capsys):
    code, out, _ = _run(capsys, "policy", "simulate", "--severity", "P1", "--json", "--flags", "fortune500",
                        "--arr", "2.4M", "--at", "2026-11-27T18:55:00-08:00", "--at", "2026-11-30T09:00:00-08:00")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["opened_at"] for r in results] == ["2026-11-27T18:55:00-08:00",
                                                                  "2026-11-30T09:00:00-08:00"]
    assert all(r["modifiers"] and r["factor"] == 0.5 for r in results)  # Fortune 500: 50% faster


def test_simulate_reads_json_lines_from_stdin(capsys, monkeypatch):
    import io

    lines = [{"at": "2026-11-27T18:55:00-08:00", "severity": "P0"},
             {"at": "2026-11-27T18:55:00-08:00", "severity": "P3", "flags": "fortune500"}]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(json.dumps(x) for x in lines) + "\n"))
    code, out, _ = _run(capsys, "policy", "simulate", "--at", "-", "--json")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["severity"] for r in results] == ["P0", "P3"]
    assert results[0]["modifiers"] == [] and results[1]["modifiers"]


def test_simulate_without_a_severity_is_refused_with_a_reason(capsys):
    code, _, err = _run(capsys, "policy", "simulate", "--at", "2026-11-27T18:55:00-08:00")
    assert code == 2 and "severity" in err


def test_classify_with_inline_account_context_fires_industry_triggers(capsys, tmp_path):
    mail = tmp_path / "records.eml"
    mail.write_bytes(make_mail(subject="Wrong patient shown",
                               body="One of our nurses opened a chart and saw another patient's records."))
    _, plain, _ = _run(capsys, "classify", str(mail), "--json")
    code, hospital, _ = _run(capsys, "classify", str(mail), "--json", "--industry", "healthcare")
    assert code == 0 and "hipaa" in json.loads(hospital)["triggers"]
    assert json.loads(plain)["file"] == str(mail)


def _maildir_and_mbox(tmp_path: Path) -> tuple[Path, Path]:
    maildir = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for i in range(2):
        maildir.add(make_mail(message_id=f"<md{i}@customer.example>", subject=f"Maildir question {i}"))
    box = mailbox.mbox(str(tmp_path / "archive.mbox"))
    for i in range(3):
        box.add(make_mail(sender=f"b{i}@other{i}.example", message_id=f"<mb{i}@x>", subject=f"Mbox {i}"))
    box.flush()
    return tmp_path / "Maildir", tmp_path / "archive.mbox"


def test_replay_accepts_maildirs_mbox_files_and_files_without_a_suffix(capsys, tmp_path):
    maildir, mbox = _maildir_and_mbox(tmp_path)
    plain = tmp_path / "message-without-suffix"
    plain.write_bytes(make_mail(sender="c@third.example", message_id="<plain@x>", subject="No suffix"))
    code, out, err = _run(capsys, "replay", str(maildir), str(mbox), str(plain), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 6
    assert [r["file"].rsplit("#", 1)[-1] for r in rows if "archive.mbox" in r["file"]] == ["1", "2", "3"]
    assert {r["outcome"] for r in rows} <= {"created", "threaded"}
    assert "replayed: 6 of 6" in err  # progress goes to stderr, never into the JSON lines


def test_scenario_steps_can_refer_to_the_tickets_it_created(capsys, tmp_path):
    scenario = {
        "name": "references", "description": "ack and resolve by reference", "policy": "p0-p3",
        "start": "2026-11-23T09:00:00-08:00",
        "steps": [
            {"at": "+0m", "email": {"from": "ada@customer.example", "subject": "First", "body": "A question."}},
            {"at": "+1m", "email": {"from": "bo@other.example", "subject": "Second", "body": "Another one."}},
            {"at": "+5m", "ack": {"ticket": "first", "by": "jordan@example.com"}},
            {"at": "+6m", "staff_reply": {"ticket": "#2", "from": "jordan.reyes@example.com",
                                          "body": "#status resolved\nAll set."}},
            {"at": "+7m", "note": {"ticket": "last", "text": "Checked twice.", "public": False}},
        ]}
    path = tmp_path / "refs.yaml"
    path.write_text(yaml.safe_dump(scenario))
    code, out, err = _run(capsys, "scenario", "run", str(path), "--json")
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert any(e["kind"] == "acknowledged" and e["ticket"] == 1001 for e in events)
    assert any(e["kind"] == "status_changed" and e["ticket"] == 1002 and e["status"] == "resolved" for e in events)
    assert any(e["kind"] == "note_added" and e["ticket"] == 1002 for e in events)
    bad = dict(scenario, steps=[*scenario["steps"][:1], {"at": "+2m", "ack": {"ticket": "#5"}}])
    path.write_text(yaml.safe_dump(bad))
    code, _, err = _run(capsys, "scenario", "run", str(path))
    assert code == 2 and "#5" in err and "1 tickets created so far" in err


def test_parked_work_shows_in_show_and_runs_again_with_retry(capsys, runtime, monkeypatch):
    from helpdesk.core.errors import PermanentSendError
    from helpdesk_local.target import save_state

    outcome = runtime.deliver(make_mail(message_id="<retry@customer.example>"))
    number = outcome["ticket"]
    from helpdesk.adapters.aws.mailer import Mailer

    def reject(self, source, destinations, raw):
        raise PermanentSendError("MessageRejected")

    monkeypatch.setattr(Mailer, "send_raw", reject)
    runtime.advance(timedelta(hours=30))
    runtime.sweep()  # the customer update is rejected: parked, recorded, reported
    monkeypatch.undo()
    parked = [i for i in runtime.ticket_items(number) if i.get("type") == "due" and i.get("status") == "failed"]
    assert parked and all("due_shard" not in i for i in parked)
    save_state(runtime)
    code, out, _ = _run(capsys, "show", str(number))
    assert code == 0 and "Parked after failing" in out and "DUE#" not in out
    code, out, _ = _run(capsys, "retry", str(number))
    assert code == 0 and "due again" in out
