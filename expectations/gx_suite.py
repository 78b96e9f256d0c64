"""Checks as Great Expectations objects, and their results back as plain outcomes: the two
translations between :mod:`expectations.checks` and GX, with no I/O.

Every expectation reports in :data:`RESULT_FORMAT`: counts and observed values, and no
sample of the values that failed (``partial_unexpected_count`` 0, no unexpected rows), so
neither ``ops.dq_results`` nor the data docs ever hold an identifier of a row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from expectations.checks import Check, Severity, Suite

RESULT_FORMAT: dict[str, Any] = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
}
REPORTED = (
    "observed_value",
    "element_count",
    "missing_count",
    "unexpected_count",
    "unexpected_percent",
)
"""The result fields an outcome keeps: numbers, never lists of values."""
CHECK_KEY = "check"
MAX_ERROR = 300


def expectation(check: Check) -> Any:
    import great_expectations as gx

    kind = getattr(gx.expectations, check.kind)
    return kind(
        **check.arguments,
        severity=check.severity.value,
        description=check.description,
        meta={CHECK_KEY: check.name},
        result_format=RESULT_FORMAT,
    )


def expectation_suite(suite: Suite) -> Any:
    import great_expectations as gx

    return gx.ExpectationSuite(
        name=suite.name,
        expectations=[expectation(check) for check in suite.checks],
        meta={"description": suite.description},
    )


@dataclass(frozen=True)
class Outcome:
    """One expectation's result: what ``ops.dq_results`` keeps of it."""

    suite: str
    check: str
    kind: str
    severity: Severity
    success: bool
    observed: dict[str, Any]

    @property
    def observed_json(self) -> str:
        return json.dumps(self.observed, sort_keys=True, default=str)

    @property
    def blocks(self) -> bool:
        """A failed critical expectation: the day is not published."""
        return not self.success and self.severity is Severity.CRITICAL


def observed_of(result: dict[str, Any], exception: dict[str, Any] | None) -> dict[str, Any]:
    """The numbers of a result (lists dropped whatever they hold), or the error that
    stopped the expectation."""
    if exception and exception.get("raised_exception"):
        message = str(exception.get("exception_message") or "error")
        return {"error": message[:MAX_ERROR]}
    return {
        key: value
        for key, value in result.items()
        if key in REPORTED and not isinstance(value, (list, tuple, dict, set))
    }


def outcomes(suite: Suite, validation: Any) -> list[Outcome]:
    """The outcome of each of the suite's checks from an ExpectationSuiteValidationResult."""
    found = []
    for result in validation.results:
        config = result.expectation_config
        check = suite.check(str((config.meta or {})[CHECK_KEY]))
        info = result.exception_info or {}
        exception = info if "raised_exception" in info else next(iter(info.values()), None)
        found.append(
            Outcome(
                suite.name,
                check.name,
                str(config.type),
                check.severity,
                bool(result.success),
                observed_of(dict(result.result or {}), exception),
            )
        )
    return found
