"""Classifier time per message: labelled mail, and 200 KB bodies of prose, logs and repeated alarm words.

    PYTHONPATH=layers/helpdesk:local python benchmarks/classifier_speed.py
"""

from __future__ import annotations

import statistics
import time

from helpdesk.classify import Classifier
from helpdesk.policy.loader import load_policy
from helpdesk_local.eval_data import load_all

LOG = "2024-05-14T02:13:07Z INFO export.worker chunk processed rows=5000 status=ok\n"


def timed(classifier: Classifier, subject: str, body: str, runs: int = 9) -> tuple[float, float, float]:
    """Median and worst wall-clock time, and median CPU time (steadier on a shared, loaded machine), in ms."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        classifier.classify(subject, body)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), max(wall), statistics.median(cpu)


def main() -> None:
    classifier = Classifier(load_policy("p0-p3"))
    examples = [e for e in load_all() if len(e.body) < 100_000]
    prose = " ".join(e.body for e in examples)
    cases = {"prose": ("Orders", (prose * 3)[:200_000]), "log": ("Export", "The export keeps failing.\n" + LOG * 2600),
             "repeated alarm words": ("Down", "cannot log in everyone down data deleted " * 5000)}
    classifier.classify("warm", "up")
    started = time.perf_counter()
    for e in examples:
        classifier.classify(e.subject, e.body, e.account)
    print(f"labelled mail: {(time.perf_counter() - started) * 1000 / len(examples):.2f} ms mean over {len(examples)}")
    for name, (subject, body) in cases.items():
        median, worst, cpu = timed(classifier, subject, body)
        print(f"{name}, {len(body) // 1000} KB: median {median:.1f} ms, max {worst:.1f} ms, CPU median {cpu:.1f} ms")


if __name__ == "__main__":
    main()
