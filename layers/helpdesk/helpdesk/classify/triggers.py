"""Trigger detectors: each looks for a concern the way customers describe it, not for one keyword.

A detector returns the customer's phrases that decided it (its evidence) or nothing. Only triggers the
policy defines are reported, and the policy's own phrase rules (`classifier.trigger_rules`) add to them.
Industry triggers (HIPAA, PCI, patient safety, peak season) follow the account's industry; when the
account does not say, the message's own context decides (patients and charts; cards and stores).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from helpdesk.accounts.model import Account
from helpdesk.classify.matcher import Hit, Matcher
from helpdesk.classify.slowdown import slowdown

SLOWDOWN_FACTOR = 1.5  # "50% or worse" against normal
_SINGULAR = frozenset({"i", "she", "he", "my", "her", "his"})
_C_LEVEL = (r"(?:ceo|cfo|coo|cto|cio|ciso|cno|cmo|cro|cpo|cco|cso|cmio|cnio|chief\s+executive|"
            r"chief\s+[a-z&]+(?:\s+[a-z&]+){0,3}\s+officer)")
_TITLE_LINE = re.compile(rf"(?:^|[\s,(|/-]){_C_LEVEL}\b|(?<!vice )\bpresident\b", re.IGNORECASE)
_EXEC_IN_TEXT = re.compile(
    rf"\b(?:our|my|the company's|their)\s+(?:own\s+)?{_C_LEVEL}\b|\b{_C_LEVEL}\s+here\b|"
    rf"\b(?:i'm|i am|as)\s+(?:the\s+)?{_C_LEVEL}\b|\b(?:cc|cc'd|copied|copying|looped in)\s+(?:in\s+)?"
    rf"(?:our|my)?\s*{_C_LEVEL}\b|\bassistant to the {_C_LEVEL}\b|^\s*cc:?[^\n]{{0,60}}\b{_C_LEVEL}\b",
    re.IGNORECASE | re.MULTILINE)
Detector = Callable[[Matcher, Account], list[str]]


def phrases(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(h.phrase for h in hits))


def _resolved(m: Matcher) -> bool:
    return bool(m.counted("resolved"))


def _quiet(m: Matcher) -> bool:
    """The problem is over, or the customer says nothing has happened (a policy, a plan, a drill)."""
    return _resolved(m) or bool(m.find("no_incident"))


def _outage(m: Matcher, account: Account) -> list[str]:
    """Down or unreachable; or nobody can get in or pay, unless only a few are affected."""
    if _quiet(m):
        return []
    found = list(m.counted("unavailable"))
    if not m.counted("scope_few"):
        found += [*m.counted("none_can_get_in"), *m.counted("fails_everywhere")]
        found += [h for h in m.counted("blocked_getting_in") if not _singular_subject(m, h)]
        if m.counted("scope_all") or m.counted("scope_many"):  # "won't load" is a bug until it is everyone's
            found += m.counted("fails_to_load")
    return phrases(found)


def _singular_subject(m: Matcher, hit: Hit) -> bool:
    tokens = m.doc.tokens
    before = [t.word for t in tokens[max(0, hit.start - 4): hit.start] if t.clause == tokens[hit.start].clause]
    return bool(_SINGULAR.intersection(before))


def _data_loss(m: Matcher, account: Account) -> list[str]:
    if m.find("loss_denied") or m.find("no_incident") or any(h.negated for h in m.find("data_loss")):
        return []  # "nothing was lost": the customer says so, whatever else looked empty
    return phrases(m.counted("data_loss"))


def _security(m: Matcher, account: Account) -> list[str]:
    if m.find("no_incident"):
        return []
    return phrases(m.counted("security_incident"))


def _concept(name: str) -> Detector:
    def detect(m: Matcher, account: Account) -> list[str]:
        return phrases(m.counted(name))
    return detect


_LAWYERS = re.compile(r"\b(?:lawyers?|attorneys?|counsel|legal (?:team|department))\b")


def _legal(m: Matcher, account: Account) -> list[str]:
    hits = m.counted("legal")
    if m.find("legal_paperwork"):  # a lawyer asking for the DPA is paperwork, not a legal threat
        hits = [h for h in hits if not _LAWYERS.search(h.phrase)]
    return phrases(hits)


def _in_industry(m: Matcher, account: Account, industry: str, context: str) -> bool:
    if account.industry:
        return account.industry == industry
    return bool(m.find(context))


def _hipaa(m: Matcher, account: Account) -> list[str]:
    if not _in_industry(m, account, "healthcare", "health_context"):
        return []
    if m.find("no_incident"):
        return []
    found = phrases(m.counted("privacy_problem"))
    if not found and not m.find("legal_paperwork"):
        found = phrases(m.counted("privacy_concern"))
    if not found and m.find("health_context") and _security(m, account):
        found = phrases(m.counted("security_incident"))
    return found


def _pci(m: Matcher, account: Account) -> list[str]:
    if account.industry and account.industry not in ("finance", "retail") or m.find("no_incident"):
        return []
    found = phrases(m.counted("pci_problem"))
    if not found and m.counted("pci_terms") and m.counted("problem") and not m.find("legal_paperwork"):
        found = phrases(m.counted("pci_terms"))
    return found or _card_data_exposed(m, account)


def _card_data_exposed(m: Matcher, account: Account) -> list[str]:
    """A security incident in a message about card numbers is a PCI concern too."""
    if not (m.find("card_data") and _security(m, account)):
        return []
    return [h.phrase for h in m.find("card_data")][:1] + phrases(m.counted("security_incident"))


def _patient_safety(m: Matcher, account: Account) -> list[str]:
    if not _in_industry(m, account, "healthcare", "health_context"):
        return []
    return phrases(m.counted("patient_safety"))


def _performance(m: Matcher, account: Account) -> list[str]:
    if _quiet(m):
        return []
    strong = phrases(m.counted("slow_strong"))
    if strong:
        return strong
    if not m.counted("slowness"):
        return []
    figure = slowdown(m.doc.text)
    return [figure.phrase] if figure and figure.factor >= SLOWDOWN_FACTOR else []


def _peak(m: Matcher, account: Account) -> list[str]:
    if account.industry and account.industry != "retail":
        return []
    if not m.counted("problem") or m.counted("reassurance") or _quiet(m):
        return []
    return phrases(m.find("peak"))


def _executive(m: Matcher, account: Account) -> list[str]:
    found = [match.group(0).strip(" ,(|/-") for line in m.doc.signature.splitlines()[:8]
             for match in [_TITLE_LINE.search(line)] if match]
    found += [match.group(0) for match in _EXEC_IN_TEXT.finditer(m.doc.body[:20_000])]
    return list(dict.fromkeys(found))


DETECTORS: dict[str, Detector] = {
    "outage": _outage,
    "data_loss": _data_loss,
    "security_incident": _security,
    "churn_threat": _concept("churn_threat"),
    "legal": _legal,
    "public_relations": _concept("public_relations"),
    "escalation_request": _concept("escalation_request"),
    "hipaa": _hipaa,
    "pci": _pci,
    "patient_safety": _patient_safety,
    "performance_degradation": _performance,
    "peak_season": _peak,
    "executive_involvement": _executive,
}
