"""Lazily created, cached boto3 clients. Nothing is created at import time."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from botocore.config import Config

from helpdesk.adapters.aws.failures import error_code, is_transient, raise_for, raise_if_transient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@lru_cache(maxsize=1)
def _session() -> Any:
    import boto3  # imported here so that modules importing this one stay cheap

    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    """One session for all clients, so endpoint and partition data load once per container."""
    return _session().client(service, config=_CONFIG)


@cache
def deadline_client(service: str, read_timeout: float) -> Any:
    """A client for calls whose caller keeps its own deadline: one attempt and a short read timeout,
    so a slow service costs the caller its deadline and no more."""
    config = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=2, read_timeout=read_timeout)
    return _session().client(service, config=config)


def forget() -> None:
    """Drop every client and the session (after a SnapStart restore their connections are stale)."""
    client.cache_clear()
    deadline_client.cache_clear()
    _session.cache_clear()


__all__ = ["client", "deadline_client", "error_code", "forget", "is_transient", "raise_for", "raise_if_transient"]
