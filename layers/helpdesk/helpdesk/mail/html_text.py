"""HTML-only mail to plain text.

Blockquotes become `> ` prefixed lines, and so does Gmail's quote container unless it holds a forward, so the
quote stripper treats HTML and plain replies alike. Outlook's reply separators (the `#appendonsend` marker,
`#divRplyFwdMsg`, a top-bordered header box, `<hr>`) become the underscore line Outlook writes in plain text.
Hidden elements are dropped, because text a reader cannot see must never reach the classifier or a command.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser

from helpdesk.mail import quote_markers

_BLOCK = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "hr", "section", "article", "header", "footer", "blockquote", "dt", "dd",
}
_SKIP = {"script", "style", "head", "title", "template", "noscript"}
_ENDS_SIBLING = {"li", "dt", "dd", "option", "tr", "td", "th"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|opacity\s*:\s*0(?:\.0+)?\s*(?:;|!|$)|"
    r"font-size\s*:\s*0(?:px|pt|em|rem|%)?\s*(?:;|!|$)",
    re.IGNORECASE,
)
_TOP_BORDER = re.compile(r"border-top\s*:\s*solid", re.IGNORECASE)
OUTLOOK_SEPARATOR = "_" * 32
MAX_TEXT = 2_000_000
_MAX_QUOTE_MARKS = 20  # deeper nesting adds nothing but length ("> " per level on every line)


@dataclass
class _Container:
    """A Gmail quote container: its first line, and the div depth that closes it."""

    first_line: int
    depth: int
    last_line: int | None = None


def _is_hidden(attrs: dict[str, str | None]) -> bool:
    return "hidden" in attrs or bool(_HIDDEN_STYLE.search(attrs.get("style") or ""))


def _starts_outlook_history(tag: str, attrs: dict[str, str | None]) -> bool:
    element_id = (attrs.get("id") or "").lower()
    if element_id in ("appendonsend", "divrplyfwdmsg") or tag == "hr":
        return True
    return tag == "div" and bool(_TOP_BORDER.search(attrs.get("style") or ""))


class _OpenElements:
    """The elements open at this point, closed the way browsers close them: a block ends an open paragraph,
    a new list item ends the previous one, an end tag closes what was opened inside it, a stray one is ignored.
    Stray end tags must not end hidden content early, or text the reader never sees would come through."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.counts: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.names)

    def open(self, tag: str) -> list[tuple[str, int]]:
        """Opens the element; returns the (name, level) of elements this start tag closed."""
        closed = []
        top = self.names[-1] if self.names else ""
        if (top == "p" and tag in _BLOCK) or (top == tag and tag in _ENDS_SIBLING):
            closed.append(self._pop())
        self.names.append(tag)
        self.counts[tag] += 1
        return closed

    def close(self, tag: str) -> list[tuple[str, int]]:
        """Closes the innermost open `tag` and what is open inside it; nothing for a stray end tag."""
        closed: list[tuple[str, int]] = []
        if self.counts[tag]:
            while not closed or closed[-1][0] != tag:
                closed.append(self._pop())
        return closed

    def _pop(self) -> tuple[str, int]:
        level = len(self.names)
        name = self.names.pop()
        self.counts[name] -= 1
        return name, level


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.skip_depth = 0
        self.elements = _OpenElements()
        self.hidden_level: int | None = None  # nesting level of the hidden element being skipped
        self.div_depth = 0
        self.containers: list[_Container] = []
        self.size = 0

    def _flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self.current)).strip()
        self.current = []
        if text or (self.lines and self.lines[-1] != ""):
            self.lines.append("> " * min(self.quote_depth, _MAX_QUOTE_MARKS) + text if text else "")

    def _separator(self) -> None:
        self._flush()
        if OUTLOOK_SEPARATOR not in self.lines[-2:]:
            self.lines.append(OUTLOOK_SEPARATOR)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {name.lower(): value for name, value in attrs}
        if tag in _VOID:
            if self.hidden_level is None and tag in _BLOCK:
                self._open_block(tag, named)
            return
        for name, level in self.elements.open(tag):
            self._closed(name, level)
        if self.hidden_level is not None:
            return
        if _is_hidden(named):
            self.hidden_level = len(self.elements)
        elif tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self._open_block(tag, named)

    def _open_block(self, tag: str, attrs: dict[str, str | None]) -> None:
        if _starts_outlook_history(tag, attrs) and self.quote_depth == 0:
            self._separator()
        else:
            self._flush()
        if tag == "div":
            self.div_depth += 1
            if "gmail_quote" in (attrs.get("class") or "").split() and not self._in_container():
                self.containers.append(_Container(len(self.lines), self.div_depth))
        elif tag == "blockquote":
            self.quote_depth += 1
        elif tag == "li":
            self.current.append("- ")

    def _in_container(self) -> bool:
        return bool(self.containers) and self.containers[-1].last_line is None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.hidden_level is None and tag in _BLOCK:
            self._open_block(tag, {name.lower(): value for name, value in attrs})

    def handle_endtag(self, tag: str) -> None:
        for name, level in self.elements.close(tag):
            self._closed(name, level)

    def _closed(self, tag: str, level: int) -> None:
        """An element ended, by its end tag or implicitly; ends inside hidden content are not seen."""
        if self.hidden_level is not None:
            if level == self.hidden_level:
                self.hidden_level = None
            return
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self._flush()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "div":
                self._close_div()

    def _close_div(self) -> None:
        if self._in_container() and self.div_depth == self.containers[-1].depth:
            self.containers[-1].last_line = len(self.lines)
        self.div_depth = max(0, self.div_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth or self.hidden_level is not None or self.size > MAX_TEXT:
            return
        self.size += len(data)
        self.current.append(data.replace("\n", " "))

    def quoted_lines(self) -> list[str]:
        """The collected lines, with Gmail quote containers marked as quotes unless they hold a forward."""
        lines = self.lines
        for container in self.containers:
            end = len(lines) if container.last_line is None else container.last_line
            body = [k for k in range(container.first_line, end) if lines[k].strip()]
            if not body or quote_markers.is_forward_marker(lines[body[0]]):
                continue
            for k in range(container.first_line, end):
                lines[k] = "> " + lines[k] if lines[k] else ">"
        return lines


def html_to_text(html: str) -> str:
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # noqa: BLE001 - HTMLParser is lenient, but never let markup kill a ticket
        pass
    collector._flush()
    return "\n".join(collector.quoted_lines()).strip()
