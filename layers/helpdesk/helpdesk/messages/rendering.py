"""Jinja2 rendering of outbound mail. Customer text is only ever passed in as data.

Each message has three templates: `<name>.subject.j2`, `<name>.txt.j2` and `<name>.html.j2`.
HTML is autoescaped; every template is StrictUndefined, so a missing value fails loudly in
tests instead of sending an email with a blank where the ticket number should be.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from helpdesk.mail.parsing import clean_header_text

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=4)
def _environments(override_dir: str | None) -> tuple[Any, Any]:
    import jinja2  # deferred: only paths that send mail pay for the import

    search = [override_dir, str(TEMPLATE_DIR)] if override_dir else [str(TEMPLATE_DIR)]

    def environment(autoescape: bool) -> Any:
        return jinja2.Environment(  # noqa: S701 - autoescape is off only for the plain-text parts
            loader=jinja2.FileSystemLoader(search), undefined=jinja2.StrictUndefined, autoescape=autoescape,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

    return environment(False), environment(True)


def render(name: str, context: dict[str, Any], override_dir: str | None = None) -> Rendered:
    text_env, html_env = _environments(override_dir)
    subject = text_env.get_template(f"{name}.subject.j2").render(context)
    text = text_env.get_template(f"{name}.txt.j2").render(context)
    html = html_env.get_template(f"{name}.html.j2").render(context)
    return Rendered(subject=clean_header_text(subject, 250), text=text, html=html)
