"""Invoking handlers in-process as Lambda would: the module loaded from the template's path, a
stand-in for the Lambda context, and the mail SES recorded."""

from __future__ import annotations

import importlib.util
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from types import ModuleType
from typing import Any

from helpdesk_local.embedded import ACCOUNT_ID, REGION

_modules: dict[Path, ModuleType] = {}


def load_module(logical_id: str, path: Path) -> ModuleType:
    """Import a handler file once per process, under a name of its own (every handler is app.py)."""
    if path not in _modules:
        spec = importlib.util.spec_from_file_location(f"helpdesk_fn_{logical_id}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[path] = module
    return _modules[path]


@dataclass
class FakeContext:
    """The parts of LambdaContext that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: float = 60.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=lambda: __import__("time").monotonic())

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        import time

        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


@dataclass
class SentEmail:
    index: int
    source: str
    destinations: list[str]
    raw: bytes
    at: datetime

    @property
    def message(self) -> Any:
        return BytesParser(policy=policy.default).parsebytes(self.raw)

    @property
    def subject(self) -> str:
        return str(self.message.get("subject", ""))

    def body(self, kind: str = "plain") -> str:
        part = self.message.get_body((kind,))
        return part.get_content() if part is not None else ""


