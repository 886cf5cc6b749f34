"""S3: raw inbound mail, attachments and bodies too large for a DynamoDB item."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from helpdesk.adapters.aws.clients import client, error_code, raise_if_transient
from helpdesk.core.errors import RawMailMissingError


class BlobStore:
    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = client("s3")
        return self._s3

    def read(self, key: str) -> bytes:
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=key)
            return response["Body"].read()
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise RawMailMissingError(key) from exc
            raise_if_transient(exc, "s3.get_object")
            raise

    def write(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        try:
            self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, ServerSideEncryption="AES256"
            )
        except ClientError as exc:
            raise_if_transient(exc, "s3.put_object")
            raise
        return key
