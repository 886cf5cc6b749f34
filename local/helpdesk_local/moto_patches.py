"""Speed and isolation fixes for moto's in-memory DynamoDB, applied only in the local runtime.

moto backs up a whole table with `copy.deepcopy` for every item of every TransactWriteItems
call, so each transaction costs O(table size x items) and a replay of a few hundred tickets
slows to a crawl. We snapshot only the items a transaction touches and restore those on
rollback, which keeps moto's semantics (all or nothing) at O(items) cost.
"""

from __future__ import annotations

import copy
import functools
import threading
import types
from typing import Any

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    def deepcopy_except_tables(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy_except_tables, copy=copy.copy)  # type: ignore[assignment]
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = [snapshot for item in transact_items if (snapshot := _snapshot(self, item)) is not None]
        try:
            original(self, transact_items)
        except Exception:
            _restore(self, touched)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    # moto's server handles requests on threads without locking: two conditional writes can both
    # pass their checks. DynamoDB serialises them, so the emulation must too.
    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "get_item",
                 "batch_write_item"):
        method = getattr(models.DynamoDBBackend, name)
        setattr(models.DynamoDBBackend, name, _serialised(method, lock))
    _applied = True


def _snapshot(backend: Any, item: dict[str, Any]) -> tuple[str, dict[str, Any], Any] | None:
    """The item a transaction operation touches, as it is now (None: the table does not exist)."""
    _, op = next(iter(item.items()))
    table = backend.tables.get(op.get("TableName"))
    if table is None:
        return None
    if "Item" in op:
        key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = op["Item"][table.range_key_attr]
    else:
        key = op["Key"]
    current = backend.get_item(table.name, key)
    return table.name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None


def _restore(backend: Any, touched: list[tuple[str, dict[str, Any], Any]]) -> None:
    """Put every touched item back as it was: a failed transaction leaves nothing behind."""
    for table_name, key, attributes in reversed(touched):
        if attributes is None:
            if backend.get_item(table_name, key) is not None:
                backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, attributes)


def _serialised(method: Any, lock: Any) -> Any:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    return call
