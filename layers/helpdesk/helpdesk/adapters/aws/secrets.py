"""The HMAC key that signs reply tokens, from Secrets Manager, fetched once per container."""

from __future__ import annotations

from functools import lru_cache

from botocore.exceptions import ClientError

from helpdesk.adapters.aws.clients import client, raise_if_transient


@lru_cache(maxsize=4)
def signing_key(secret_id: str) -> bytes:
    try:
        value = client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as exc:
        raise_if_transient(exc, "secretsmanager.get_secret_value")
        raise
    return value.encode()
