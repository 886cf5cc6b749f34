"""`python -m helpdesk.prebuilt.build [--check]`: compile the tables in `data/` (or check them).

Run after changing a preset, upgrading `holidays` or `publicsuffixlist`; the suite fails while
a table is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from helpdesk.prebuilt import DATA, HOLIDAY_YEARS, holiday_key, source_digest


def _public_suffixes() -> dict[str, Any]:
    from publicsuffixlist import PublicSuffixList

    parsed = PublicSuffixList()
    return {"rules": sorted(parsed._publicsuffix), "max_labels": parsed._maxlabel}  # noqa: SLF001 - its parse


def _presets() -> dict[str, Any]:
    from helpdesk.policy.loader import load_policy, policy_document, preset_names, preset_sources

    return {name: {"source": source_digest(*preset_sources(name)),
                   "document": policy_document(load_policy(name, prebuilt_ok=False))} for name in preset_names()}


def _holidays(policies: dict[str, Any]) -> dict[str, Any]:
    import holidays

    calendars: dict[str, dict[str, list[str]]] = {}
    for entry in policies.values():
        for calendar in entry["document"].get("calendars", {}).values():
            source = calendar.get("holidays")
            if not source:
                continue
            categories = tuple(source.get("categories") or ())
            key = holiday_key(source["country"], source.get("subdivision"), categories)
            calendars[key] = {str(year): sorted(d.isoformat() for d in holidays.country_holidays(
                source["country"], subdiv=source.get("subdivision"), years=year, categories=categories or None))
                for year in HOLIDAY_YEARS}
    return {"library": holidays.__version__, "calendars": calendars}


def _lexicons() -> dict[str, Any]:
    import yaml

    from helpdesk.classify.lexicon import DATA_DIR

    return {path.stem: {"source": source_digest(text := path.read_text(encoding="utf-8")),
                        "data": yaml.safe_load(text)} for path in sorted(DATA_DIR.glob("lexicon*.yaml"))}


def _templates() -> dict[str, Any]:
    from helpdesk.messages import rendering
    from helpdesk.prebuilt.templates import compile_all
    from helpdesk.reports.formatting import register_template_helpers

    register_template_helpers()  # the report's filters join the environment, so every template compiles

    environment = rendering._environment(None)  # noqa: SLF001 - the one environment, as rendering builds it
    names = sorted(p.name for p in rendering.TEMPLATE_DIR.glob("*.j2"))
    return compile_all(environment, names, lambda name, exc: print(f"not compiled: {name}: {exc}"))


def tables() -> dict[str, Any]:
    policies = _presets()
    return {"policies": policies, "holidays": _holidays(policies), "public_suffixes": _public_suffixes(),
            "lexicons": _lexicons(), "templates": _templates()}


def _text(data: Any) -> str:
    # Key order is kept: it carries meaning (severities and levels are listed from most to least urgent).
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"


def stale(directory: Path = DATA) -> list[str]:
    """Names of the tables whose file differs from what the current inputs compile to."""
    out = []
    for name, data in tables().items():
        path = directory / f"{name}.json"
        if not path.is_file() or path.read_text(encoding="utf-8") != _text(data):
            out.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a table is stale; write nothing")
    args = parser.parse_args(argv)
    if args.check:
        names = stale()
        print("stale: " + ", ".join(names) if names else "prebuilt tables are current")
        return 1 if names else 0
    DATA.mkdir(parents=True, exist_ok=True)
    for name, data in tables().items():
        (DATA / f"{name}.json").write_text(_text(data), encoding="utf-8")
        print(f"wrote {DATA / name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
