"""Strip quoted history from replies so only the customer's new words count.

Top-posting (Gmail, Outlook, Apple Mail, iPhone, Yahoo...), bottom-posting (Thunderbird) and inline answers
between `>` lines are handled in the languages listed in quote_markers. When in doubt the text is kept: a
customer's words must never be lost, and forwarded content (an error message, a bounce) always stays.
Pure: no I/O and no logging, so the body never leaves this function.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from helpdesk.mail import quote_markers as markers
from helpdesk.mail.quote_lines import Lines
from helpdesk.mail.quote_scan import QuoteBlock, Scan


@dataclass(frozen=True, slots=True)
class RemovedLines:
    first_line: int  # 1-based, inclusive
    last_line: int
    reason: str  # quoted, wrapped_quote, attribution, header_block, original_message_separator, ...


@dataclass(frozen=True)
class StrippedReply:
    new_text: str
    removed: list[RemovedLines] = field(default_factory=list)
    forwarded: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def strip_quoted(text: str, subject: str = "") -> str:
    return strip_reply(text, subject).new_text


def strip_reply(text: str, subject: str = "") -> StrippedReply:
    """The customer's new text; `subject` (optional) tells a forward ("Fwd:", "WG:", "TR:"...) from a reply."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = Lines(text)
    scan = Scan(lines, forward_subject=bool(markers.FORWARD_SUBJECT.match(subject or "")))
    scan.run()
    removed = _removed_ranges(scan)
    end = scan.cut if scan.cut is not None else len(lines)
    new_text = _join_kept(lines, end, removed)
    if end < len(lines):
        removed.append((end, len(lines) - 1, scan.cut_reason))
    numbers = lines.numbers
    reported = [RemovedLines(numbers[first] + 1, numbers[last] + 1, reason) for first, last, reason in removed]
    return StrippedReply(new_text, reported, forwarded=scan.forward_from is not None)


def _removed_ranges(scan: Scan) -> list[tuple[int, int, str]]:
    """Attributions and the quote blocks judged to be history, in line order, as 0-based ranges."""
    ranges = [(first, last, "attribution") for first, last in scan.attributions]
    for block in _history_blocks(scan):
        ranges.extend(_block_ranges(block))
    ranges.sort()
    return ranges


def _history_blocks(scan: Scan) -> list[QuoteBlock]:
    blocks = [b for b in scan.blocks if scan.cut is None or b.start < scan.cut]
    total = scan.new_text
    middle = sum(1 for b in blocks if not b.attributed and 0 < b.text_before and total > b.text_at_end)
    attributed = any(b.attributed for b in blocks)
    return [b for b in blocks if _is_history(b, total, middle, attributed)]


def _is_history(block: QuoteBlock, total_text: int, middle_blocks: int, attributed: bool) -> bool:
    """Whether a `>` block is history. Several unattributed blocks between new text are inline answers;
    a single one introduced by "here is the code:" is the customer's own paste."""
    if block.attributed or not block.text_before:
        return True  # an attributed quote, or bottom-posting: the quote comes first and the answer below
    if block.colon_before and middle_blocks < 2:
        return False
    if total_text == block.text_at_end:
        return True  # trailing quote under the answer
    return middle_blocks >= 2 or attributed


def _block_ranges(block: QuoteBlock) -> list[tuple[int, int, str]]:
    ranges: list[tuple[int, int, str]] = []
    start = block.start
    for wrapped in block.wrapped or ():
        if wrapped > start:
            ranges.append((start, wrapped - 1, "quoted"))
        ranges.append((wrapped, wrapped, "wrapped_quote"))
        start = wrapped + 1
    if start <= block.end:
        ranges.append((start, block.end, "quoted"))
    return ranges


def _join_kept(lines: Lines, end: int, removed: list[tuple[int, int, str]]) -> str:
    """Kept lines, with runs of blank lines (or of removed ones around them) reduced to one blank line.
    Adjacent kept lines are copied from the text as one slice, so a long body is not rebuilt line by line."""
    pieces: list[str] = []
    run_start, run_last, gap = -1, -2, False
    ranges = iter(removed)
    current = next(ranges, None)
    for k in range(end):
        while current is not None and current[1] < k:
            current = next(ranges, None)
        if current is not None and current[0] <= k:
            gap = gap or not lines.adjacent(k)
        elif run_last == k - 1 and lines.joins_previous(k):
            run_last = k
        else:
            if run_start >= 0:
                pieces.append(lines.text[lines.starts[run_start] : lines.ends[run_last]])
            if pieces and (gap or not lines.adjacent(k)):
                pieces.append("")
            run_start, run_last, gap = k, k, False
    if run_start >= 0:
        pieces.append(lines.text[lines.starts[run_start] : lines.ends[run_last]])
    return pieces[0] if len(pieces) == 1 else "\n".join(pieces)
