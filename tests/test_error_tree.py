"""One mapping from a status to the error tree, one retry policy, for every caller."""

from __future__ import annotations

import pytest

from perplex_cli.api.chat_events import stream_error
from perplex_cli.errors import ApiError, AuthError, RateLimited, ServerError, for_status
from perplex_cli.transport.retry import backoff, retryable, status_line

TABLE = [
    (400, ApiError, 4, False),
    (401, AuthError, 3, False),
    (403, AuthError, 3, False),
    (404, ApiError, 4, False),
    (408, ApiError, 4, True),
    (409, ApiError, 4, True),
    (422, ApiError, 4, False),
    (429, RateLimited, 5, True),
    (500, ServerError, 6, True),
    (503, ServerError, 6, True),
    (0, ServerError, 6, False),  # no status: the API failed without saying why
]


@pytest.mark.parametrize("status,kind,exit_code,again", TABLE)
def test_a_status_maps_to_one_error_whoever_met_it(status, kind, exit_code, again):
    raised = for_status(status, "said", reason="Reason", retry_after=2.0)
    streamed = stream_error({"message": "said", "code": status})
    for error in (raised, streamed):
        assert type(error) is kind
        assert error.exit_code == exit_code
        assert error.status == status
    assert retryable(raised) is again
    assert status_line(raised) == (f"{status} Reason" if status else "said")
    if isinstance(raised, ApiError):
        assert raised.retry_after == 2.0


def test_the_error_fields_are_keyword_only():
    with pytest.raises(TypeError):
        ApiError("no", 404)  # type: ignore[misc]
    error = ApiError("no", status=404, reason="Not Found")
    assert (error.status, error.reason, error.retry_after) == (404, "Not Found", None)


def test_backoff_doubles_with_jitter_and_stops_at_a_minute():
    for attempt in range(1, 12):
        delay = backoff(1.0, attempt)
        assert 0.5 * min(2 ** (attempt - 1), 60) <= delay <= min(2 ** (attempt - 1), 60)
    assert backoff(1.0, 1000) <= 60
