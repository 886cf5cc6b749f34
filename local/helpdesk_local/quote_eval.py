"""How well quote stripping finds the customer's new text, on fixtures with a known answer.

    python -m helpdesk_local.quote_eval [--show] [--only SET] [--external DIR] [--library NAME] [--bench]

Sets: tuned and held-out fixtures under tests/fixtures/replies-multilingual/, the talon replies in
../shared/corpus/replies-talon (skipped when absent), and every *.json under --external (default
tests/fixtures/replies-external/; a list of {"name", "text", "expected", "forwarded"?}).
"Lost" counts replies whose output misses a word of the expected text. --library measures quotequail or
mail-parser-reply instead (install them by hand; they are not dependencies). --bench times 30 MB bodies.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from helpdesk.mail.parsing import parse_mail
from helpdesk.mail.quotes import strip_reply

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "replies-multilingual"
EXTERNAL = ROOT / "tests" / "fixtures" / "replies-external"
# The shared corpus sits beside the clone (CI) or beside the worktrees folder (development).
TALON = next((p / "shared" / "corpus" / "replies-talon" for p in ROOT.parents[:2] if (p / "shared").is_dir()),
             ROOT.parent / "shared" / "corpus" / "replies-talon")
_WORD = re.compile(r"\w+")


@dataclass
class Case:
    name: str
    text: str
    expected: str
    subject: str = ""
    forwarded: bool | None = None


Stripper = Callable[[Case], tuple[str, bool]]


def normalise(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out)


def lost_words(expected: str, actual: str) -> set[str]:
    return set(_WORD.findall(expected.lower())) - set(_WORD.findall(actual.lower()))


def _eml_case(path: Path, expected: str) -> Case:
    mail = parse_mail(path.read_bytes())
    return Case(path.stem, mail.text, expected, mail.subject)


def fixture_cases(folder: Path) -> Iterator[Case]:
    for expected_file in sorted(folder.glob("*.expected.txt")):
        stem = expected_file.name.removesuffix(".expected.txt")
        expected = expected_file.read_text(encoding="utf-8")
        forwarded = "forward" in stem
        if (folder / f"{stem}.eml").exists():
            case = _eml_case(folder / f"{stem}.eml", expected)
        else:
            case = Case(stem, (folder / f"{stem}.txt").read_text(encoding="utf-8"), expected)
        case.forwarded = forwarded
        yield case


def talon_cases(folder: Path) -> Iterator[Case]:
    for eml in sorted(folder.glob("*.eml")):
        expected_file = folder / f"{eml.stem}_reply_text"
        yield _eml_case(eml, expected_file.read_text() if expected_file.exists() else "Hello")


def external_cases(path: Path) -> Iterator[Case]:
    for row in json.loads(path.read_text(encoding="utf-8")):
        yield Case(row["name"], row["text"], row["expected"], forwarded=row.get("forwarded"))


def ours(case: Case) -> tuple[str, bool]:
    reply = strip_reply(case.text, case.subject)
    return reply.new_text, reply.forwarded


def library(name: str) -> Stripper:
    """Adapters for the libraries the brief asked to compare (installed by hand, not dependencies)."""
    if name == "quotequail":
        import quotequail

        def run(case: Case) -> tuple[str, bool]:
            parts = quotequail.quote(case.text, quote_intro_line=True)
            return (parts[0][1] if parts and parts[0][0] else ""), False

        return run
    from mailparser_reply import EmailReplyParser

    parser = EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl", "da", "sv", "pl", "cs", "ja", "ko", "zh"])
    return lambda case: (parser.parse_reply(case.text) or "", False)


def score(title: str, cases: list[Case], strip: Stripper, show: bool) -> dict:
    exact = lost = forward_wrong = 0
    for case in cases:
        actual, forwarded = strip(case)
        ok = normalise(actual) == normalise(case.expected)
        missing = lost_words(case.expected, actual)
        exact += ok
        lost += bool(missing)
        forward_wrong += case.forwarded is not None and strip is ours and forwarded != case.forwarded
        if show and not ok:
            print(f"--- {title}/{case.name} (lost: {sorted(missing)[:8]})\n{normalise(actual)}\n--- expected\n"
                  f"{normalise(case.expected)}\n")
    total = len(cases) or 1
    return {"set": title, "replies": len(cases), "exact": exact, "exact_pct": round(100 * exact / total, 1),
            "lost_new_text": lost, "forward_flag_wrong": forward_wrong}


def collect(external: Path | None) -> dict[str, list[Case]]:
    sets = {"tuned": list(fixture_cases(FIXTURES)), "held-out": list(fixture_cases(FIXTURES / "heldout"))}
    if TALON.is_dir():
        sets["talon"] = list(talon_cases(TALON))
    if external:
        for path in sorted(external.glob("*.json")):
            sets[path.stem] = list(external_cases(path))
    return sets


_LOG_LINE = "2026-01-08 10:15:00 INFO worker-3 processed job 88213 in 0.42s status=ok queue=default\n"
_ATTRIBUTION = "On Mon, Jan 8, 2018 at 10:15 AM Support <support@example.com> wrote:\n"


def bench_bodies(size: int) -> dict[str, str]:
    """Synthetic bodies of about `size` characters, shaped like the worst real cases."""
    lines = size // len(_LOG_LINE)
    return {
        "log pasted as new text": "Hello, the log is below:\n\n" + _LOG_LINE * lines,
        "reply over a long > quote": "Thanks, fixed.\n\n" + _ATTRIBUTION + ("> " + _LOG_LINE) * lines,
        "inline answers": "> a question that was quoted here\nthe answer to it\n\n" * (size // 52),
        "blank lines only": "\n" * size,
    }


def bench(size: int = 30_000_000) -> None:
    import time
    import tracemalloc

    for name, body in bench_bodies(size).items():
        started, cpu = time.perf_counter(), time.process_time()
        strip_reply(body)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        tracemalloc.start()
        strip_reply(body)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:<28}{len(body) / 1e6:6.1f} MB {seconds:6.2f} s ({cpu:.2f} s CPU)  peak {peak / 1e6:6.1f} MB "
              f"({peak / len(body):.2f}x the body)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quote_eval", description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every reply that is not exact")
    parser.add_argument("--external", type=Path, default=EXTERNAL, help="folder of *.json fixture lists")
    parser.add_argument("--library", choices=["quotequail", "mail-parser-reply"], help="measure a library instead")
    parser.add_argument("--only", help="only the set with this name")
    parser.add_argument("--bench", action="store_true", help="time 30 MB bodies instead (with peak memory)")
    args = parser.parse_args(argv)
    if args.bench:
        bench()
        return 0
    strip = library(args.library) if args.library else ours
    print(f"{'set':<20}{'replies':>8}{'exact':>8}{'exact %':>9}{'lost':>6}{'fwd flag wrong':>16}")
    for title, cases in collect(args.external).items():
        if args.only and title != args.only:
            continue
        row = score(title, cases, strip, args.show)
        print(f"{title:<20}{row['replies']:>8}{row['exact']:>8}{row['exact_pct']:>9}{row['lost_new_text']:>6}"
              f"{row['forward_flag_wrong']:>16}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
