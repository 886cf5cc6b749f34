"""Domain records to item attributes and back: times as sortable ISO strings, nothing else changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from helpdesk.core.clock import iso

Model = TypeVar("Model", bound=BaseModel)


def stored(value: Any) -> Any:
    """A value as the table keeps it: datetimes become fixed-width UTC text, models plain maps."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, BaseModel):
        return stored(value.model_dump(exclude_none=True))
    if isinstance(value, dict):
        return {k: stored(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [stored(v) for v in value]
    if isinstance(value, set | frozenset):
        return {stored(v) for v in value}
    return value


def to_attributes(record: BaseModel) -> dict[str, Any]:
    return stored(record.model_dump(exclude_none=True))


def from_item(model: type[Model], item: dict[str, Any]) -> Model:
    return model.model_validate(item)
