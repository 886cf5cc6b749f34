"""One top-to-bottom pass over a reply that finds where quoted history lives.

The pass stops at the first line that starts unquoted history (a header block, an "Original Message"
separator, an attribution followed by unquoted text, or whatever follows a mobile signature), or at a
forward marker, after which everything is the customer's own forwarded content. `>` blocks seen on the way
are collected and judged afterwards, once it is known whether new text surrounds them.
Indexes are positions in Lines (non-blank lines only). Each line is looked at a bounded number of times,
so the pass is linear in the size of the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk.mail import quote_markers as m
from helpdesk.mail.quote_lines import Lines

_WRAP_MIN = 60  # a quoted line this long was probably re-wrapped by the client
_SENTENCE_END = (".", "!", "?", ":", ";", "。", "！", "？")
_SEPARATOR_START = tuple("-_=*~")
# Real threads have a few dozen quote blocks. Past this many the rest of the body is kept as it is, so a
# crafted body of alternating lines cannot make the report (one entry per block) grow without bound.
MAX_QUOTE_BLOCKS = 5_000


@dataclass(slots=True)
class QuoteBlock:
    start: int
    end: int  # inclusive
    attributed: bool
    text_before: int  # new-text lines seen before the block
    text_at_end: int = 0
    colon_before: bool = False
    wrapped: list[int] | None = None


@dataclass
class Scan:
    lines: Lines
    forward_subject: bool = False
    blocks: list[QuoteBlock] = field(default_factory=list)
    attributions: list[tuple[int, int]] = field(default_factory=list)
    new_text: int = 0
    last_text: str = ""
    cut: int | None = None
    cut_reason: str = ""
    forward_from: int | None = None
    closes: dict[int, bool] = field(default_factory=dict)

    def run(self) -> None:
        i, n = 0, len(self.lines)
        while i < n and self.cut is None and self.forward_from is None and len(self.blocks) < MAX_QUOTE_BLOCKS:
            if m.QUOTE.match(self.lines[i]):
                i = self._quote_block(i, attributed=False)
            else:
                i = self._unquoted(i)

    # -- history starts -------------------------------------------------------------------------
    def _history_at(self, i: int, reason: str) -> None:
        """Everything from line i on is old, unless the customer is forwarding it."""
        if self.forward_subject or (reason == "header_block" and not self.new_text):
            self.forward_from = i
            return
        start = i
        while start > 0 and m.RULE_ONLY.match(self.lines[start - 1]):
            start -= 1  # the "====" or underscore line drawn above the old message belongs to it
            self.new_text -= 1
        self.cut, self.cut_reason = start, reason

    def _unquoted(self, i: int) -> int:
        line = self.lines[i]
        separator = line.lstrip().startswith(_SEPARATOR_START)
        if (separator or len(line) < 80) and m.is_forward_marker(line):
            self.forward_from = i
        elif separator and m.is_original_separator(line):
            self._history_at(i, "original_message_separator")
        elif self._header_block_at(i) or (separator and m.UNDERSCORE_SEPARATOR.match(line) and self._header_below(i)):
            self._history_at(i, "header_block")
        else:
            return self._attribution_or_text(i)
        return i + 1

    def _header_below(self, i: int) -> bool:
        below = i + 1
        return below < len(self.lines) and self.lines.numbers[below] <= self.lines.numbers[i] + 2 and (
            self._header_block_at(below)
        )

    def _header_block_at(self, i: int) -> bool:
        if ":" not in self.lines[i] and "：" not in self.lines[i]:
            return False
        kinds: set[str] = set()
        evidence = misses = 0
        for k in range(i, min(i + 8, len(self.lines))):
            if k > i and not self.lines.adjacent(k):
                break
            line = self.lines[k]
            found = m.header_field(line)
            if found is None:
                misses += 1
                if k == i or misses > 1:
                    break
            else:
                kinds.add(found[0])
            evidence += "@" in line or (found is not None and found[0] == "date" and bool(m.DIGIT.search(line)))
        return "from" in kinds and (len(kinds) >= 3 or (len(kinds) >= 2 and evidence > 0))

    # -- attributions and signatures --------------------------------------------------------------
    def _attribution_or_text(self, i: int) -> int:
        end = self._attribution_end(i)
        if end is not None:
            return self._attribution(i, end)
        self._count_text(self.lines[i])
        following = i + 1
        if following < len(self.lines) and self.new_text > 1 and m.is_mobile_signature(self.lines[i]):
            if m.is_forward_marker(self.lines[following]):
                self.forward_from = following
            elif not m.QUOTE.match(self.lines[following]):
                self.cut, self.cut_reason = following, "mobile_signature_history"
        return i + 1

    def _attribution(self, i: int, end: int) -> int:
        following = end + 1 if end + 1 < len(self.lines) else None
        start = i + self._text_head(i, end)
        for k in range(i, min(start, end + 1)):
            self._count_text(self.lines[k])
        if following is not None and not m.QUOTE.match(self.lines[following]):
            self._history_at(start if start <= end else following, "attribution")
            return end + 1
        if self.forward_subject:
            self.forward_from = i
            return end + 1
        if start <= end:
            self.attributions.append((start, end))
        return end + 1 if following is None else self._quote_block(following, attributed=True)

    def _text_head(self, i: int, end: int) -> int:
        """Lines of new text glued in front of the attribution ("reply On Wed, ... wrote:"); kept whole."""
        if m.ATTRIBUTION_START.match(self.lines[i]):
            return 0
        for k in range(i, end + 1):
            line = self.lines[k]
            found = m.MIDLINE_OPENER.search(line)
            if found and line[: found.start()].strip():
                rest = (self.lines[j].strip() for j in range(k + 1, end + 1))
                if m.is_attribution(" ".join([line[found.start() :].strip(), *rest]), True):
                    return k - i + 1
        return 0

    def _attribution_end(self, i: int) -> int | None:
        """Last line of an attribution that starts at line i (it may be wrapped over three lines)."""
        last = min(i + 3, len(self.lines))
        if not any(self._may_close(j) for j in range(i, last) if j == i or self.lines.adjacent(j)):
            return None  # the common case, decided without a regular expression
        first = self.lines[i]
        opens = bool(m.ATTRIBUTION_START.match(first))
        if not (opens or not self.lines.adjacent(i) or "<" in first or "@" in first) or m.is_mobile_signature(first):
            return None
        end = self._attribution_window(i)
        if end is not None and end > i and m.ATTRIBUTION_START.match(self.lines[i + 1]):
            # "Hello" right above "02.04.2012 14:20 Bob <b@x> wrote:" is text: the attribution opens below it.
            return None if self._attribution_window(i + 1) == end else end
        return end

    def _attribution_window(self, i: int) -> int | None:
        parts: list[str] = []
        for j in range(i, min(i + 3, len(self.lines))):
            line = self.lines[j]
            if (j > i and not self.lines.adjacent(j)) or m.QUOTE.match(line) or len(line) > m.MAX_MARKER_LINE:
                return None
            parts.append(line.strip())
            if not self._may_close(j):
                continue
            quoted = j + 1 < len(self.lines) and bool(m.QUOTE.match(self.lines[j + 1]))
            if m.is_attribution(" ".join(parts), quoted):
                return j
        return None

    def _may_close(self, j: int) -> bool:
        """Whether line j can end an attribution; remembered, since up to three windows ask about it."""
        if j not in self.closes:
            if len(self.closes) > 8:
                self.closes.clear()
            self.closes[j] = _may_close_attribution(self.lines[j])
        return self.closes[j]

    def _count_text(self, line: str) -> None:
        self.new_text += 1
        self.last_text = line

    def _introduces_paste(self) -> bool:
        """A colon line such as "Here is the output:" above `>` lines introduces the customer's own paste;
        an unknown client's attribution also ends with a colon, but it names a date or an address."""
        text = self.last_text
        return text.endswith((":", "：")) and "@" not in text and not m.DIGIT.search(text)

    # -- quoted blocks ---------------------------------------------------------------------------
    def _quote_block(self, i: int, attributed: bool) -> int:
        block = QuoteBlock(i, i, attributed, self.new_text, colon_before=self._introduces_paste())
        k, n = i, len(self.lines)
        while k < n:
            if m.QUOTE.match(self.lines[k]):
                block.end = k
            elif self._wrapped_continuation(k):
                block.wrapped = [*(block.wrapped or ()), k]
                block.end = k
            else:
                break
            k += 1
        block.text_at_end = self.new_text
        self.blocks.append(block)
        return block.end + 1

    def _wrapped_continuation(self, k: int) -> bool:
        """An unquoted line the client re-wrapped out of the long quoted line just above it."""
        if not self.lines.adjacent(k) or not m.QUOTE.match(self.lines[k - 1]):
            return False
        line, previous = self.lines[k], self.lines[k - 1]
        after = self.lines[k + 1] if self.lines.adjacent(k + 1) else ""
        first = line.lstrip()[:1]
        if m.QUOTE.match(after) and not first.isupper():
            return True  # a fragment such as "_nonce=3dd518)" caught between two quoted lines
        if len(previous) < _WRAP_MIN or previous.endswith(_SENTENCE_END):
            return False
        return bool(m.QUOTE.match(after)) or first.islower()


def _may_close_attribution(line: str) -> bool:
    if line.endswith((":", "：", "-", ">")) or line.endswith(m.CJK_VERB_ENDINGS):
        return True
    words = line[-40:].split()
    return bool(words) and words[-1].lower() in m.VERB_LAST_WORDS
