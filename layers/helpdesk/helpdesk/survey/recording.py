"""Recording what a customer confirmed on the survey page: answers, a comment, and what follows.

Everything one submission changes commits in one transaction fenced on the ticket's version:
one `rating` entry per answer that changed, the comment, the first low rating's reopen, and the
owner's mail (now, or held back to keep to one a day). Only the first low rating of a survey
reopens the ticket and escalates; later answers update the figures and nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk.core.errors import ConflictError
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.sla.due import DueItem
from helpdesk.survey.feedback import SURVEY_ACTOR, FeedbackNotifier, is_low
from helpdesk.survey.questions import BY_KEY
from helpdesk.survey.tokens import Claim
from helpdesk.tickets import changes
from helpdesk.tickets.changes import Builder, Change
from helpdesk.tickets.records import Ticket

if TYPE_CHECKING:
    from helpdesk.adapters.aws.blobs import BlobStore
    from helpdesk.escalation.escalator import Escalator
    from helpdesk.tickets.context import TicketContext
    from helpdesk.tickets.operations import TicketOps

TRIGGERS = {"csat": "csat_low", "nps": "nps_detractor"}
COMMENT_INLINE = 16_000  # characters kept on the thread entry; the full text goes to S3
COMMENT_PREFIX = "survey-comments/"


@dataclass
class Submission:
    """What one POST carries, already checked against each question's scale."""

    claim: Claim
    answers: dict[str, int]
    comment: str = ""


@dataclass
class Outcome:
    """What the builders decided, read after the commit (reset on every attempt)."""

    low_now: list[str] = field(default_factory=list)  # low answers recorded by this submission
    worth_mail: bool = False  # a rating turned low, or a comment came
    escalate: list[str] = field(default_factory=list)
    notify: DueItem | None = None
    recorded: list[str] = field(default_factory=list)
    ticket: Ticket | None = None
    repeated_comment: bool = False


