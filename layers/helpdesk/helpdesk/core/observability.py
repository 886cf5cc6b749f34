"""Logger, Tracer and Metrics singletons shared by every handler and the domain."""

from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.tracing.base import BaseProvider

SERVICE = "helpdesk"


class _NoTracing(BaseProvider):
    """Stands in for X-Ray when tracing is off, so a disabled tracer costs no import of the X-Ray SDK."""

    @contextmanager
    def in_subsegment(self, name: str = "", **kwargs: Any):  # type: ignore[override]
        yield _NoSegment()

    in_subsegment_async = in_subsegment  # type: ignore[assignment]

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Any) -> None:
        pass

    def patch_all(self) -> None:
        pass


class _NoSegment:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true")
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not disabled


logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE) if _tracing_enabled() else Tracer(service=SERVICE, disabled=True,
                                                                    provider=_NoTracing())
metrics = Metrics(namespace="Helpdesk", service=SERVICE)


def metric(name: str, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    """A metric with its own low-cardinality dimensions (severity, clock, level, reason), never ids.

    Metrics without extra dimensions are batched by `metrics`; dimensioned ones are emitted at once
    as their own EMF record, because one record carries one set of dimensions.
    """
    if not dimensions:
        metrics.add_metric(name=name, unit=unit, value=value)
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit(unit), value=value, namespace="Helpdesk",
                       default_dimensions={"service": SERVICE}) as record:
        for key, dimension in dimensions.items():
            record.add_dimension(name=key, value=str(dimension))


_SCRUB = re.compile(
    r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"  # addresses, including plus-address tokens
    r"|\+?\d[\d ().-]{7,}\d"  # phone numbers
    r"|\b[A-Za-z0-9_-]{24,}\b"  # tokens, keys and signatures
    r"|'[^'\n]{0,500}'|\"[^\"\n]{0,500}\""  # quoted values (validation errors quote their input: subjects, text)
)


def scrub(text: str, limit: int = 300) -> str:
    """Error text safe for logs: addresses, phone numbers, tokens and quoted values replaced, length bounded."""
    return _SCRUB.sub("[redacted]", text or "")[:limit]


def where(exc: BaseException) -> str:
    """The innermost frame of our own code that raised, as `module:line`, for logs without tracebacks."""
    tb, found = exc.__traceback__, ""
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if name.startswith("helpdesk"):
            found = f"{name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


_AWS_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


def quiet_aws_loggers() -> None:
    """botocore logs request bodies (addresses, subjects, text) at DEBUG: keep it and its children at
    WARNING or above, whatever LOG_LEVEL or anyone's setLevel says. Handlers call this per invocation."""
    for name in _AWS_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name, child in list(logging.root.manager.loggerDict.items()):
        if (isinstance(child, logging.Logger) and name.startswith(tuple(f"{n}." for n in _AWS_LOGGERS))
                and logging.NOTSET < child.level < logging.WARNING):
            child.setLevel(logging.WARNING)


quiet_aws_loggers()
