"""Message templates compiled by Jinja ahead of time: at run time only Python's own compile of the
generated module remains, not Jinja's lexing, parsing and code generation. A template whose source
changed since the build is compiled by Jinja as usual."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpdesk.prebuilt import source_digest, table


def compiled_source(name: str, source: str) -> str | None:
    entry = table("templates").get(name)
    return entry["python"] if entry and entry["source"] == source_digest(source) else None


def loader(search: list[str]) -> Any:
    import jinja2

    class PrebuiltLoader(jinja2.FileSystemLoader):
        def load(self, environment: Any, name: str, globals: Any = None) -> Any:  # noqa: A002 - Jinja's name
            source, filename, uptodate = self.get_source(environment, name)
            python = compiled_source(name, source)
            if python is None:
                return super().load(environment, name, globals)
            code = compile(python, filename or name, "exec")
            return environment.template_class.from_code(environment, code, environment.make_globals(globals),
                                                        uptodate)

    return PrebuiltLoader(search)


def compile_all(environment: Any, names: list[str], on_error: Callable[[str, Exception], None]) -> dict[str, Any]:
    """Jinja's generated Python for each template, keyed by name, with the digest of its source."""
    out = {}
    for name in names:
        source, _, _ = environment.loader.get_source(environment, name)
        try:
            python = environment.compile(source, name, raw=True)
        except Exception as exc:  # noqa: BLE001 - a template needing run-time filters stays uncompiled
            on_error(name, exc)
            continue
        out[name] = {"source": source_digest(source), "python": python}
    return out
