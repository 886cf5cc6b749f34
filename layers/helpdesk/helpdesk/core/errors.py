"""Domain errors. Adapters catch AWS errors and re-raise one of these `from` the cause."""


class HelpdeskError(Exception):
    """Base class for errors the domain knows how to route."""


class TransientAwsError(HelpdeskError):
    """Throttling, pauses, timeouts, 5xx: retry later with backoff (Lambda retries intake).

    `kind` is throttled | paused | server | network | unknown; unknown failures are retried
    fewer times before the work is dead-lettered.
    """

    def __init__(self, message: str, *, kind: str = "server", code: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


class PermanentSendError(HelpdeskError):
    """The message can never be sent as it is (rejected, unverified or invalid address, opted out)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code or message


class RawMailMissingError(HelpdeskError):
    """The S3 object SES should have written is not there."""


class ConflictError(HelpdeskError):
    """A conditional write lost a race; someone else already did the work.

    `labels` name the writes whose conditions failed, so callers can tell a duplicate delivery
    ("inbound") from a concurrent change ("ticket") without parsing messages.
    """

    def __init__(self, *labels: str) -> None:
        super().__init__(",".join(labels) or "conditional write failed")
        self.labels = frozenset(labels)

    def involves(self, label: str) -> bool:
        return label in self.labels


class PolicyError(HelpdeskError):
    """The policy file is invalid; the message names the file and field."""


class RecipientUndeliverableError(HelpdeskError):
    """The customer's address hard-bounced: nothing more is sent to it."""


FailureClass = str  # "transient" | "permanent" | "unknown"


def failure_class(exc: BaseException) -> FailureClass:
    """What a failed piece of work should do next: the one place the domain decides.

    transient: retry with backoff; permanent: park it, record it, tell ops; unknown: retry a
    bounded number of times, then park it. A missing S3 object never comes back by retrying.
    """
    if isinstance(exc, TransientAwsError):
        return "unknown" if exc.kind == "unknown" else "transient"
    if isinstance(exc, PermanentSendError | RawMailMissingError | PolicyError):
        return "permanent"
    return "unknown"
