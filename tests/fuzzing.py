"""Hypothesis settings for the fuzzing tests: bounded examples, no deadline (each example
runs the real CLI against a local server), function-scoped fixtures shared on purpose."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def fuzzing(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