class Recorder:
    def __init__(self, ops: TicketOps, escalator: Escalator, feedback: FeedbackNotifier, blobs: BlobStore) -> None:
        self.ops = ops
        self.escalator = escalator
        self.feedback = feedback
        self.blobs = blobs

    def record(self, submission: Submission) -> Outcome:
        number = submission.claim.ticket
        comment = self._comment(submission) if submission.comment else None
        outcome = Outcome()
        try:
            outcome.ticket = self.ops.apply(number, self._builders(submission, comment, outcome))
        except ConflictError as exc:
            if comment is None or not exc.involves("survey_comment_once"):
                raise
            # The same comment again (a refreshed form): keep it once, still record the answers.
            outcome = Outcome(repeated_comment=True)
            outcome.ticket = self.ops.apply(number, self._builders(submission, None, outcome))
            logger.info("survey_comment_repeated", extra={"ticket": number})
        self._after(submission, outcome, comment is not None and not outcome.repeated_comment)
        return outcome

    def _after(self, submission: Submission, outcome: Outcome, commented: bool) -> None:
        number = submission.claim.ticket
        for question in outcome.recorded:
            metric("Ratings", question=question, score=str(submission.answers[question]))  # small scales
        for question in outcome.low_now:
            metric("LowRatings", question=question)
        if commented:
            metrics.add_metric(name="SurveyComments", unit="Count", value=1)
            logger.info("survey_commented", extra={"ticket": number})
        logger.info("survey_recorded", extra={"ticket": number, "answers": len(outcome.recorded),
                                               "low": bool(outcome.low_now), "commented": commented})
        round_ = str(submission.claim.survey_round)  # a later survey's low rating is news again
        self.escalator.raise_triggers(number, [(TRIGGERS[q], round_) for q in outcome.escalate], round=round_)
        if outcome.notify is not None:
            self.feedback.due.run(outcome.notify)

    def _comment(self, submission: Submission) -> dict[str, object]:
        """The comment's entry fields; a long one is kept whole in S3 and cut on the thread."""
        text, claim = submission.comment, submission.claim
        # The same comment sent twice is one comment: its digest names its entry and its latch.
        digest = hashlib.blake2b(claim.payload() + b"\0" + text.encode("utf-8"), digest_size=8).hexdigest()
        text_key = None
        if len(text) > COMMENT_INLINE:
            text_key = self.blobs.write(f"{COMMENT_PREFIX}{claim.ticket}/{digest}.txt", text.encode("utf-8"),
                                        "text/plain; charset=utf-8")
        return {"key": digest, "kind": "survey_comment", "actor": "customer", "text": text[:COMMENT_INLINE],
                "text_truncated": text_key is not None, "text_key": text_key, "chars": len(text),
                "survey": claim.survey_round}

    def _builders(self, submission: Submission, comment: dict[str, object] | None, outcome: Outcome
                  ) -> list[Builder]:
        round_id = submission.claim.survey_round

        def start(ctx: TicketContext, now: datetime) -> Change:
            fresh = Outcome(repeated_comment=outcome.repeated_comment)
            outcome.__dict__.update(fresh.__dict__)  # a retried transaction decides afresh
            return Change()

        found = [start] + [self._answer(key, score, round_id, outcome)
                           for key, score in submission.answers.items()]
        if comment is not None:
            found.append(self._comment_change(comment, outcome))
        return [*found, self._consequences(round_id, outcome), self._mail(outcome)]

    @staticmethod
    def _answer(key: str, score: int, round_id: str, outcome: Outcome) -> Builder:
        question = BY_KEY[key]

        def change(ctx: TicketContext, now: datetime) -> Change:
            previous = ctx.ticket.rating(key)
            if previous == score:
                return Change()  # a reload or the same answer again: nothing new
            low = is_low(ctx, key, score)
            if low:
                outcome.low_now.append(key)
                outcome.worth_mail |= not is_low(ctx, key, previous)  # the owner hears when it turns bad
            outcome.recorded.append(key)
            sets: dict[str, object] = {question.field: score, "rated_at": now}
            if key in TRIGGERS:
                sets[f"{key}_at"] = now
            return Change(sets, {"kind": "rating", "actor": "customer", "question": key, "score": score,
                                 "scale": question.scale, "previous": previous, "low": low, "survey": round_id})

        return change

    def _comment_change(self, comment: dict[str, object], outcome: Outcome) -> Builder:
        def change(ctx: TicketContext, now: datetime) -> Change:
            outcome.worth_mail = True
            latch = self.ops.store.due.add_once(
                DueItem.new(ctx.number, f"survey_comment#{comment['key']}", "survey_comment_seen", now,
                            {"entry_key": comment["key"]}).model_copy(update={"status": "done"}),
                label="survey_comment_once")
            return Change({"survey_comment_at": now}, dict(comment), writes=[latch], adds={"survey_comments": 1})

        return change

    @staticmethod
    def _consequences(round_id: str, outcome: Outcome) -> Builder:
        """The first low rating of this survey reopens the ticket and escalates; later ones do not."""
        def change(ctx: TicketContext, now: datetime) -> Change:
            if not outcome.low_now or ctx.ticket.survey_low_round == round_id:
                return Change()
            outcome.escalate = [q for q in outcome.low_now if q in TRIGGERS]
            names = ", ".join(f"{BY_KEY[q].name} {ctx.ticket.rating(q)} of {BY_KEY[q].high}"
                              for q in outcome.low_now)
            result = changes.reopen(SURVEY_ACTOR, f"the customer rated {names}")(ctx, now) if ctx.closed \
                else Change()
            result.sets["survey_low_round"] = round_id
            return result

        return change

    def _mail(self, outcome: Outcome) -> Builder:
        def change(ctx: TicketContext, now: datetime) -> Change:
            if not outcome.worth_mail:
                return Change()
            planned, outcome.notify = self.feedback.plan(ctx, now)
            return planned

        return change
