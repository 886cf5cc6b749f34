"""The one Jinja environment. Customer text is only ever passed in as data, never as a template.

Each email has three templates: `<name>.subject.j2`, `<name>.txt.j2` and `<name>.html.j2`. HTML is
autoescaped and the text parts are not; every template is StrictUndefined, so a missing value
fails loudly in tests instead of sending an email with a blank where the ticket number should be.
Pages (the survey page, the report) are HTML templates rendered through the same environment.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from helpdesk.mail.parsing import clean_header_text
from helpdesk.messages.subjects import tidy_subject

TEMPLATE_DIR = Path(__file__).parent / "templates"
_filters: dict[str, Callable[..., Any]] = {}
_globals: dict[str, Any] = {}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def register(*, filters: dict[str, Callable[..., Any]] | None = None, globals_: dict[str, Any] | None = None) -> None:
    """Modules that own a template (reports) add their filters here, before the first render."""
    _filters.update(filters or {})
    _globals.update(globals_ or {})
    _environment.cache_clear()


_LIST_ITEM = re.compile(r"^(\s*(?:[-*|]|\d+\.)\s+)")


def wrap_text(text: str, width: int = 76) -> str:
    """Text parts wrapped between words: each line on its own, list items with a hanging indent.

    Words are never split, so an address or link stays whole even when it is longer than `width`.
    """
    out = []
    for line in str(text).split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        marker = _LIST_ITEM.match(line)
        indent = " " * len(marker.group(1)) if marker else re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
        out.append(textwrap.fill(line, width, subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False))
    return "\n".join(out)


def paragraphs(text: str, style: str = "margin:0 0 10px;") -> Any:
    """Customer or staff text as HTML paragraphs (blank lines) and line breaks, every part escaped."""
    from markupsafe import Markup, escape

    blocks = [b for b in re.split(r"\n\s*\n", str(text or "").replace("\r\n", "\n").strip()) if b.strip()]
    return Markup("").join(Markup('<p style="{}">{}</p>').format(style, Markup("<br>").join(
        escape(line) for line in block.strip().split("\n"))) for block in blocks)


@lru_cache(maxsize=4)
def _environment(override_dir: str | None) -> Any:
    import jinja2  # deferred: only paths that render pay for the import

    from helpdesk.prebuilt.templates import loader  # templates compiled at build time, when unchanged

    search = [override_dir, str(TEMPLATE_DIR)] if override_dir else [str(TEMPLATE_DIR)]
    env = jinja2.Environment(  # noqa: S701 - escaping is chosen per template by its file name
        loader=loader(search), undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["wrap"] = wrap_text
    env.filters["paragraphs"] = paragraphs
    env.filters.update(_filters)
    env.globals.update(_globals)
    return env


def render(name: str, context: dict[str, Any], override_dir: str | None = None) -> Rendered:
    env = _environment(override_dir)
    subject = env.get_template(f"{name}.subject.j2").render(context)
    text = env.get_template(f"{name}.txt.j2").render(context)
    html = env.get_template(f"{name}.html.j2").render(context)
    return Rendered(subject=tidy_subject(clean_header_text(subject, 250)), text=text, html=html)


def render_page(name: str, context: dict[str, Any], override_dir: str | None = None) -> str:
    """A standalone HTML page (`<name>.html.j2`), autoescaped."""
    return str(_environment(override_dir).get_template(f"{name}.html.j2").render(context))


def reset() -> None:
    _environment.cache_clear()
