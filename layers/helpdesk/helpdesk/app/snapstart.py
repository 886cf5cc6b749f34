"""Lambda SnapStart hooks: what every environment restored from one snapshot must not share.

Before the snapshot, `warm` does the first event's set-up that needs no AWS call (imports, the
policy, templates, classifier rules), so a restored environment starts with it done. After a
restore, randomness is re-seeded (every restored copy would otherwise draw the same numbers:
jitter, lease owners) and AWS clients are dropped, because their pooled connections were opened
by the environment that took the snapshot. Secrets and services are never built before the
snapshot, so no lease owner or key is shared between environments.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

_installed = False


def _hooks() -> tuple[Callable[[Any], Any], Callable[[Any], Any]] | None:
    try:  # the Snapshot Restore for Python library ships with Lambda's managed Python runtimes
        from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-not-found]
    except ImportError:  # local runs and tests: nothing is ever snapshotted
        return None
    return register_before_snapshot, register_after_restore


def install(warm: Callable[[], None] | None = None) -> bool:
    """Register the hooks once per process; False where SnapStart is not available."""
    global _installed
    hooks = _hooks()
    if hooks is None or _installed:
        return _installed
    before_snapshot, after_restore_hook = hooks
    if warm is not None:
        before_snapshot(warm)
    after_restore_hook(after_restore)
    _installed = True
    return True


def after_restore() -> None:
    random.seed()  # from os.urandom: each restored environment gets its own sequence
    from helpdesk.adapters.aws import clients

    clients.forget()
