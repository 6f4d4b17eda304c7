"""Fixtures for the alert tests: a real SMTP server and a real webhook receiver on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.receivers import SmtpServer, WebhookReceiver


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """aiosmtpd listening on a free port."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    """An http.server recording webhook POSTs."""
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


from tests.dashboard.conftest import client, store  # noqa: E402 - the dashboard's store and app fixtures, reused

__all__ = ["client", "smtp", "store", "webhook"]
