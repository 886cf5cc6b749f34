"""Field types shared by settings and accounts, validated by well-kept libraries, imported lazily.

pydantic's `EmailStr` imports `email-validator` when a model class is defined; these validators
import it only when an address is actually checked, so a Lambda cold start that never validates
an account row does not pay for it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def checked_address(value: str) -> str:
    """A syntactically valid email address, lower-cased; no DNS lookups."""
    if not value:
        return value
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"not an email address: {exc}") from exc


EmailAddress = Annotated[str, AfterValidator(checked_address)]
