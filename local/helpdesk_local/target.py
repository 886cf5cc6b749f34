"""Where operator commands act: the embedded runtime (state kept between runs) or a deployed stack.

Embedded state lives in `.helpdesk/state.json` (table items, stored objects and the virtual
clock), so `helpdesk demo` followed by `helpdesk tickets` shows the demo's tickets.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from helpdesk.adapters.aws.store import Store
from helpdesk.adapters.aws.table import Table
from helpdesk.core.clock import Clock, SystemClock, iso, parse_iso
from helpdesk_local.cfn import ROOT


def state_file() -> Path:
    """Where embedded state is kept; HELPDESK_STATE overrides it (tests use a temporary file)."""
    return Path(os.environ.get("HELPDESK_STATE") or ROOT / ".helpdesk" / "state.json")


@dataclass
class Target:
    name: str
    store: Store
    environment: dict[str, str]  # the inbound function's environment (settings for domain services)
    clock: Clock
    runtime: Any = None  # the LocalRuntime when embedded

    def client(self, service: str) -> Any:
        if self.runtime is not None:
            return self.runtime.aws.client(service)
        import boto3

        session: Any = boto3.session.Session()
        return session.client(service)


def save_state(runtime: Any, path: Path | None = None) -> None:
    path = path or state_file()
    table = runtime.table()
    response = table.ddb.scan(TableName=table.name)
    items = response.get("Items", [])
    while "LastEvaluatedKey" in response:
        response = table.ddb.scan(TableName=table.name, ExclusiveStartKey=response["LastEvaluatedKey"])
        items += response.get("Items", [])
    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    s3 = runtime.aws.client("s3")
    objects = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            objects[obj["Key"]] = base64.b64encode(body).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Items stay in DynamoDB's typed JSON, so sets and numbers survive the round trip exactly.
    path.write_text(json.dumps({"now": iso(runtime.now()), "items": items, "objects": objects}))


def load_state(runtime: Any, path: Path | None = None) -> bool:
    path = path or state_file()
    if not path.is_file():
        return False
    state = json.loads(path.read_text())
    runtime.clock.set(parse_iso(state["now"]))
    table = runtime.table()
    for item in state["items"]:
        table.ddb.put_item(TableName=table.name, Item=item)
    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    s3 = runtime.aws.client("s3")
    for key, body in state["objects"].items():
        s3.put_object(Bucket=bucket, Key=key, Body=base64.b64decode(body))
    return True


def _stack_environment(stack: str) -> dict[str, str]:
    import boto3

    resources = boto3.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    function = next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "InboundEmailFunction")
    config = boto3.client("lambda").get_function_configuration(FunctionName=function)
    return dict(config.get("Environment", {}).get("Variables", {}))


@contextmanager
def open_target(stack: str | None, *, save: bool = True, at: datetime | None = None) -> Iterator[Target]:
    """Embedded state is always loaded; `save=False` leaves it untouched (read-only commands)."""
    if stack:
        env = _stack_environment(stack)
        yield Target(f"stack {stack}", Store(Table(env["TABLE_NAME"]), int(env.get("DUE_SHARDS", "8"))), env,
                     SystemClock())
        return
    from helpdesk_local.runtime import LocalRuntime

    with LocalRuntime() as runtime:
        runtime.route_logs()  # operator commands print results, not the domain's JSON logs
        load_state(runtime)
        if at is not None:
            runtime.clock.set(at)
        env = runtime.aws.functions["InboundEmailFunction"].environment
        with contextlib.redirect_stdout(runtime.log_stream):  # metrics records are logs, not output
            yield Target("embedded AWS", runtime.store(), env, runtime.clock, runtime)
        if save:
            save_state(runtime)
