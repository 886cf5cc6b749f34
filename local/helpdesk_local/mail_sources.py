"""Where mail to replay or parse comes from: .eml files, any file that is a message, directories,
maildir folders (cur/ and new/) and mbox files, each message with a label that says where it was."""

from __future__ import annotations

import mailbox
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HEAD = 4096
_HEADER_NAMES = (b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"received:", b"return-path:",
                 b"mime-version:", b"delivered-to:", b"content-type:")


@dataclass(frozen=True)
class Source:
    label: str  # `path` or `path#3` for the third message of an mbox
    raw: bytes


def is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def looks_like_mail(path: Path) -> bool:
    """A file whose first lines are RFC 5322 headers, whatever its name."""
    with path.open("rb") as handle:
        head = handle.read(HEAD).lstrip()
    lines = head.split(b"\n", 20)[:20]
    return any(line.lower().startswith(_HEADER_NAMES) for line in lines) or head.startswith(b"From ")


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _files_of(directory: Path) -> Iterator[Path]:
    if _is_maildir(directory):
        for sub in ("new", "cur"):
            yield from sorted(p for p in (directory / sub).iterdir() if p.is_file())
        return
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if path.suffix.lower() == ".eml" or looks_like_mail(path):
            yield path


def _messages(path: Path) -> Iterator[Source]:
    if is_mbox(path):
        for index, message in enumerate(mailbox.mbox(str(path), create=False)):
            yield Source(f"{path}#{index + 1}", message.as_bytes())
        return
    yield Source(str(path), path.read_bytes())


def mail_sources(paths: Iterable[str]) -> Iterator[Source]:
    """Every message under the given paths; FileNotFoundError names a path that does not exist."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for file in _files_of(path):
                yield from _messages(file)
        elif path.is_file():
            yield from _messages(path)
        else:
            raise FileNotFoundError(f"{name}: no such file or directory")


def count_sources(paths: Iterable[str]) -> list[Source]:
    """All sources read up front (so progress can say "n of m"); FileNotFoundError as above."""
    return list(mail_sources(paths))
