"""Review packs as people get them: drawn by Chromium (screenshots in out/test-artifacts/), read
beside the resolution framework's KPI table, produced by the real report function from staff
commands, survey answers and renewals, and run from the command line."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from helpdesk.reports import render_pack
from helpdesk.reports.packs import PackInputs, build_pack
from helpdesk.reports.periods import period_of
from helpdesk_local.cli import main
from helpdesk_local.survey_server import rate
from tests.conftest import make_mail
from tests.reports.test_packs import (
    HISTORY,
    MONTH_LOGS,
    MONTH_TICKETS,
    QUARTER_LOGS,
    QUARTER_TICKETS,
    _with_ack_template,
    typed,
)
from tests.reports.test_reports import ARTIFACTS, AS_OF, LA, ROOT
from tests.survey.conftest import send_survey

SEEDS = Path(os.environ.get("HELPDESK_SEEDS", ROOT.parent / "shared" / "seeds"))
UTC_2027 = datetime.fromisoformat("2027-01-02T00:00:00+00:00")


@pytest.fixture(scope="module")
def packs(november):
    from helpdesk.policy.loader import load_policy

    policy = load_policy("four-level")
    month_tickets, month_logs = typed(MONTH_TICKETS, MONTH_LOGS)
    quarter_tickets, quarter_logs = typed(QUARTER_TICKETS + MONTH_TICKETS, {**MONTH_LOGS, **QUARTER_LOGS})
    snapshots = {"d2": _with_ack_template(policy, "acknowledgment_v2")}
    return {
        "monthly": build_pack("monthly", november, PackInputs(month_tickets, month_logs, [], HISTORY), policy,
                              AS_OF, lambda digest: policy),
        "quarterly": build_pack("quarterly", period_of("2026-Q4", LA),
                                PackInputs(quarter_tickets, quarter_logs, [], HISTORY), policy, UTC_2027,
                                lambda digest: snapshots.get(digest, policy)),
        "annual": build_pack("annual", period_of("2026", LA), PackInputs(quarter_tickets, {}, [], HISTORY), policy,
                             UTC_2027, lambda digest: policy),
    }


@pytest.mark.parametrize("kind", ["monthly", "quarterly", "annual"])
def test_each_pack_renders_in_chromium_like_a_mail_client_would(chromium, packs, kind):
    html = render_pack.html(packs[kind], "Customer Support")
    page = chromium.new_page(viewport={"width": 800, "height": 900})
    try:
        page.set_content(html)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{kind}-pack.png"
        page.screenshot(path=str(shot), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        scripts, sheets = page.evaluate("[document.scripts.length, document.styleSheets.length]")
        charts = page.evaluate("document.querySelectorAll('svg').length")
        # A client that drops SVG (Gmail, Outlook): every trend value is still in the tables.
        page.evaluate("document.querySelectorAll('svg').forEach(s => s.remove())")
        text = page.inner_text("body")
    finally:
        page.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert width <= 800 and scripts == 0 and sheets == 0
    drawn = [t for t in packs[kind].trends if any(p.value is not None for p in t.points)]
    assert charts == len(drawn) > 0
    for trend in drawn:
        assert all(p.cell in text for p in trend.points), trend.key
    heading = {"monthly": "Tickets that breached, with their timelines", "quarterly": "Template effectiveness",
               "annual": "Policy changes during the year"}[kind]
    assert heading in text and "KPIs against the policy's goals" in text


def _seed_kpis() -> list[tuple[str, str]]:
    """(name, target) of each line of the framework's KPI table."""
    text = (SEEDS / "resolution-framework.md").read_text(encoding="utf-8")
    return re.findall(r"^- ([A-Z][A-Za-z -]+?): \[[^\]]*\](?: \[Target: ([^\]]+)\])?", text, re.MULTILINE)


@pytest.mark.skipif(not (SEEDS / "resolution-framework.md").is_file(), reason="the seeds are not beside the clone")
def test_the_packs_kpi_table_reads_beside_the_frameworks(packs):
    seed = _seed_kpis()
    kpis = packs["monthly"].report.kpis
    assert len(seed) == 12
    for (name, target), kpi in zip(seed, kpis, strict=False):  # the same order, the same names
        assert kpi.name.lower().startswith(name.lower().rstrip("s")), (name, kpi.name)
        figure = re.search(r"[\d.]+", target or "")
        if figure and kpi.goal is not None:
            assert float(figure.group()) == kpi.goal, name
            assert kpi.comparison == ("<" if target.startswith("<") else ">=")


