"""Domain errors. Adapters catch AWS errors and re-raise one of these `from` the cause."""


class HelpdeskError(Exception):
    """Base class for errors the domain knows how to route."""


class TransientAwsError(HelpdeskError):
    """Throttling, timeouts, 5xx: the caller should let Lambda retry."""


class PermanentSendError(HelpdeskError):
    """SES refused the message for good (rejected or unverified address)."""


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
