"""The promises of SECURITY.md: the key never leaves in output, never over plain HTTP to
another host, TLS is verified, proxies are the user's choice."""

from __future__ import annotations

import json
import os
import ssl
import sys
from pathlib import Path

import agent_streams
import pytest
from conftest import SENTINEL_KEY
from replay import FIXTURES, ReplayServer, Reply
from streams import answer, chunk, sse
from userfiles import sent_key, toml_str, write_config

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

TLS = FIXTURES / "tls"
ECHO_EVENT = {"error": {"message": f"key {SENTINEL_KEY} is not allowed", "code": 500}}
ECHOING_401 = json.dumps(
    {
        "error": {
            "message": f"Invalid API key {SENTINEL_KEY} (Bearer {SENTINEL_KEY})",
            "type": "invalid_api_key",
            "code": 401,
        }
    }
).encode()

# name -> (extra args, reply). Add a row for every new failure path or output option.
PATHS: dict[str, tuple[list[str], Reply | None]] = {
    "success text": ([], Reply(body=sse(*answer("fine")))),
    "success json": (["-f", "json"], Reply(body=sse(*answer("fine")))),
    "success ndjson": (["-f", "ndjson"], Reply(body=sse(*answer("fine")))),
    "401 html": (
        [],
        Reply(
            status=401,
            body=b"<html><title>401 Authorization Required</title></html>",
            content_type="text/html",
            framing="length",
        ),
    ),
    "401 echoing the key": (
        [],
        Reply(status=401, body=ECHOING_401, content_type="application/json", framing="length"),
    ),
    "500": (["--retries", "1"], Reply(status=500, body=ECHOING_401, framing="close")),
    "cut stream": ([], Reply(body=sse(chunk("partial")), fault="reset")),
    "not a stream": ([], Reply(body=b"<html>oops</html>", content_type="text/html")),
    "error event echoing the key, json": (
        ["-f", "json"],
        Reply(body=sse(chunk("partial"), ECHO_EVENT)),
    ),
    "error event echoing the key, ndjson": (
        ["-f", "ndjson"],
        Reply(body=sse(chunk("partial"), ECHO_EVENT)),
    ),
    "connection refused": (["--base-url", "http://127.0.0.1:9", "--retries", "0"], None),
    "agent success": (
        ["--api", "agent"],
        Reply(body=agent_streams.sse(*agent_streams.answer("fine"))),
    ),
    "agent 401 echoing the key": (
        ["--api", "agent"],
        Reply(status=401, body=ECHOING_401, content_type="application/json", framing="length"),
    ),
    "dry run": (["--dry-run"], Reply(body=sse(*answer("fine")))),
    "debug success": (["--debug"], Reply(body=sse(*answer("fine")))),
    "debug 401": (["--debug"], Reply(status=401, body=ECHOING_401, framing="length")),
}


def files_holding(root: Path, secret: str, skip: Path | None = None) -> list[Path]:
    """Every file under root (the log database, config, anything) that contains secret."""
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and p != skip and secret.encode() in p.read_bytes()
    ]


@pytest.mark.parametrize("name", list(PATHS))
def test_the_key_never_appears_in_stdout_stderr_or_files(server, cli, tmp_path, name):
    args, reply = PATHS[name]
    if reply is not None:
        server.reply(reply)
    result = cli(*args, "q")
    if result.code == 2 and "No such option" in result.stderr:
        pytest.skip(f"{args[0]} does not exist on this branch yet")
    assert SENTINEL_KEY not in result.stdout + result.stderr
    assert SENTINEL_KEY[5:] not in result.stdout + result.stderr  # nor the key without its prefix
    assert files_holding(tmp_path, SENTINEL_KEY) == []
    if name == "success text":  # the scan above did cover the local log database
        assert list(tmp_path.rglob("logs.db"))
    if reply is not None and server.requests:
        assert sent_key(server) == SENTINEL_KEY  # it did travel, where it belongs


@pytest.mark.parametrize(
    "command",
    [
        ["key", "status"],
        ["key", "path"],
        ["config", "list", "--all"],
        ["config", "get", "api_key_command"],
        ["key", "status", "-f", "json"],
    ],
)
def test_the_key_never_appears_in_key_and_config_output(cli, env, tmp_path, command):
    result = cli(*command)
    assert result.code == 0
    assert SENTINEL_KEY[:-4] not in result.stdout + result.stderr


