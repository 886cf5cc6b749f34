"""Set-up that needs no AWS call, done before a SnapStart snapshot so restored environments start
with it: the policy, its calendars' holidays, the classifier's compiled rules, the public suffix
rules and the templates every new ticket renders. Nothing here has per-environment identity."""

from __future__ import annotations

import os

from helpdesk.core.observability import logger

FIRST_TEMPLATES = ("acknowledgment", "staff_notification")


def policy_and_rules() -> None:
    name = os.environ.get("POLICY_NAME")
    if not name:
        return
    from helpdesk.accounts.lookup import registrable_domain
    from helpdesk.classify.rules import compiled
    from helpdesk.messages import rendering
    from helpdesk.policy.calendar import business_hours_for
    from helpdesk.policy.loader import load_policy

    policy = load_policy(name)
    for calendar in policy.calendars:
        business_hours_for(policy, calendar)
    compiled(policy)
    registrable_domain("warm.example.com")
    environment = rendering._environment(policy.templates.override_dir)  # noqa: SLF001 - the one environment
    for template in FIRST_TEMPLATES:
        for part in ("subject", "txt", "html"):
            environment.get_template(f"{template}.{part}.j2")


def _safely(step: str) -> None:
    """A failed warm-up only costs the first event its time; it must never fail the snapshot."""
    try:
        policy_and_rules()
    except Exception as exc:  # noqa: BLE001 - logged by type only; the first event will raise it properly
        logger.warning("warmup_failed", extra={"step": step, "error_type": type(exc).__name__})


def inbound() -> None:
    import helpdesk.intake.processor  # noqa: F401 - the import is the work

    _safely("inbound")


def sweeper() -> None:
    import helpdesk.sla.sweeper  # noqa: F401 - the import is the work

    _safely("sweeper")
