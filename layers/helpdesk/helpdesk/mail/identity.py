"""Who wrote a message: addresses read strictly from the undecoded header, never from a display name.

A display name is text for people. `"ada@customer.example" <mallory@evil.example>` is Mallory, in
any spelling: quoted, unquoted, RFC 2047 encoded, or hidden in a comment. Each header is split into
entries on the raw text; each entry goes through the `email.headerregistry` parser, and where that
parser gives up or guesses (it takes the first address-like text of an invalid entry), the
angle-addr, the part mail clients and DMARC read as the address, decides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from email import policy

from helpdesk.mail.headertext import INVISIBLE, clean_header_text, decode_words

MAX_ENTRIES = 100
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|\((?:[^()\\]|\\.)*\)?|<[^<>]*>?|[,:;]|[^",:;<(]+|.', re.S)
_BARE = re.compile(r"[^\s<>\"(),;:@\[\]]+@[^\s<>\"(),;:@\[\]]+")
_LOOKS_LIKE_ADDRESS = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+\.[^\s<>\"'(),;:@]+")
_DOMAIN = re.compile(r"^(?:[^\s@.\[\]]+(?:\.[^\s@.\[\]]+)+|\[[0-9a-f:.]+\])$", re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Problems after which the From header no longer names one sender for sure.
TRUST_BREAKING = frozenset({
    "no_from_address", "multiple_from_addresses", "multiple_from_headers", "group_syntax_in_from",
    "malformed_address", "ambiguous_address", "invalid_address", "invisible_characters_in_address",
})


@dataclass(frozen=True)
class Mailbox:
    address: str  # the addr-spec, lowercased
    name: str  # display name (or legacy comment), decoded and cleaned


@dataclass
class AddressField:
    mailboxes: list[Mailbox] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def addresses(self) -> list[str]:
        return [m.address for m in self.mailboxes]


@dataclass(frozen=True)
class Identity:
    addresses: list[str]
    address: str | None
    name: str
    trusted: bool
    problems: list[str]


def parse_addresses(raw_values: list[str], limit: int = 50) -> AddressField:
    """Every mailbox in the given raw (undecoded) header values, in order."""
    result = AddressField()
    for raw in raw_values:
        for entry, in_group in _entries(_unfold(raw))[:MAX_ENTRIES]:
            if in_group:
                _note(result, "group_syntax")
            _read_entry(entry, result)
    result.mailboxes = result.mailboxes[:limit]
    return result


def read_identity(from_values: list[str]) -> Identity:
    parsed = parse_addresses(from_values)
    problems = list(parsed.problems)
    if "group_syntax" in problems:
        problems[problems.index("group_syntax")] = "group_syntax_in_from"
    if len(from_values) > 1:
        problems.append("multiple_from_headers")
    if not parsed.mailboxes:
        problems.append("no_from_address")
    elif len(parsed.mailboxes) > 1:
        problems.append("multiple_from_addresses")
    first = parsed.mailboxes[0] if parsed.mailboxes else None
    name = ""
    for mailbox in parsed.mailboxes:
        problems.extend(p for p in _name_problems(mailbox) if p not in problems)
    if first:
        name = strip_addresses(first.name) if _addresses_in(first.name) else first.name
        problems.extend(p for p in _address_problems(first.address) if p not in problems)
    trusted = first is not None and not TRUST_BREAKING.intersection(problems)
    return Identity(parsed.addresses, first.address if first else None, name, trusted, problems)


def strip_addresses(name: str) -> str:
    """A display name with anything shaped like an address removed, so it cannot impersonate one."""
    text = _LOOKS_LIKE_ADDRESS.sub(" ", _fold_lookalikes(name))
    text = " ".join(word for word in text.split() if "@" not in word)
    text = re.sub(r"[(<\[]\s*[)>\]]", " ", text).replace('"', " ").replace("'", " ")
    return clean_header_text(text, 200).strip(" ,;:-")


def _fold_lookalikes(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\ufe6b", "@")


def _addresses_in(name: str) -> list[str]:
    return [a.lower().rstrip(".") for a in _LOOKS_LIKE_ADDRESS.findall(_fold_lookalikes(name))]


def _name_problems(mailbox: Mailbox) -> list[str]:
    found = _addresses_in(mailbox.name)
    if not found:
        return []
    if any(a != mailbox.address for a in found):
        return ["display_name_is_an_address", "display_name_address_mismatch"]
    return ["display_name_is_an_address"]


def _address_problems(address: str) -> list[str]:
    problems = []
    if not address.isascii():
        problems.append("non_ascii_address")
        local, _, domain = address.rpartition("@")
        if any(len(_scripts(part)) > 1 for part in [local, *domain.split(".")]):
            problems.append("mixed_script_address")
    return problems


def _scripts(text: str) -> set[str]:
    """Writing systems of the letters in one label (LATIN, CYRILLIC, GREEK...): `pаypal` mixes two."""
    return {unicodedata.name(c, "?").split()[0] for c in text if c.isalpha()}


def _note(result: AddressField, problem: str) -> None:
    if problem not in result.problems:
        result.problems.append(problem)


def _unfold(raw: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", raw).replace("\r", " ").replace("\n", " ")


def _entries(value: str) -> list[tuple[str, bool]]:
    """Top-level comma-separated entries; group members are flagged (RFC 5322 `name: a, b;`)."""
    entries: list[tuple[str, bool]] = []
    current: list[str] = []
    in_group = False
    for token in _TOKEN.findall(value):
        if token in (",", ";") or (token == ":" and not in_group):
            entries.append(("".join(current), in_group))
            current = []
            in_group = token == ":" or (in_group and token == ",")
            if token == ":":
                entries.pop()  # the group's name is not an address
            continue
        current.append(token)
    entries.append(("".join(current), in_group))
    return [(text, group) for text, group in entries if text.strip()]


def _stdlib_mailboxes(text: str) -> tuple[list[tuple[str, str]], bool]:
    """(display name, addr-spec) pairs from the stdlib parser, and whether it parsed cleanly."""
    try:
        header = policy.default.header_factory("to", text)
        pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
        clean = not any("Invalid" in type(d).__name__ for d in header.defects)
    except Exception:  # noqa: BLE001 - the stdlib parser raises IndexError and friends on odd input
        return [], False
    return pairs, clean


def _read_entry(entry: str, result: AddressField) -> None:
    tokens = _TOKEN.findall(entry)
    angles = [t for t in tokens if t.startswith("<")]
    pairs, clean = _stdlib_mailboxes(entry)
    if clean and len(pairs) == 1 and "@" in pairs[0][1]:
        name = pairs[0][0] or _comment_text(tokens)
        if angles and "=?" in entry:  # the stdlib keeps spaces between adjacent encoded words
            name = _display_text("".join(tokens[: tokens.index(angles[0])])) or name
        _add(result, pairs[0][1], name)
        return
    if angles:
        _read_angle_entry(tokens, angles, result)
        return
    _salvage_bare(tokens, result)


def _read_angle_entry(tokens: list[str], angles: list[str], result: AddressField) -> None:
    last = len(tokens) - 1 - tokens[::-1].index(angles[-1])
    display = "".join(tokens[:last])  # earlier angle-addrs stay in the display text, where they are checked
    trailing = [t for t in tokens[last + 1:] if not t.startswith("(") and t.strip()]
    spec = angles[-1].strip("<>").strip()
    spec = spec.split(":", 1)[1] if spec.startswith("@") and ":" in spec else spec  # obsolete route
    pairs, _ = _stdlib_mailboxes(f"<{spec}>")
    address = pairs[0][1] if len(pairs) == 1 and "@" in pairs[0][1] else ""
    if not address or not _valid(address):
        _note(result, "invalid_address")
        if not address:
            return
    _add(result, address, _display_text(display) or _comment_text(tokens))
    extra = _BARE.findall(" ".join(trailing))
    if len(angles) > 1 or extra:
        _note(result, "ambiguous_address")
    for candidate in extra:
        _add(result, candidate, "")


def _salvage_bare(tokens: list[str], result: AddressField) -> None:
    """`Big Bug bb@bug.com`: no angle brackets and not parseable; keep the address-shaped words."""
    text = "".join(t for t in tokens if not t.startswith(("(", '"')))
    candidates = _BARE.findall(text)
    if not candidates:
        return
    _note(result, "malformed_address")
    name = _display_text(text.replace(candidates[0], " ")) if len(candidates) == 1 else ""
    for candidate in candidates:
        _add(result, candidate.rstrip("."), name)


def _add(result: AddressField, address: str, name: str) -> None:
    if INVISIBLE.search(address) or _CONTROL.search(address):
        _note(result, "invisible_characters_in_address")
        return
    address = address.lower()
    if not _valid(address):
        _note(result, "invalid_address")
    if INVISIBLE.search(name):
        _note(result, "invisible_characters_in_name")
        if _addresses_in(INVISIBLE.sub("", name)[::-1]):  # shown right to left, it reads as an address
            name = f"{name} {INVISIBLE.sub('', name)[::-1]}"
    result.mailboxes.append(Mailbox(address, clean_header_text(name, 200)))


def _valid(address: str) -> bool:
    local, _, domain = address.rpartition("@")
    return bool(local) and bool(_DOMAIN.match(domain))


def _display_text(raw: str) -> str:
    text = raw.strip()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        text = re.sub(r"\\(.)", r"\1", text[1:-1])
    return clean_header_text(decode_words(text), 200)


def _comment_text(tokens: list[str]) -> str:
    comments = [t.strip("()") for t in tokens if t.startswith("(")]
    return clean_header_text(decode_words(" ".join(comments)), 200)
