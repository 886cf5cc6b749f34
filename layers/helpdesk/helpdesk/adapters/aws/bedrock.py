"""Adapter for a foundation model on Amazon Bedrock (bedrock-runtime `converse`); the only boto3 user here."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

DEFAULT_MAX_TOKENS = 400


class BedrockModel:
    """Sends one prompt and returns the model's text; the client is injected (tests pass a stubbed one)."""

    def __init__(self, client: Any, model_id: str, max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        self.client = client
        self.model_id = model_id
        self.max_tokens = max_tokens
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bedrock")

    @classmethod
    def for_model(cls, model_id: str, timeout_s: float) -> BedrockModel:
        from helpdesk.adapters.aws.clients import deadline_client

        return cls(deadline_client("bedrock-runtime", timeout_s + 1.0), model_id)

    def invoke(self, prompt: str, timeout_s: float) -> str:
        """The model's answer, or TimeoutError after `timeout_s` (the call itself is left to finish)."""
        future = self._pool.submit(self._converse, prompt)
        try:
            return future.result(timeout=timeout_s)
        except FutureTimeout as exc:
            raise TimeoutError(f"no answer from {self.model_id} within {timeout_s}s") from exc

    def _converse(self, prompt: str) -> str:
        response = self.client.converse(
            modelId=self.model_id,
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig={"maxTokens": self.max_tokens, "temperature": 0.0},
        )
        parts = response["output"]["message"]["content"]
        return "".join(part.get("text", "") for part in parts)
