"""`helpdesk replay`: run .eml files through the real inbound handler on embedded AWS."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from helpdesk_local.runtime import LocalRuntime


def expand(paths: Iterable[str]) -> list[Path]:
    return expand_any(paths, (".eml",))


def expand_any(paths: Iterable[str], suffixes: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{name}: no such file or directory")
    return files


def replay_file(runtime: LocalRuntime, path: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"file": str(path), "outcome": None, "ticket": None, "severity": None,
                           "reason": None, "emails_sent": 0, "error": None}
    try:
        outcome = runtime.deliver(path.read_bytes())
    except Exception as exc:  # noqa: BLE001 - the replay reports handler failures instead of stopping
        cause = f" ({type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
        row["error"] = f"{type(exc).__name__}: {exc}{cause}"
        runtime.collect_emails()
        return row
    row.update(outcome=outcome.get("outcome"), ticket=outcome.get("ticket"), severity=outcome.get("severity"),
               reason=outcome.get("reason"), emails_sent=outcome.get("emails_sent_total", 0))
    return row
