"""What happens to incidents: detection on arrival, staff links and unlinks, updates and resolution.

Every change commits in one transaction with the incident's log entry and the due work it
implies (the next cadence step, a fan-out). Fan-outs themselves are due work (`fanout.py`).
Size: each staff action and its transaction sit together, so one reading shows what an action commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk.core.errors import ConflictError
from helpdesk.core.observability import logger, metric
from helpdesk.incidents.detection import (
    Match,
    cluster,
    join_open,
    severity_rank,
    window_starts,
)
from helpdesk.incidents.model import Incident, IncidentEntry, OpenIncident, RecentTicket, incident_id
from helpdesk.incidents.signature import Signature
from helpdesk.sla.due import DueItem
from helpdesk.tickets.changes import TicketOpError

if TYPE_CHECKING:
    from helpdesk.accounts.model import Account
    from helpdesk.adapters.aws.store import Found, Store
    from helpdesk.adapters.aws.table import Write
    from helpdesk.core.clock import Clock
    from helpdesk.policy.models import Policy
    from helpdesk.tickets.context import TicketContext
    from helpdesk.tickets.records import Ticket

CADENCE = "incident_update"
FANOUT = "incident_fanout"
NOTICE = "incident_notice"
KINDS = (CADENCE, FANOUT, NOTICE)
STRATEGIC_ARR = 500_000
MAX_RACES = 5


def strategic(account: Account) -> bool:
    return bool(account.flags & {"strategic", "fortune500"}) or account.arr >= STRATEGIC_ARR


def title_for(category: str) -> str:
    """Never the customer's own words: other customers read the title too."""
    return f"{(category or 'service').replace('_', ' ').capitalize()} problem affecting several customers"


def cadence_item(number: int, seq: int, at: datetime) -> DueItem:
    item = DueItem.new(None, f"update#{seq:04d}", CADENCE, at, {"seq": seq})
    item.incident = number
    return item


def fanout_item(number: int, kind: str, seq: int, at: datetime, text: str = "", after: int = 0) -> DueItem:
    """One step of a fan-out: notices for the linked tickets numbered above `after`."""
    item = DueItem.new(None, f"fanout#{kind}#{seq:04d}#{after}", FANOUT, at,
                       {"kind": kind, "seq": seq, "text": text, "after": after})
    item.incident = number
    return item


@dataclass
class Arrival:
    """What detection decided for a new ticket: the writes for its creation and, if linked, where."""

    writes: list[Write] = field(default_factory=list)
    incident: str | None = None
    title: str = ""
    reason: str = ""
    position: int = 0  # this ticket's place among the incident's tickets
    opened: bool = False


