"""Every row of the failure table in docs/failures.md is pinned by a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# docs/failures.md row (its first cell) -> the tests that pin it, as "module::function".
PINNED_BY = {
    "`--save-files`: the run's file list or a file is refused (404, ...)": [
        "test_agent_tools::test_an_unknown_run_is_exit_4_after_the_answer"
    ],
    "`--save-files`: a file sends more bytes than its listing announced": [
        "test_agent_tools::test_more_bytes_than_announced_leave_no_file"
    ],
    "`--save-files DIR` cannot be made or written": [
        "test_agent_tools::test_save_files_into_a_file_is_refused",
        "test_agent_tools::test_a_dir_that_cannot_be_made_is_exit_2_naming_it",
        "test_agent_tools::test_a_dir_that_cannot_be_written_is_exit_2_naming_it",
    ],
    "nothing listens at the base URL": [
        "test_retries::test_connection_refused_is_retried_then_exit_7"
    ],
    "something that is not HTTP listens there": [
        "test_retries::test_wrong_port_that_is_not_http_is_exit_7_naming_it"
    ],
    "the TLS handshake fails": ["test_retries::test_tls_failure_is_a_network_error"],
    "no connection within `--connect-timeout`": [
        "test_retries::test_connect_timeout_is_a_network_error"
    ],
    "no status line and headers within `--timeout`, however slowly they trickle": [
        "test_retries::test_slow_server_before_the_status_line_is_a_network_error_after_retries",
        "test_hostile_server::test_a_status_line_trickled_a_byte_a_second_ends_within_the_timeout",
    ],
    "a redirect (3xx), to any host": ["test_hostile_server::test_a_redirect_is_not_followed"],
    "a line or an event longer than 16 MiB": [
        "test_hostile_server::test_an_endless_event_stops_at_the_event_limit_keeping_the_answer",
        "test_hostile_server::test_a_small_gzip_body_that_inflates_to_100_mb_is_bounded",
    ],
    "an answer (or its reasoning) longer than 64 Mi characters": [
        "test_hostile_server::test_an_endless_answer_stops_at_the_answer_limit_keeping_the_text"
    ],
    "headers, then silence or a reset before the first byte": [
        "test_retries::test_silence_after_the_headers_before_any_byte_is_retried",
        "test_retries::test_reset_after_the_headers_before_any_byte_is_retried",
    ],
    "5xx after the retries": [
        "test_retries::test_503_forever_gives_up_after_the_retries_with_exit_6",
        "test_retries::test_500_with_a_json_body_shows_the_api_message_after_the_retries",
    ],
    "429 after the retries": [
        "test_retries::test_429_forever_is_exit_5_with_a_hint",
        "test_rate_limits::test_a_429_says_when_the_rate_limit_resets",
        "test_rate_limits::test_a_429_with_retry_after_only_says_when_to_retry",
    ],
    "401 or 403": [
        "test_api_errors::test_recorded_error_gives_exit_code_and_the_api_message",
        "test_retries::test_other_errors_are_never_retried",
    ],
    "400, 404, 422 and other 4xx (not retried)": [
        "test_api_errors::test_recorded_error_gives_exit_code_and_the_api_message",
        "test_api_errors::test_422_detail_list_is_shown_in_one_line",
        "test_retries::test_other_errors_are_never_retried",
    ],
    "status 200 but no event at all (HTML, JSON, text)": [
        "test_cut_answers::test_a_200_body_with_no_event_is_exit_8_quoting_its_first_line"
    ],
    "status 200 and an empty body": [
        "test_cut_answers::test_a_200_body_with_no_event_is_exit_8_quoting_its_first_line"
    ],
    "the connection is reset mid-answer": [
        "test_cut_answers::test_text_keeps_what_was_printed_and_ends_the_line"
    ],
    "the body ends early (chunked end missing, short of its Content-Length)": [
        "test_cut_answers::test_json_is_the_partial_document_with_an_error_member"
    ],
    "the body ends before the answer is complete": [
        "test_cut_answers::test_ndjson_is_every_chunk_received_then_an_error_line"
    ],
    "the last event is cut off": [
        "test_cut_answers::test_text_keeps_what_was_printed_and_ends_the_line"
    ],
    "silence mid-answer longer than `--timeout`": [
        "test_cut_answers::test_stall_closes_the_connection_instead_of_waiting_for_the_server"
    ],
    "a complete event is not JSON": [
        "test_cut_answers::test_json_is_the_partial_document_with_an_error_member"
    ],
    "an event is JSON but not a chunk (a field of the wrong type)": [
        "test_cut_answers::test_ndjson_is_every_chunk_received_then_an_error_line",
        "test_hostile_json::test_a_field_of_the_wrong_type_is_exit_8_or_ignored_never_a_crash",
        "test_hostile_json::test_an_agent_event_of_the_wrong_type_is_exit_8_with_the_partial_answer",
        "test_hostile_json::test_a_field_of_the_wrong_type_without_streaming_keeps_the_document",
    ],
    "a source list, usage, model or id of the wrong type": [
        "test_hostile_json::test_a_field_of_the_wrong_type_is_exit_8_or_ignored_never_a_crash",
        "test_hostile_json::test_fuzzed_server_json_never_causes_an_internal_error",
    ],
    "JSON nested more than 64 levels deep": [
        "test_hostile_json::test_deeply_nested_json_is_exit_8_with_the_partial_answer_kept"
    ],
    "`NaN`, `Infinity`, `1e400`, an integer beyond 64 bits": [
        "test_hostile_json::test_nan_infinity_and_1e400_are_read_as_absent",
        "test_hostile_json::test_a_huge_integer_and_a_lone_surrogate_are_logged_safely",
    ],
    "a lone UTF-16 surrogate (`\\ud800`) in a JSON string": [
        "test_hostile_json::test_a_huge_integer_and_a_lone_surrogate_are_logged_safely"
    ],
    "an error object inside the stream": [
        "test_cut_answers::test_an_error_object_inside_the_stream_exits_by_its_code"
    ],
    "bytes that are not UTF-8 inside an event": [
        "test_cut_answers::test_invalid_utf8_is_replaced_and_the_answer_goes_on_in_every_format"
    ],
    "a break after the answer is complete": [
        "test_cut_answers::test_a_break_after_the_answer_is_complete_is_success"
    ],
    "an Agent API stream breaks, stalls or ends early after naming its response": [
        "test_agent_resume::test_a_broken_stream_goes_on_from_the_last_event_as_if_unbroken",
        "test_agent_resume::test_every_kind_of_break_is_resumed",
        "test_agent_resume::test_an_expired_cursor_finishes_the_answer_from_the_stored_response",
    ],
    "resuming it fails (404, a failed or cancelled run, the retries spent)": [
        "test_agent_resume::test_an_unknown_response_404_keeps_the_partial_answer_exit_7",
        "test_agent_resume::test_a_run_that_ended_failed_or_cancelled_keeps_the_partial_answer_exit_7",
        "test_agent_resume::test_a_spent_retry_budget_keeps_the_partial_answer_exit_7",
    ],
    "Ctrl-C, at any point": [
        "test_signals_and_pipes::test_ctrl_c_mid_answer_keeps_the_partial_answer",
        "test_signals_and_pipes::test_ctrl_c_while_waiting_for_the_first_byte",
        "test_signals_and_pipes::test_ctrl_c_while_connecting",
        "test_retries::test_retry_after_is_capped_at_60_s_and_ctrl_c_ends_the_wait",
    ],
    "the reader of stdout goes away (`\\| head`)": [
        "test_signals_and_pipes::test_head_closing_stdout_closes_the_connection_at_once",
        "test_signals_and_pipes::test_pipe_closed_during_the_final_sources_or_document_write",
    ],
    "stdout or stderr closed at start (`>&-`, `2>&-`)": [
        "test_signals_and_pipes::test_closed_stderr_leaves_the_answer_and_the_connection_alone",
        "test_signals_and_pipes::test_closed_stdout_at_start_is_like_dev_null",
    ],
    "writing stdout fails otherwise (a full disk)": [
        "test_debug::test_unexpected_error_is_one_line_asking_for_debug"
    ],
    "unknown option, missing value, wrong type": [
        "test_bad_input::test_wrong_options_and_types_are_usage_errors",
        "test_bad_input::test_generated_argv_and_stdin_never_give_a_traceback",
    ],
    "a value out of range (`--timeout 0`, `--retries -1`, `-f xml`)": [
        "test_bad_input::test_wrong_options_and_types_are_usage_errors",
        "test_prompt_and_routing::test_bad_format_value_is_a_usage_error",
    ],
    "no prompt, or an empty one": [
        "test_prompt_and_routing::test_no_or_empty_prompt_is_a_usage_error"
    ],
    "stdin is not UTF-8 text, or holds NUL bytes": [
        "test_prompt_and_routing::test_bad_stdin_is_a_usage_error"
    ],
    "stdin over 10 MiB (read in blocks, refused at the limit)": [
        "test_bad_input::test_huge_stdin_is_refused_while_streaming_it_in"
    ],
    "SIGTERM or SIGHUP, at any point": [
        "test_hostile_signals::test_a_signal_mid_answer_keeps_the_partial_json_document_and_logs_it"
    ],
    "stdin closed, or unreadable (as `nohup` leaves it)": [
        "test_prompt_and_routing::test_closed_stdin_counts_as_empty",
        "test_bad_input::test_unreadable_stdin_counts_as_empty_as_nohup_leaves_it",
    ],
    "stdin is a directory": [
        "test_bad_input::test_directory_as_stdin_is_refused_by_python_before_perplex_starts"
    ],
    "no API key": [
        "test_api_errors::test_missing_key_is_exit_3_with_how_to_set_one",
        "test_keys::test_no_key_anywhere_says_how_to_set_one",
    ],
    "an empty key, or one with spaces inside": [
        "test_keys::test_an_empty_key_is_exit_3_not_a_fall_through",
        "test_keys::test_a_key_with_inner_spaces_is_refused_without_echoing_it",
    ],
    "`api_key_command` fails, hangs over 10 s or prints nothing": [
        "test_keys::test_api_key_command_failures_are_exit_3_with_the_reason",
        "test_keys::test_api_key_command_that_hangs_is_stopped",
    ],
    "a key file others can read, a config file others can write": [
        "test_keys::test_a_key_file_others_can_read_is_refused_with_the_fix",
        "test_config::test_a_config_file_others_can_write_is_refused",
    ],
    "a key or config file another user owns, or in a directory others own or can write": [
        "test_local_files::test_a_config_file_another_user_owns_is_refused_and_its_command_never_runs",
        "test_local_files::test_a_config_directory_others_can_write_is_refused_with_the_fix",
    ],
    "a FIFO or a device as key file, config file or `--json-schema`": [
        "test_local_files::test_a_fifo_or_device_is_refused_without_blocking_or_reading_it"
    ],
    "a bad config file (unknown key, wrong type, bad value, not TOML)": [
        "test_config::test_a_bad_config_file_is_exit_3_naming_file_and_key"
    ],
    "an `http://` base URL to another machine": [
        "test_security::test_plain_http_to_another_host_is_refused_before_connecting"
    ],
    "an argument that is not valid UTF-8 (any command)": [
        "test_hostile_argv::test_an_argument_that_is_not_utf8_is_refused_by_position"
    ],
    "a log id or date out of range (`logs rm ²`, an id beyond 2^63, `--before 999999999d`)": [
        "test_hostile_argv::test_odd_log_ids_and_dates_are_usage_errors"
    ],
    "an `http://` loopback base URL through a proxy on another machine": [
        "test_leaks::test_plain_http_through_a_proxy_on_another_host_is_refused"
    ],
    "an unknown `--cid`, or `-c` with an empty log": [
        "test_log::test_unknown_cid_is_a_usage_error_before_any_request",
        "test_log::test_continue_with_an_empty_log_is_a_usage_error",
    ],
    "the log cannot be written (a bad path, a locked or newer database)": [
        "test_log::test_unwritable_log_path_still_prints_the_answer_with_one_warning",
        "test_log::test_locked_log_warns_and_never_fails_the_answer",
        "test_log::test_a_log_from_a_newer_perplex_is_left_alone",
    ],
    "anything else (a bug)": [
        "test_debug::test_unexpected_error_is_one_line_asking_for_debug",
        "test_debug::test_unexpected_error_with_debug_shows_the_traceback_without_the_key",
    ],
}


def failure_rows() -> list[str]:
    text = (ROOT / "docs" / "failures.md").read_text(encoding="utf-8")
    table = text.split("\n## Each failure\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| failure |")
    return [re.split(r"(?<!\\)\|", row)[1].strip() for row in rows[1:]]


def test_every_failure_in_the_docs_is_pinned_by_a_test():
    assert sorted(failure_rows()) == sorted(PINNED_BY)


def test_every_pinning_test_exists():
    for tests in PINNED_BY.values():
        for name in tests:
            module, function = name.split("::")
            source = (ROOT / "tests" / f"{module}.py").read_text(encoding="utf-8")
            assert f"def {function}(" in source, name
