"""Shared report fixtures: November 2026 in Los Angeles (it starts in daylight time, ends in standard)."""

from __future__ import annotations

import pytest

from helpdesk.reports.compute import make_period
from tests.reports.test_reports import LA, NOV_END, NOV_START


@pytest.fixture(scope="module")
def november():
    return make_period(NOV_START, NOV_END, LA)