class IncidentDesk:
    def __init__(self, store: Store, clock: Clock, policy: Policy) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy

    # -- on arrival ------------------------------------------------------------------------------

    def watched_windows(self) -> list[str] | None:
        """The detection windows a new ticket now would read (intake fetches them in its own batch)."""
        if not self.policy.incidents.enabled:
            return None
        return list(window_starts(self.clock.now(), self.policy.incidents.detect.window))

    def on_arrival(self, ticket: Ticket, account: Account, scope: str, subject: str, text: str,
                   found: Found | None = None) -> Arrival:
        """Remember the new ticket's signature; join an open incident or open one when the threshold is met.

        `found` is intake's batch read, which already holds the open incidents and the windows; without
        it (a retry after a race) they are read again."""
        settings, now = self.policy.incidents, self.clock.now()
        if not settings.enabled:
            return Arrival()
        sig = Signature.of(ticket.issue_type, ticket.triggers, subject, text)
        me = RecentTicket(ticket=ticket.number, account=scope, at=now, category=sig.category,
                          triggers=sorted(sig.triggers), hashes=list(sig.hashes), severity=ticket.severity,
                          arr=account.arr, name=account.name or scope, strategic=strategic(account))
        current, previous = window_starts(now, settings.detect.window)
        arrival = Arrival(writes=[self.store.incidents.remember(current, me, now)])
        if not sig.hashes:
            return arrival
        known = found.incident_candidates([current, previous]) if found is not None else None
        open_ones, recent = known or self.store.incidents.candidates([current, previous])
        match = join_open(sig, open_ones, settings.detect) or cluster(me, sig, recent, settings.detect, now)
        if match is None:
            return arrival
        incident: Incident | OpenIncident
        if match.incident is not None:
            arrival.writes += self._join(match, me, now)
            arrival.position = match.incident.tickets_count + 1
            incident = match.incident
        else:
            incident, writes = self._open(match, me, sig, now)
            arrival.writes += writes
            arrival.position, arrival.opened = len(incident.tickets), True
        arrival.incident, arrival.title, arrival.reason = incident.id, incident.title, match.reason
        return arrival

    def _join(self, match: Match, me: RecentTicket, now: datetime, actor: str = "system") -> list[Write]:
        incident = match.incident
        assert incident is not None
        promoted = severity_rank(self.policy, me.severity) < severity_rank(self.policy, incident.severity)
        writes = [self.store.incidents.link(incident, me.ticket, me.account, me.arr, me.name, me.strategic,
                                            me.hashes, now, promote_to=(me.severity, me.ticket) if promoted else None),
                  self.store.incidents.index_link(incident, me.hashes, me.severity if promoted else None,
                                                  me.ticket if promoted else None),
                  self.store.incidents.add_entry(IncidentEntry(incident=incident.number, at=now, kind="linked",
                                                               key=str(me.ticket), actor=actor, ticket=me.ticket,
                                                               text=match.reason))]
        if promoted:
            writes += self._faster_cadence(incident, me.severity, now)
        return writes

    def _faster_cadence(self, incident: OpenIncident, severity: str, now: datetime) -> list[Write]:
        """A promoted incident (its new severity and lead are set by the link itself, in the same write)
        takes the faster cadence as a step of its own: whichever step comes first sends, the other
        finds the update sent and waits."""
        writes: list[Write] = []
        every = self.policy.severities[severity].update_every
        if every:
            item = cadence_item(incident.number, 1, now + every)
            item.id = f"update#promoted-{severity}"
            writes.append(self.store.due.add(item))
        return writes

    def _open(self, match: Match, me: RecentTicket, sig: Signature, now: datetime) -> tuple[Incident, list[Write]]:
        members = match.tickets
        lead = min(members, key=lambda r: (severity_rank(self.policy, r.severity), r.ticket))
        number = self.store.incidents.next_number()
        first_at = min(r.at for r in members)
        every = self.policy.severities[lead.severity].update_every
        incident = Incident(number=number, title=title_for(sig.category), severity=lead.severity,
                            tickets={r.ticket for r in members}, lead=lead.ticket,
                            accounts={r.account: r.arr for r in members},
                            account_names={r.account: r.name for r in members},
                            strategic={r.account for r in members if r.strategic}, category=sig.category,
                            triggers=set().union(*(set(r.triggers) for r in members)),
                            signatures=[r.hashes for r in members if r.hashes][:20], reason=match.reason,
                            created_at=now, next_update_at=first_at + every if every else None)
        writes = [self.store.incidents.create(incident), self.store.incidents.index_open(OpenIncident.of(incident)),
                  self.store.incidents.add_entry(IncidentEntry(incident=number, at=now, kind="opened",
                                                               key="detection", text=match.reason))]
        writes += [self.store.incidents.claim_ticket(r.ticket, incident.id, match.reason, incident.title)
                   for r in members if r.ticket != me.ticket]
        if every:
            writes.append(self.store.due.add(cadence_item(number, 1, max(now, first_at + every))))
        logger.info("incident_opened", extra={"incident": incident.id, "tickets": len(members),
                                              "accounts": len(incident.accounts)})
        metric("IncidentsOpened", severity=incident.severity)
        return incident, writes

    def spoken_for(self, ctx: TicketContext) -> bool:
        """Another ticket (the open incident's lead) speaks for this one."""
        from helpdesk.incidents.model import incident_number

        number = incident_number(ctx.ticket.incident or "")
        incident = self.store.incidents.get(number) if number else None
        return incident is not None and incident.open and incident.lead != ctx.number

    # -- by hand -----------------------------------------------------------------------------------

    def get(self, number: int) -> Incident:
        incident = self.store.incidents.get(number)
        if incident is None:
            raise TicketOpError(f"no incident {incident_id(number)}")
        return incident

    def open_by_hand(self, ticket: Ticket, account: Account, title: str, actor: str) -> Incident:
        if ticket.incident:
            raise TicketOpError(f"ticket #{ticket.number} is already linked to {ticket.incident}; "
                                f"#incident unlink first")
        now = self.clock.now()
        number = self.store.incidents.next_number()
        every = self.policy.severities[ticket.severity].update_every
        scope = account.domain if not account.is_default else ticket.requester.rpartition("@")[2]
        incident = Incident(number=number, title=title[:200], severity=ticket.severity, tickets={ticket.number},
                            lead=ticket.number, accounts={scope: account.arr},
                            account_names={scope: account.name or scope},
                            strategic={scope} if strategic(account) else set(), category=ticket.issue_type,
                            triggers=set(ticket.triggers), opened_by=actor, reason=f"opened by {actor}",
                            created_at=now, next_update_at=now + every if every else None)
        reason = f"{actor} opened {incident.id} from this ticket"
        writes = [self.store.incidents.create(incident), self.store.incidents.index_open(OpenIncident.of(incident)),
                  self.store.incidents.add_entry(IncidentEntry(incident=number, at=now, kind="opened",
                                                               key="hand", actor=actor, ticket=ticket.number,
                                                               text=title[:200])),
                  self.store.incidents.claim_ticket(ticket.number, incident.id, reason, incident.title)]
        if every:
            writes.append(self.store.due.add(cadence_item(number, 1, now + every)))
        self._commit(writes, f"ticket #{ticket.number} changed meanwhile")
        return incident

    def link_by_hand(self, number: int, ticket: Ticket, account: Account, actor: str) -> Incident:
        incident = self.get(number)
        if not incident.open:
            raise TicketOpError(f"{incident.id} is resolved; open a new incident instead")
        if ticket.incident and ticket.incident != incident.id:
            raise TicketOpError(f"ticket #{ticket.number} is already linked to {ticket.incident}; "
                                f"#incident unlink first")
        if ticket.incident == incident.id:
            return incident  # linking is idempotent: nothing changes, nothing is logged twice
        now = self.clock.now()
        scope = account.domain if not account.is_default else ticket.requester.rpartition("@")[2]
        reason = f"linked by {actor}"
        me = RecentTicket(ticket=ticket.number, account=scope, at=now, severity=ticket.severity, arr=account.arr,
                          name=account.name or scope, strategic=strategic(account))
        writes = [self.store.incidents.claim_ticket(ticket.number, incident.id, reason, incident.title),
                  *self._join(Match(reason, incident=OpenIncident.of(incident)), me, now, actor)]
        self._commit(writes, f"ticket #{ticket.number} is linked to another incident")
        return self.get(number)

    def unlink(self, ticket: Ticket, actor: str) -> Incident:
        from helpdesk.incidents.model import incident_number

        number = incident_number(ticket.incident or "")
        if number is None:
            raise TicketOpError(f"ticket #{ticket.number} is not linked to an incident")
        for _ in range(MAX_RACES):
            incident, now = self.get(number), self.clock.now()
            rest = incident.tickets - {ticket.number}
            changed = incident.model_copy(update={"tickets": rest, "updated_at": now})
            if incident.lead == ticket.number:
                changed.lead = self._new_lead(rest)
            writes = [self.store.incidents.save(changed, incident.updated_at),
                      self.store.incidents.release_ticket(ticket.number, incident.id),
                      self.store.incidents.add_entry(IncidentEntry(incident=number, at=now, kind="unlinked",
                                                                   key=str(ticket.number), actor=actor,
                                                                   ticket=ticket.number))]
            try:
                self.store.commit(writes)
            except ConflictError as exc:
                if exc.involves("incident_link"):
                    raise TicketOpError(f"ticket #{ticket.number} is not linked to {incident.id}") from exc
                continue
            return changed
        raise TicketOpError(f"{incident_id(number)} kept changing; try again")

    def _new_lead(self, tickets: set[int]) -> int | None:
        found = self.store.tickets.get_many(sorted(tickets))
        open_ones = [t for t in found.values() if not t.closed] or list(found.values())
        if not open_ones:
            return None
        return min(open_ones, key=lambda t: (severity_rank(self.policy, t.severity), t.number)).number

    def post_update(self, number: int, text: str, actor: str) -> Incident:
        """One update, fanned out to every linked customer under their own ticket number."""
        for _ in range(MAX_RACES):
            incident, now = self.get(number), self.clock.now()
            if not incident.open:
                raise TicketOpError(f"{incident.id} is resolved")
            seq = incident.updates_sent + 1
            writes = [self.store.incidents.start_update(number, seq, now, text),
                      self.store.incidents.add_entry(IncidentEntry(incident=number, at=now, kind="update",
                                                                   key=str(seq), actor=actor, text=text[:2000])),
                      self.store.due.add(fanout_item(number, "update", seq, now, text[:2000]))]
            try:
                self.store.commit(writes)
            except ConflictError:
                continue
            metric("IncidentUpdates", source="staff")
            return self.get(number)
        raise TicketOpError(f"{incident_id(number)} kept changing; try again")

    def resolve(self, number: int, actor: str, root_cause: str = "", fix: str = "", prevention: str = "") -> Incident:
        """Resolved once; each linked ticket is then resolved with this summary (fan-out)."""
        incident, now = self.get(number), self.clock.now()
        if not incident.open:
            raise TicketOpError(f"{incident.id} is already resolved")
        summary = {"root_cause": root_cause[:2000], "fix": fix[:2000], "prevention": prevention[:2000]}
        writes = [self.store.incidents.resolve(number, now, summary, actor), self.store.incidents.index_close(number),
                  self.store.incidents.add_entry(IncidentEntry(incident=number, at=now, kind="resolved", key="1",
                                                               actor=actor, text=fix[:500])),
                  self.store.due.add(fanout_item(number, "resolve", 1, now))]
        self._commit(writes, f"{incident.id} was resolved meanwhile")
        metric("IncidentsResolved", severity=incident.severity)
        return self.get(number)

    def _commit(self, writes: list[Write], conflict: str) -> None:
        try:
            self.store.commit(writes)
        except ConflictError as exc:
            raise TicketOpError(conflict) from exc
