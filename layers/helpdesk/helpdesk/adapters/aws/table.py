"""Thin, typed access to the single DynamoDB table through the low-level client."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from helpdesk.adapters.aws.clients import client, error_code, raise_if_transient
from helpdesk.core.errors import ConflictError, TransientAwsError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Key = tuple[str, str]
# Attribute names that are DynamoDB reserved words, usable as aliases in conditions and raw SETs.
_ALIASES = {"#status": "status", "#value": "value", "#owner": "lease_owner", "#lease": "lease_until",
            "#version": "version", "#due": "due_at", "#shard": "due_shard", "#ttl": "expires_at",
            "#until": "until"}


def _clean_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from undecodable mail bytes
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def _prepare(value: Any) -> Any:
    """DynamoDB wants Decimal, not float, valid UTF-8, and no empty sets."""
    for kinds, convert in _PREPARE:
        if isinstance(value, kinds):
            return convert(value)
    return value


_PREPARE: tuple[tuple[Any, Any], ...] = (
    (str, _clean_text),
    (float, lambda v: Decimal(str(v))),
    (dict, lambda v: {k: _prepare(x) for k, x in v.items() if x is not None}),
    (list | tuple, lambda v: [_prepare(x) for x in v]),
    (set | frozenset, lambda v: {_prepare(x) for x in v} or None),
)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def marshal(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in _prepare(item).items() if v is not None}


def unmarshal(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


@dataclass
class Write:
    """One operation of a transaction: Put, Update, Delete or ConditionCheck."""

    kind: str
    params: dict[str, Any]
    label: str = ""


@dataclass
class Update:
    """Builds an UpdateExpression from named parts so callers never concatenate strings."""

    pk: str
    sk: str
    sets: dict[str, Any] = field(default_factory=dict)
    adds: dict[str, Any] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    raw_sets: list[str] = field(default_factory=list)
    condition: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    names: dict[str, str] = field(default_factory=dict)  # placeholders used by raw_sets

    def _clauses(self, names: dict[str, str], values: dict[str, Any]) -> str:
        """SET, ADD and REMOVE clauses with every attribute behind a placeholder name."""
        present = {a: v for a, v in self.sets.items() if v is not None}
        set_parts = [*self.raw_sets, *_placed("s", present, names, values, "{n} = {v}")]
        add_parts = _placed("a", self.adds, names, values, "{n} {v}")
        removes = list(self.removes) + [attr for attr, value in self.sets.items() if value is None]
        names.update({f"#r{i}": attr for i, attr in enumerate(removes)})
        parts = (("SET", set_parts), ("ADD", add_parts), ("REMOVE", [f"#r{i}" for i in range(len(removes))]))
        return " ".join(f"{verb} {', '.join(items)}" for verb, items in parts if items)

    def params(self) -> dict[str, Any]:
        names: dict[str, str] = dict(self.names)
        values: dict[str, Any] = dict(self.values)
        params: dict[str, Any] = {"Key": key(self.pk, self.sk), "UpdateExpression": self._clauses(names, values)}
        expressions = " ".join([self.condition or "", *self.raw_sets])
        names.update({token: attr for token, attr in _ALIASES.items() if token in expressions})
        if names:
            params["ExpressionAttributeNames"] = names
        if values:
            params["ExpressionAttributeValues"] = marshal(values)
        if self.condition:
            params["ConditionExpression"] = self.condition
        return params

    def write(self) -> Write:
        return Write("Update", self.params(), self.label)


def _placed(prefix: str, fields: dict[str, Any], names: dict[str, str], values: dict[str, Any],
            shape: str) -> list[str]:
    parts = []
    for i, (attr, value) in enumerate(fields.items()):
        names[f"#{prefix}{i}"], values[f":{prefix}{i}"] = attr, value
        parts.append(shape.format(n=f"#{prefix}{i}", v=f":{prefix}{i}"))
    return parts


def put(item: dict[str, Any], *, only_if_new: bool = False, label: str = "") -> Write:
    params: dict[str, Any] = {"Item": marshal(item)}
    if only_if_new:
        params["ConditionExpression"] = "attribute_not_exists(PK)"
    return Write("Put", params, label)


class Table:
    def __init__(self, name: str, dynamodb: Any = None) -> None:
        self.name = name
        self._ddb = dynamodb

    @property
    def ddb(self) -> Any:
        if self._ddb is None:
            self._ddb = client("dynamodb")
        return self._ddb

    def _call(self, action: str, label: str = "", **params: Any) -> Any:
        try:
            return getattr(self.ddb, action)(TableName=self.name, **params)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise ConflictError(label or action) from exc
            raise_if_transient(exc, f"dynamodb.{action}")
            raise

    def get(self, pk: str, sk: str, consistent: bool = True) -> dict[str, Any] | None:
        response = self._call("get_item", Key=key(pk, sk), ConsistentRead=consistent)
        item = response.get("Item")
        return unmarshal(item) if item else None

    def get_many(self, keys: list[Key]) -> dict[Key, dict[str, Any]]:
        """BatchGetItem with retries of unprocessed keys; one call in the common case."""
        unique = list(dict.fromkeys(keys))
        found: dict[Key, dict[str, Any]] = {}
        for start in range(0, len(unique), 100):
            request = {self.name: {"Keys": [key(pk, sk) for pk, sk in unique[start : start + 100]],
                                   "ConsistentRead": True}}
            for _ in range(6):
                try:
                    response = self.ddb.batch_get_item(RequestItems=request)
                except ClientError as exc:
                    raise_if_transient(exc, "dynamodb.batch_get_item")
                    raise
                for raw in response.get("Responses", {}).get(self.name, []):
                    item = unmarshal(raw)
                    found[(item["PK"], item["SK"])] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise TransientAwsError("dynamodb.batch_get_item: unprocessed keys remain")
        return found

    def put(self, item: dict[str, Any], *, only_if_new: bool = False, label: str = "") -> None:
        write = put(item, only_if_new=only_if_new)
        self._call("put_item", label, **write.params)

    def update(self, update: Update, *, return_new: bool = False) -> dict[str, Any] | None:
        params = update.params()
        if return_new:
            params["ReturnValues"] = "ALL_NEW"
        response = self._call("update_item", update.label, **params)
        attributes = response.get("Attributes")
        return unmarshal(attributes) if attributes else None

    def query(self, max_items: int | None = None, **params: Any) -> list[dict[str, Any]]:
        """Pages of a query until it ends or `max_items` have been read."""
        items: list[dict[str, Any]] = []
        while True:
            response = self._call("query", **params)
            items.extend(unmarshal(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response or (max_items is not None and len(items) >= max_items):
                return items
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def transact(self, writes: list[Write]) -> None:
        """All or nothing. A failed condition raises ConflictError naming the operations that failed."""
        items = [{w.kind: {"TableName": self.name, **w.params}} for w in writes]
        try:
            self.ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise _cancellation(writes, exc.response.get("CancellationReasons", [])) from exc
            raise_if_transient(exc, "dynamodb.transact_write_items")
            raise


def _cancellation(writes: list[Write], reasons: list[Any]) -> Exception:
    """What a cancelled transaction means: lost conditions, items DynamoDB refuses, or a passing fault."""
    failed = [writes[i].label or writes[i].kind for i, r in enumerate(reasons)
              if r.get("Code") == "ConditionalCheckFailed"]
    if failed:
        return ConflictError(*failed)
    codes = sorted({r.get("Code", "") for r in reasons} - {"None", ""})
    if codes and set(codes) <= {"ValidationError", "ItemCollectionSizeLimitExceeded"}:
        return ValueError(f"dynamodb.transact_write_items rejected the items: {codes}")
    kind = "conflict" if "TransactionConflict" in codes else "throttled" if codes else "server"
    return TransientAwsError(f"dynamodb.transact_write_items: cancelled {codes}", kind=kind)
