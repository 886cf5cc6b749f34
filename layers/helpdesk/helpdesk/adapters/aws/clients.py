"""Lazily created, cached boto3 clients. Nothing is created at import time."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from helpdesk.core.errors import TransientAwsError

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
_TRANSIENT_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "SlowDown",
    "TransactionInProgressException",
}


@lru_cache(maxsize=1)
def _session() -> Any:
    import boto3  # imported here so that modules importing this one stay cheap

    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    """One session for all clients, so endpoint and partition data load once per container."""
    return _session().client(service, config=_CONFIG)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_transient(exc: Exception) -> bool:
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error_code(exc) in _TRANSIENT_CODES or int(status or 0) >= 500
    return isinstance(exc, BotoCoreError)


def raise_if_transient(exc: Exception, action: str) -> None:
    if is_transient(exc):
        raise TransientAwsError(f"{action}: {type(exc).__name__}") from exc
