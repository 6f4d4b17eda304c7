"""``hub serve --trusted-proxy``: the client's address and scheme from a trusted proxy's headers, never from
anyone else's (real hub processes on loopback, sign-ins through the login form)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import redirect_stderr
from pathlib import Path

import httpx
import pytest

from hub import cli as hub_cli
from hub.guard.proxies import trusted_proxies
from hub.web.login_throttle import FREE_PER_CLIENT, FREE_PER_NAME
from tests.dashboard.test_browser import PASSWORD, add_user
from tests.harness import HubProcess

A, B = "203.0.113.5", "198.51.100.7"


def start_hub(data_dir: Path, *extra: str) -> HubProcess:
    data_dir.mkdir(parents=True)
    add_user(data_dir, "boss", "--role", "admin")
    return HubProcess(data_dir, extra_args=extra).start()


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[HubProcess]:
    """A hub behind a reverse proxy on 127.0.0.1 (the tests play the proxy)."""
    h = start_hub(tmp_path / "hub", "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.9.0.0/16")
    yield h
    h.stop()


@pytest.fixture
def direct(tmp_path: Path) -> Iterator[HubProcess]:
    """A hub with no --trusted-proxy, reached by clients that send forwarded headers of their own."""
    h = start_hub(tmp_path / "hub")
    yield h
    h.stop()


def sign_in(hub: HubProcess, name: str, password: str, **headers: str) -> httpx.Response:
    """One try through the login form, sent with ``headers`` (``X-Forwarded-For`` as ``x_forwarded_for``)."""
    sent = {k.replace("_", "-"): v for k, v in headers.items()}
    with httpx.Client(base_url=hub.url, headers=sent) as c:
        token = c.get("/login").cookies["hub_login_csrf"]
        # sent by hand: behind X-Forwarded-Proto: https the cookie is Secure, and httpx keeps those off http://
        return c.post(
            "/login",
            data={"username": name, "password": password, "csrf": token},
            headers={"cookie": f"hub_login_csrf={token}"},
        )


def failures(hub: HubProcess) -> list[dict[str, object]]:
    recent: list[dict[str, object]] = hub.api("/api/sign-in-failures")["recent"]
    return recent


def test_behind_a_trusted_proxy_failures_throttle_the_forwarded_client_and_not_another(
    proxied: HubProcess,
) -> None:
    """Wrong passwords forwarded for A make A wait, B's correct password through the same proxy is let in (with a
    Secure cookie under X-Forwarded-Proto: https), and the failure list names A, the right-most untrusted hop."""
    for _ in range(FREE_PER_NAME + 2):  # the client forged a left-most hop; the proxy chain appended A, then 10.9.x
        r = sign_in(proxied, "boss", "wrong guess", x_forwarded_for=f"192.0.2.66, {A}, 10.9.3.4")
        assert "failed=" in r.headers["location"]
    waited = sign_in(proxied, "boss", PASSWORD, x_forwarded_for=A)
    assert "failed=3" in waited.headers["location"], "the guessing client A was not slowed"
    let_in = sign_in(proxied, "boss", PASSWORD, x_forwarded_for=B, x_forwarded_proto="https")
    assert let_in.headers["location"] == "/", "B was refused because of A's guesses"
    cookie = let_in.headers["set-cookie"]
    assert "hub_session=" in cookie and "secure" in cookie.lower()
    assert {f["client"] for f in failures(proxied)} == {A}


def test_without_trusted_proxies_forwarded_headers_are_ignored(direct: HubProcess) -> None:
    """With no --trusted-proxy a forged X-Forwarded-For per try does not escape the per-client limit (spraying is
    still slowed), the failures are listed under the real peer, and X-Forwarded-Proto makes no cookie Secure."""
    outcomes = [
        sign_in(direct, f"user{i}", "Summer2026!", x_forwarded_for=f"203.0.113.{i + 1}").headers["location"]
        for i in range(20)
    ]
    # each forged address as a client of its own would refuse none; the real clock lets a try through whenever a
    # delay has run out, so most (not all) of the tries past the free ones are refused
    assert sum("failed=3" in o for o in outcomes) >= (20 - FREE_PER_CLIENT) // 2, outcomes
    assert {f["client"] for f in failures(direct)} == {"127.0.0.1"}
    ok = sign_in(direct, "boss", PASSWORD, x_forwarded_for=B, x_forwarded_proto="https")
    assert "secure" not in ok.headers.get("set-cookie", "").lower()


def test_trusted_proxy_values_are_checked() -> None:
    """Addresses and networks are accepted (a host network as its address); anything else is one error line."""
    assert trusted_proxies(["10.0.0.7", "10.1.2.3/16", "::1", "fd00::/8"]) == (
        "10.0.0.7",
        "10.1.0.0/16",
        "::1",
        "fd00::/8",
    )
    err = io.StringIO()
    with redirect_stderr(err):
        assert hub_cli.main(["serve", "--trusted-proxy", "proxy.local", "--data-dir", "/nonexistent"]) == 2
    assert err.getvalue().strip() == "error: --trusted-proxy 'proxy.local' is not an IP address or CIDR network"