# -- the real report function -------------------------------------------------------------------------


def _pack_mail(runtime, kind):
    return [e for e in runtime.emails() if e.message.get("X-Helpdesk-Pack") == kind]


@pytest.mark.slow
def test_packs_from_staff_commands_survey_answers_and_renewals(runtime, tmp_path):
    from helpdesk_local.policy_cli import import_accounts, record_renewal

    directory = tmp_path / "accounts.csv"
    directory.write_text("domain,name,renewal_date,renewal_outcome\n"
                         "customer.example,Customer Co,2026-11-10,renewed\n"
                         "globex.example,Globex,2026-11-12,\n")
    assert import_accounts(runtime.store(), directory, runtime.now()) == 2
    assert record_renewal(runtime.store(), "Globex.example", "churned", runtime.now()).renewal_outcome == "churned"
    number = runtime.deliver(make_mail(message_id="<pack-1@customer.example>"))["ticket"]
    runtime.advance(timedelta(minutes=20))
    runtime.staff_reply(number, "#docscore 11\n#status resolved\nFixed.")  # refused: nothing applies
    assert runtime.ticket(number)["status"] != "resolved"
    runtime.staff_reply(number, "#rootcause A stuck export job.\n#fix Cleared the export queue.\n"
                                "#verified Ran the export twice.\n#prevention Alarm on queue depth.\n"
                                "#lessons Watch the queue after deploys.\n#docscore 8\n"
                                "#kb https://kb.example.com/export-limits\n#status resolved\n\nFixed, please retry.")
    ticket = runtime.ticket(number)
    assert (ticket["fix"], ticket["verified"], ticket["lessons"], ticket["doc_score"]) == (
        "Cleared the export queue.", "Ran the export twice.", "Watch the queue after deploys.", 8)
    assert [a["ref"] for a in ticket["kb_articles"]] == ["https://kb.example.com/export-limits"]
    runtime.advance(timedelta(minutes=5))
    send_survey(runtime, number)
    rate(runtime, number, 4, answers={"effort": 9, "nps": 10, "communication": 5})

    summary = runtime.invoke("ReportFunction", {"pack": "monthly", "of": "2026-11"})
    assert (summary["pack"], summary["period"], summary["opened"], summary["resolved"]) == ("monthly", "2026-11", 1, 1)
    [mail] = _pack_mail(runtime, "monthly")
    assert mail.subject.startswith("[Customer Support] Monthly issue review 2026-11:")
    bucket = runtime.aws.functions["ReportFunction"].environment["REPORT_BUCKET"]
    s3 = runtime.aws.client("s3")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="reports/2026-11/")["Contents"]}
    assert {"reports/2026-11/monthly.html", "reports/2026-11/monthly.csv", "reports/2026-11/monthly.json",
            "reports/2026-11/kpis.json"} <= keys
    data = json.loads(s3.get_object(Bucket=bucket, Key="reports/2026-11/monthly.json")["Body"].read())
    kpis = {k["key"]: k for k in data["report"]["kpis"]}
    assert kpis["documentation_quality"]["value"] == 8.0 and "#docscore" in kpis["documentation_quality"]["basis"]
    assert (kpis["customer_effort"]["value"], kpis["nps"]["value"], kpis["csat"]["value"]) == (9.0, 100.0, 8.0)
    assert kpis["retention_rate"]["value"] == 50.0  # Customer Co renewed (imported), Globex churned (CLI)
    assert kpis["knowledge_base_share"]["value"] == 100.0
    assert "<svg" in mail.body("html")  # the charts travel in the mail
    stored = json.loads(s3.get_object(Bucket=bucket, Key="reports/2026-11/kpis.json")["Body"].read())
    assert stored["kpis"]["customer_effort"] == 9.0

    quarter = runtime.invoke("ReportFunction", {"pack": "quarterly", "of": "2026-Q4"})
    assert quarter["period"] == "2026-Q4" and _pack_mail(runtime, "quarterly")
    audit = json.loads(s3.get_object(Bucket=bucket, Key="reports/2026-Q4/quarterly.json")["Body"].read())["audit"]
    severity = ticket["severity"]
    assert {(t["template"], t["severity"]) for t in audit["templates"]} == {
        (name, severity) for name in ("acknowledgment", "staff_relay", "resolution_summary", "survey_request",
                                      "followup")}  # the day-after follow-up went out while the survey was sent
    year = runtime.invoke("ReportFunction", {"pack": "annual", "of": "2026"})
    assert year["source"]["ticket_queries"] == 0 and year["source"]["policy_snapshots"] == 1
    annual = json.loads(s3.get_object(Bucket=bucket, Key="reports/2026/annual.json")["Body"].read())
    assert [p["tickets"] for p in annual["policies"]] == [1]


