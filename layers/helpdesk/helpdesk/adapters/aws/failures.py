"""The one table of AWS error codes: what each failure means for the work that hit it.

- transient: throttling, sending pauses, 5xx and network faults. Retried with backoff; pauses
  and throttling are also counted so an alarm fires while they last.
- permanent: the request can never succeed as it is (a rejected message, an unverified or
  invalid address, an opted-out number, a missing topic). Recorded and sent to ops, not retried.
- unknown: anything else. Retried a bounded number of times, then dead-lettered.

Adapters call `raise_for(exc, action)`; it always raises a domain error (never the ClientError
itself), with a message that names the action and the code but never the AWS message text, which
can quote recipient addresses.
"""

from __future__ import annotations

from typing import NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from helpdesk.core.errors import PermanentSendError, TransientAwsError

THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "ProvisionedThroughputExceededException", "RequestLimitExceeded", "SlowDown", "LimitExceededException",
    "TransactionInProgressException", "TransactionConflict", "KMSThrottlingException",
})
PAUSED = frozenset({"AccountSendingPausedException", "ConfigurationSetSendingPausedException"})
SERVER = frozenset({"ServiceUnavailable", "ServiceUnavailableException", "InternalServerError", "InternalFailure",
                    "InternalError", "InternalErrorException", "InternalServiceError", "RequestTimeout",
                    "RequestTimeoutException"})
PERMANENT = frozenset({
    "MessageRejected", "MailFromDomainNotVerified", "MailFromDomainNotVerifiedException", "InvalidParameterValue",
    "InvalidParameter", "ConfigurationSetDoesNotExist", "ConfigurationSetDoesNotExistException", "OptedOut",
    "OptedOutException", "EndpointDisabled", "NotFound", "NotFoundException", "InvalidPhoneNumber",
    "AuthorizationError",
})


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def kind_of(exc: Exception) -> str:
    """throttled | paused | server | network | permanent | unknown."""
    if isinstance(exc, BotoCoreError):
        return "network"  # connection resets, timeouts, endpoint errors: the request may not have arrived
    if not isinstance(exc, ClientError):
        return "unknown"
    code = error_code(exc)
    for kind, codes in (("throttled", THROTTLED), ("paused", PAUSED), ("server", SERVER), ("permanent", PERMANENT)):
        if code in codes:
            return kind
    return "server" if _status(exc) >= 500 else "unknown"


def is_transient(exc: Exception) -> bool:
    return kind_of(exc) in ("throttled", "paused", "server", "network")


def raise_for(exc: Exception, action: str, *, permanent_ok: bool = True) -> NoReturn:
    """Re-raise an AWS failure as the domain error that says what to do about it.

    `permanent_ok=False` is for calls whose refusals are bugs or configuration errors rather
    than a verdict on a message (DynamoDB, S3): those stay bounded-transient, never silently final.
    """
    kind = kind_of(exc)
    code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    if kind == "permanent" and permanent_ok:
        raise PermanentSendError(f"{action}: {code}", code=code) from exc
    transient_kind = kind if kind in ("throttled", "paused", "server", "network") else "unknown"
    raise TransientAwsError(f"{action}: {code}", kind=transient_kind, code=code) from exc


def raise_if_transient(exc: Exception, action: str) -> None:
    if is_transient(exc):
        raise_for(exc, action)
