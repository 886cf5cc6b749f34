"""Every real-world message in ../shared/corpus survives `helpdesk replay` without a handler error."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present beside the clone")


def test_corpus_replays_without_errors(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "helpdesk_local.cli", "replay", "--json", str(CORPUS), "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(rows) >= 200, result.stderr[-2000:]
    errors = [row for row in rows if row["error"] is not None]
    assert errors == [], errors[:5]
    outcomes = {row["outcome"] for row in rows}
    assert outcomes <= {"created", "threaded", "dropped", "quarantined", "duplicate"}
    assert {"created", "dropped"} <= outcomes
    bounces = [row for row in rows if "multipart_report" in row["file"]]
    assert bounces and all(row["outcome"] == "dropped" for row in bounces)
    assert result.returncode == 0