def test_staff_commands_for_the_resolution_record_are_checked_and_kept(runtime):
    number = runtime.deliver(make_mail(message_id="<record-1@customer.example>"))["ticket"]
    runtime.staff_reply(number, "#kb\n#docscore ten\n#fix\nWorking on it.")
    ticket = runtime.ticket(number)
    assert not ticket.get("kb_articles") and ticket.get("doc_score") is None and not ticket.get("fix")
    rejected = [e for e in runtime.emails() if "jordan.reyes@example.com" in e.destinations][-1].body()
    for problem in ("#kb needs the article's address or title", "#docscore needs a whole number from 1 to 10",
                    "#fix needs text after it"):
        assert problem in rejected
    runtime.staff_reply(number, "#kb KB-7 Exports\n#kb kb-7 exports\n#kb https://kb.example.com/csv\n#docscore 10\n"
                                "#note\nDocumented.")
    ticket = runtime.ticket(number)
    assert [a["ref"] for a in ticket["kb_articles"]] == ["KB-7 Exports", "https://kb.example.com/csv"]
    assert ticket["doc_score"] == 10


# -- the command line -----------------------------------------------------------------------------------


@pytest.fixture
def private_state(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_STATE", str(tmp_path / "state.json"))


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
def test_renewals_and_packs_from_the_command_line(private_state, tmp_path, capsys):
    directory = tmp_path / "accounts.csv"
    directory.write_text("domain,name,renewal_date,renewal_outcome\nacme.example,Acme,2026-11-05,Renewed\n"
                         "globex.example,Globex,2026-11-06,\n")
    assert _run(capsys, "accounts", "import", str(directory))[0] == 0
    code, out, _ = _run(capsys, "accounts", "churn", "globex.example")
    assert code == 0 and "globex.example: churned (renewal date 2026-11-06)" in out
    code, _, err = _run(capsys, "accounts", "renew", "nobody.example")
    assert code == 1 and "no account 'nobody.example'" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("domain,name,renewal_outcome\nacme.example,Acme,maybe\n")
    code, _, err = _run(capsys, "accounts", "import", str(bad))
    assert code == 1 and "renewal_outcome: 'maybe' is not one of renewed, churned" in err
    system = tmp_path / "system.csv"
    system.write_text("domain,name,renewal_recorded_at\nacme.example,Acme,2026-11-05T00:00:00Z\n")
    code, _, err = _run(capsys, "accounts", "import", str(system))
    assert code == 1 and "renewal_recorded_at" in err  # still set by the system only

    out_file = tmp_path / "november.json"
    code, out, _ = _run(capsys, "report", "--pack", "monthly", "--period", "2026-11", "--format", "json",
                        "--out", str(out_file))
    assert code == 0 and out.startswith("monthly pack 2026-11: 0 opened, 0 resolved, 0 breached, emailed to 1")
    kpis = {k["key"]: k for k in json.loads(out_file.read_text())["report"]["kpis"]}
    assert (kpis["retention_rate"]["value"], kpis["retention_rate"]["basis"]) == (50.0, "1 of 2 renewals kept")
    assert kpis["first_contact_resolution"]["status"] == "not measured"
    for argv in (["report", "--pack", "monthly", "--from", "2026-11-01", "--to", "2026-12-01"],
                 ["report", "--period", "2026-11"], ["report"]):
        assert _run(capsys, *argv)[0] == 2
    with pytest.raises(SystemExit):
        main(["report", "--pack", "monthly", "--period", "November"])


def test_the_template_schedules_the_monthly_and_quarterly_packs():
    from tests.test_template import RESOURCES

    events = RESOURCES["ReportFunction"]["Properties"]["Events"]
    schedules = {name: (e["Properties"]["ScheduleExpression"], json.loads(e["Properties"]["Input"]))
                 for name, e in events.items() if e["Type"] == "ScheduleV2"}
    assert schedules == {"Weekly": ("cron(0 7 ? * MON *)", {"period": "week"}),
                         "Monthly": ("cron(0 7 1 * ? *)", {"pack": "monthly"}),
                         "Quarterly": ("cron(30 7 1 1,4,7,10 ? *)", {"pack": "quarterly"})}
