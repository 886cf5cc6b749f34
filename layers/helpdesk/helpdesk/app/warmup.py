"""Set-up that needs no AWS call, done before a SnapStart snapshot (and cheap to repeat)."""

from __future__ import annotations

import os


def policy_and_rules() -> None:
    """The policy, its holiday tables, the message templates and the classifier's rules, ready."""
    from helpdesk.policy.loader import load_policy

    name = os.environ.get("POLICY_NAME")
    if not name:
        return
    load_policy(name)


def inbound() -> None:
    import helpdesk.intake.processor  # noqa: F401 - the import is the work

    policy_and_rules()


def sweeper() -> None:
    import helpdesk.sla.sweeper  # noqa: F401 - the import is the work

    policy_and_rules()
