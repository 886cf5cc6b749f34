"""The survey's questions: what the page asks, on which scale, and where the answer is kept.

The email carries one-click links for the overall score (CSAT) and for NPS; the page they open
asks the rest of what the resolution framework and the alert protocol measure: response time,
communication, resolution quality and customer effort.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk.tickets.records import RATING_FIELDS

CSAT_LABELS = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neither", 4: "Satisfied", 5: "Very satisfied"}


@dataclass(frozen=True)
class Question:
    key: str
    low: int
    high: int
    title: str
    name: str  # in mails to staff and in reports
    low_label: str
    high_label: str

    @property
    def field(self) -> str:
        return RATING_FIELDS[self.key]

    @property
    def scores(self) -> range:
        return range(self.low, self.high + 1)

    @property
    def scale(self) -> str:
        return f"{self.low}-{self.high}"


QUESTIONS: tuple[Question, ...] = (
    Question("csat", 1, 5, "Overall, how satisfied are you with how we handled your request?",
             "satisfaction (CSAT)", "very dissatisfied", "very satisfied"),
    Question("response_time", 1, 5, "How satisfied are you with how quickly we responded?",
             "response time", "very dissatisfied", "very satisfied"),
    Question("communication", 1, 5, "How clear and regular was our communication while we worked on it?",
             "communication", "very poor", "excellent"),
    Question("resolution_quality", 1, 5, "How well did our solution fix the problem?",
             "resolution quality", "not at all", "completely"),
    Question("effort", 1, 10, "How easy was it for you to get this resolved?",
             "customer effort (ease)", "very hard", "very easy"),
    Question("nps", 0, 10, "How likely are you to recommend us to a friend or colleague?",
             "likelihood to recommend (NPS)", "not at all likely", "extremely likely"),
)
BY_KEY = {q.key: q for q in QUESTIONS}
QUESTION_NAMES = {q.key: q.name for q in QUESTIONS}