def test_the_stored_key_appears_only_in_the_key_file(cli, env, tmp_path, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    result = cli("key", "set", input=SENTINEL_KEY)
    assert SENTINEL_KEY not in result.stdout + result.stderr
    key = Path(env["XDG_CONFIG_HOME"]) / "perplex" / "key"
    assert files_holding(tmp_path, SENTINEL_KEY) == [key]


def test_a_crash_does_not_print_the_key(server, cli, monkeypatch):
    """An internal error whose message holds the key (a bug) is still redacted."""
    import perplex_cli.output.text

    def broken(self, raw, update):  # type: ignore[no-untyped-def]
        raise RuntimeError(f"bug while holding {SENTINEL_KEY}")

    monkeypatch.setattr(perplex_cli.output.text.TextFormatter, "chunk", broken)
    server.reply(Reply(body=sse(*answer("fine"))))
    for args in ([], ["--debug"]):
        result = cli(*args, "q")
        if result.code == 2 and "No such option" in result.stderr:
            continue  # --debug arrives with the failures work
        assert result.code == 1
        assert "internal error" in result.stderr
        assert SENTINEL_KEY not in result.stderr + result.stdout


def test_a_key_command_failure_does_not_print_the_key_it_printed(server, cli, env, monkeypatch):
    monkeypatch.delenv("PERPLEXITY_API_KEY")
    script = (
        f"import sys; print('{SENTINEL_KEY}'); sys.exit('failed after printing {SENTINEL_KEY}')"
    )
    write_config(env, f"api_key_command = {toml_str(sys.executable + ' -c ' + repr(script))}\n")
    result = cli("q")
    assert result.code == 3 and "failed (exit 1)" in result.stderr
    assert SENTINEL_KEY not in result.stderr


# plain HTTP


@pytest.mark.parametrize(
    "url",
    [
        "http://api.perplexity.ai",
        "http://10.0.0.1:8080",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com",
        "http://[::2]:80",
    ],
)
def test_plain_http_to_another_host_is_refused_before_connecting(server, cli, url):
    result = cli("--base-url", url, "--proxy", server.url, "q")
    assert result.code == 3
    assert "plain HTTP" in result.stderr and "--allow-insecure-http" in result.stderr
    assert server.requests == []  # not even the proxy heard of it


def test_plain_http_from_the_environment_or_config_is_refused_too(server, cli, env, monkeypatch):
    monkeypatch.setenv("PERPLEXITY_BASE_URL", "http://api.example.test")
    assert cli("q").code == 3
    monkeypatch.delenv("PERPLEXITY_BASE_URL")
    path = write_config(env, 'base_url = "http://api.example.test"\n')
    result = cli("q")
    assert result.code == 3 and str(path) in result.stderr


def test_allow_insecure_http_sends_it_anyway(server, cli):
    server.reply(Reply(body=sse(*answer("fine"))))
    result = cli(
        "--base-url", "http://api.example.test", "--allow-insecure-http", "--proxy", server.url, "q"
    )
    assert result.code == 0, result.stderr
    assert server.requests[0].path == "http://api.example.test/chat/completions"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST"])
def test_plain_http_to_loopback_is_allowed(server, cli, host):
    server.reply(Reply(body=sse(*answer("fine"))))
    result = cli("--base-url", f"http://{host}:{server.port}", "q")
    assert result.code == 0, result.stderr


@pytest.mark.parametrize(
    "host,loopback",
    [
        ("127.0.0.1", True),
        ("127.9.8.7", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("localhost.", True),
        ("128.0.0.1", False),
        ("::2", False),
        ("localhost.evil.com", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
    ],
)
def test_loopback_means_this_machine_only(host, loopback):
    from perplex_cli.transport.cleartext import is_loopback

    assert is_loopback(host) is loopback


# TLS


@pytest.fixture
def tls_server(server):
    """The replay server speaking HTTPS with a certificate from the test CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "server-cert.pem", TLS / "server-key.pem")
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
    server.reply(Reply(body=sse(*answer("over tls"))))
    return server


def test_tls_verification_is_on(tls_server, cli):
    result = cli("--base-url", f"https://127.0.0.1:{tls_server.port}", "--retries", "0", "q")
    assert result.code == 7
    assert "certificate verify failed" in result.stderr


def test_requests_ca_bundle_is_honoured(tls_server, cli, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(TLS / "ca.pem"))
    result = cli("--base-url", f"https://localhost:{tls_server.port}", "q")
    assert (result.code, result.stdout) == (0, "over tls\n"), result.stderr


# proxies


def test_proxy_flag_reaches_requests(server, cli):
    server.reply(Reply(body=sse(*answer("fine"))))
    result = cli("--proxy", server.url, "--base-url", "http://localhost:9", "q")
    assert result.code == 0, result.stderr
    # An absolute-form request line is what a client sends to a proxy.
    assert server.requests[0].path == "http://localhost:9/chat/completions"


def test_config_proxy_reaches_requests(server, cli, env):
    server.reply(Reply(body=sse(*answer("fine"))))
    write_config(env, f'proxy = "{server.url}"\n')
    assert cli("--base-url", "http://localhost:9", "q").code == 0
    assert server.requests[0].path == "http://localhost:9/chat/completions"


def test_https_proxy_from_the_environment_is_honoured(server, cli, monkeypatch):
    server.reply(Reply(status=502, body=b"", framing="length"))
    monkeypatch.setenv("HTTPS_PROXY", server.url)
    result = cli("--base-url", "https://api.example.test", "--retries", "0", "q")
    assert result.code == 7
    assert (server.requests[0].method, server.requests[0].path) == (
        "CONNECT",
        "api.example.test:443",
    )


def test_no_proxy_from_the_environment_is_honoured(server, cli, monkeypatch):
    server.reply(Reply(body=sse(*answer("direct"))))
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert cli("q").stdout == "direct\n"


def test_proxy_flag_beats_the_environment_and_environment_beats_config(
    server, cli, env, monkeypatch
):
    server.reply(Reply(status=502, body=b"", framing="length"))
    write_config(env, 'proxy = "http://127.0.0.1:9"\n')  # nothing listens there
    monkeypatch.setenv("HTTPS_PROXY", server.url)
    assert cli("--base-url", "https://a.example.test", "--retries", "0", "q").code == 7
    assert server.requests[-1].path == "a.example.test:443"  # the environment won over config
    other = ReplayServer().reply(Reply(status=502, body=b"", framing="length"))
    try:
        assert (
            cli(
                "--proxy", other.url, "--base-url", "https://b.example.test", "--retries", "0", "q"
            ).code
            == 7
        )
        assert other.requests[-1].path == "b.example.test:443"  # the flag won over the environment
    finally:
        other.close()


@pytest.mark.parametrize("port", ["{port}", "99999", "x"])
def test_a_proxy_password_is_never_shown(server, cli, port):
    server.reply(Reply(status=502, body=b"", framing="length"))
    proxy = f"http://user:s3cret-proxy-pw@127.0.0.1:{port.format(port=server.port)}"
    result = cli("--proxy", proxy, "--base-url", "https://a.example.test", "--retries", "0", "q")
    assert result.code in (2, 7)
    assert "proxy" in result.stderr and "s3cret-proxy-pw" not in result.stderr


def test_every_test_security_md_names_exists():
    """SECURITY.md says which test holds each promise: those tests must exist."""
    import re

    root = Path(__file__).resolve().parent.parent
    named = set(re.findall(r"`(test_\w+)`", (root / "SECURITY.md").read_text()))
    defined = set()
    for path in (root / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(), re.MULTILINE))
    assert len(named) > 30
    assert named - defined == set()


@pytest.mark.parametrize("rejected", [False, True])
@pytest.mark.parametrize(
    "args",
    [
        ["search", "q"],
        ["embed", "q"],
        ["research", "submit", "q"],
        ["research", "list"],
        ["batch", "PROMPTS"],
        ["models", "--api", "agent"],
    ],
)
def test_other_commands_never_print_the_key(api, cli, tmp_path, args, rejected):
    """search, embed, research and batch share the transport: success and a 401 echoing the key."""
    from apiserver import Answer

    if rejected:
        echo = Answer(body=ECHOING_401, status=401, content_type="application/json")
        api.search = lambda body: echo
        api.chat = lambda body, n: echo
        api._route = lambda received: echo  # every path, including the async jobs
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one\n")
    result = cli(*[str(prompts) if a == "PROMPTS" else a for a in args])
    assert SENTINEL_KEY not in result.stdout + result.stderr
    assert files_holding(tmp_path, SENTINEL_KEY) == []


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"http_proxy": "http://a:1"},
        {"HTTP_PROXY": "http://A:1", "http_proxy": "http://a:1"},
        {"HTTP_PROXY": "http://A:1", "http_proxy": ""},
        {"HTTPS_PROXY": "http://s:1", "no_proxy": "example.com", "ALL_PROXY": "http://z:1"},
        {"HTTP_PROXY": "http://A:1", "REQUEST_METHOD": "GET"},
        {"http_proxy": "http://a:1", "REQUEST_METHOD": "GET"},
        {"Http_Proxy": "http://m:1"},
    ],
)
def test_environment_proxies_are_read_as_urllib_reads_them(monkeypatch, variables):
    import urllib.request

    from perplex_cli.transport.cleartext import environment_proxies

    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert environment_proxies() == urllib.request.getproxies()
