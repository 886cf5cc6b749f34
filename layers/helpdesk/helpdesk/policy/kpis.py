"""The `kpis:` section: the goals the reports hold the team to.

Each goal is one number whose direction the measure fixes (first-contact resolution at least 85%,
recurrence below 5%), so a policy cannot ask for "at least 5% recurrence" by mistake. A goal left
out (or set to null) means the report shows the figure with "no goal". The defaults are the
resolution framework's figures, so a policy written before this section keeps the goals the
reports used to hard-code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from helpdesk.policy.durations import Duration
from helpdesk.policy.hours import Strict

Percent = float


class KpiGoals(Strict):
    """Goals for every measure of the resolution framework; percentages are 0-100."""

    first_contact_resolution: Percent | None = Field(default=85.0, ge=0, le=100)  # at least
    average_resolution_time: Duration | None = None  # below; the framework leaves the figure to each team
    csat: float | None = Field(default=9.0, ge=0, le=10)  # at least, on `csat_scale`
    csat_scale: Literal[5, 10] = 10  # how the report states CSAT: the 1-5 average, or that average x 2
    recurrence_rate: Percent | None = Field(default=5.0, ge=0, le=100)  # below
    retention_rate: Percent | None = Field(default=95.0, ge=0, le=100)  # at least
    nps: float | None = Field(default=50.0, ge=-100, le=100)  # at least
    customer_effort: float | None = Field(default=8.0, ge=1, le=10)  # at least, of 10 (10 = very easy)
    escalation_rate: Percent | None = Field(default=10.0, ge=0, le=100)  # below
    response_compliance: Percent | None = Field(default=95.0, ge=0, le=100)  # at least, all severities
    followup_completion: Percent | None = Field(default=100.0, ge=0, le=100)  # at least
    documentation_quality: float | None = Field(default=9.0, ge=0, le=10)  # at least, of 10
    # staff: the #docscore ratings; completeness: resolution-record fields filled; auto: staff where
    # any resolved ticket of the period has a #docscore, else completeness.
    documentation_source: Literal["auto", "staff", "completeness"] = "auto"
    knowledge_base_articles: float | None = Field(default=None, ge=0)  # at least, per month; no framework figure

    @model_validator(mode="after")
    def _csat_fits_its_scale(self) -> KpiGoals:
        if self.csat is not None and self.csat > self.csat_scale:
            raise ValueError(f"csat: a goal of {self.csat:g} does not fit csat_scale {self.csat_scale}")
        return self
