"""The hub process's HTTP edge from outside: huge anonymous bodies, foreign Host headers, no server banner."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.harness import HubProcess

FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    h = HubProcess(Path(tmp_path_factory.mktemp("edges")) / "hub").start()
    try:
        yield h
    finally:
        h.stop()


def _rss_mb(hub: HubProcess) -> float:
    assert hub.proc is not None
    return float(psutil.Process(hub.proc.pid).memory_info().rss) / 1e6


def _send_huge(hub: HubProcess, head: str, body_chunk: bytes, total: int) -> tuple[bytes, int]:
    """Send ``head`` and up to ``total`` body bytes; returns the response (up to 4 KiB) and the bytes sent."""
    sent = 0
    with socket.create_connection(("127.0.0.1", hub.http_port), timeout=10) as s:
        s.sendall(head.encode())
        s.settimeout(0.05)
        response = b""
        while sent < total:
            try:
                sent += s.send(body_chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            except TimeoutError:
                pass
            try:
                response += s.recv(4096)
                if response:
                    break
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
        s.settimeout(10)
        while b"\r\n\r\n" not in response:
            more = s.recv(4096)
            if not more:
                break
            response += more
    return response, sent


def test_a_50_mb_anonymous_body_is_refused_before_it_is_read(hub: HubProcess) -> None:
    """A 50 MB JSON body (declared, and chunked) to an API write gets 413 early; the hub's RSS stays flat."""
    before = _rss_mb(hub)
    path = "/api/locations/anywhere/response-interval"
    declared = (
        f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{hub.http_port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {FIFTY_MB}\r\n\r\n"
    )
    response, sent = _send_huge(hub, declared, b"[" * 65536, FIFTY_MB)
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert sent < FIFTY_MB // 4, f"the hub read {sent} bytes before refusing"
    chunk = b"10000\r\n" + b"[" * 0x10000 + b"\r\n"
    chunked = (
        f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{hub.http_port}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    response, sent = _send_huge(hub, chunked, chunk, FIFTY_MB)
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert sent < FIFTY_MB // 4, f"the hub read {sent} bytes before refusing"
    after = _rss_mb(hub)
    assert after - before < 10, f"RSS grew from {before:.1f} to {after:.1f} MB"
    assert httpx.get(hub.url + "/healthz", timeout=5).status_code == 200


def test_a_foreign_host_gets_400_and_no_answer_names_the_server(hub: HubProcess) -> None:
    """``Host: evil.example`` gets 400 from the running hub; its own address works and no Server header is sent."""
    assert httpx.get(hub.url + "/login", headers={"Host": "evil.example"}, timeout=5).status_code == 400
    ok = httpx.get(hub.url + "/login", timeout=5)
    assert ok.status_code == 200
    assert "server" not in ok.headers, ok.headers
    assert ok.headers["cache-control"] == "no-store"
