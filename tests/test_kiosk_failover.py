"""The kiosk's side of broker failover, as pure functions: the broker list in its config, the dead-link decision
and what the staff panel says. The failover itself, over real processes, is in ``test_broker_failover.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kiosk.config import BrokerAddress, ConfigError, parse_config
from kiosk.liveness import Link, link_verdict


def broker(doc: dict[str, Any]) -> Any:
    return parse_config({"kiosk": {"id": "k1"}, "broker": {"password": "p", **doc}}).broker


def test_one_url_still_works_and_several_are_tried_in_the_order_given() -> None:
    """``broker.url`` gives one broker; ``broker.urls`` several, in order, default ports by scheme."""
    one = broker({"url": "mqtt://hub.local:18830"})
    assert (one.addresses, one.host, one.port, one.tls) == (
        (BrokerAddress("hub.local", 18830),),
        "hub.local",
        18830,
        False,
    )
    two = broker({"urls": ["mqtts://a.example", "mqtts://b.example:8884"]})
    assert two.addresses == (BrokerAddress("a.example", 8883), BrokerAddress("b.example", 8884))
    assert two.tls and (two.host, two.port) == ("a.example", 8883)
    assert [str(a) for a in two.addresses] == ["a.example:8883", "b.example:8884"]


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({}, "broker.url is required (or broker.urls"),
        ({"url": "mqtt://a:1", "urls": ["mqtt://b:1"]}, "broker.url or broker.urls, not both"),
        ({"urls": []}, "broker.urls must be a non-empty list"),
        ({"urls": "mqtt://a:1"}, "broker.urls must be a non-empty list"),
        ({"urls": ["mqtt://a:1", 7]}, "broker.urls must be a non-empty list"),
        ({"urls": ["mqtt://a:1", "http://b:1"]}, "broker.urls[1] must look like mqtt://host:port"),
        ({"urls": ["mqtt://a:1", "mqtt://b:99999"]}, "broker.urls[1] has an invalid port"),
        ({"urls": ["mqtt://a:1", "mqtt://a:1"]}, "broker.urls[1] repeats a:1"),
        ({"urls": ["mqtt://a:1", "mqtts://b:2"]}, "mixes mqtt:// and mqtts://"),
        ({"url": "http://a"}, "broker.url must look like mqtt://host:port"),
    ],
)
def test_a_bad_broker_list_is_refused_naming_the_key(doc: dict[str, Any], says: str) -> None:
    """Every malformed broker list fails before anything starts, with the key (and entry) at fault."""
    with pytest.raises(ConfigError) as err:
        broker(doc)
    assert says in str(err.value)


K = 4.0  # keep-alive, seconds


@pytest.mark.parametrize(
    ("now", "last_in", "probe", "verdict"),
    [
        (10.0, 9.0, None, Link.ALIVE),  # 1 s quiet: fine
        (11.9, 10.0, None, Link.ALIVE),  # just under half a keep-alive
        (12.0, 10.0, None, Link.PROBE),  # half a keep-alive quiet: ask the broker
        (12.0, 10.0, 5.0, Link.PROBE),  # an old probe was answered (a packet came after it): ask again
        (12.5, 10.0, 12.0, Link.WAITING),  # the probe is out
        (13.9, 10.0, 12.0, Link.WAITING),  # still under a keep-alive
        (14.0, 10.0, 12.0, Link.DEAD),  # a whole keep-alive with nothing, probe unanswered for K/2
        (14.0, 10.0, 13.5, Link.WAITING),  # a late probe gets a quarter keep-alive to be answered
        (14.5, 10.0, 13.5, Link.DEAD),
        (14.0, 10.0, None, Link.PROBE),  # never probed: probe first, never give up unasked
    ],
)
def test_link_verdict(now: float, last_in: float, probe: float | None, verdict: Link) -> None:
    """Probe after half a keep-alive of silence; dead after a whole one with the probe unanswered."""
    assert link_verdict(now_s=now, last_inbound_s=last_in, probe_sent_s=probe, keepalive_s=K) is verdict


@pytest.mark.parametrize("keepalive", [2.0, 3.0, 15.0, 60.0])
def test_a_silent_cut_is_noticed_within_one_and_a_half_keepalives(keepalive: float) -> None:
    """Stepping the decision as the pump does (every 0.5 s, sending the probe it asks for) from a cut right after
    the last packet, the link is declared dead within 1.5× the keep-alive, and not before a whole one."""
    tick, last_in, probe, now = 0.5, 100.0, None, 100.0
    while True:
        now += tick
        verdict = link_verdict(now_s=now, last_inbound_s=last_in, probe_sent_s=probe, keepalive_s=keepalive)
        if verdict is Link.PROBE:
            probe = now
        if verdict is Link.DEAD:
            break
    assert keepalive <= now - last_in <= 1.5 * keepalive


def test_staff_panel_names_the_broker_in_use_and_the_last_failover() -> None:
    """The staff panel says which broker the kiosk uses and when it last moved to it, from where."""
    from kiosk.config import UiConfig
    from kiosk.i18n import Texts
    from kiosk.staff import staff_text
    from kiosk.uplink import UplinkState

    now = datetime.now().astimezone()
    at_ms = int(now.timestamp() * 1000)

    def lines(state: UplinkState) -> dict[str, str]:
        text = staff_text(
            Texts("en", UiConfig()),
            kiosk_id="k",
            location_id="l",
            state=state,
            pending=0,
            now=now,
            is_ntp_synced=None,
            version="0",
            last_error=None,
        )
        return dict(line.removeprefix("[b]").split(":[/b] ", 1) for line in text.splitlines())

    before = lines(UplinkState(is_connected=True, broker="a:1883"))
    assert (before["Broker"], before["Last failover"]) == ("connected (a:1883)", "never")
    moved = UplinkState(broker="b:1883", failover_from="a:1883", last_failover_ms=at_ms, failovers=1)
    after = lines(moved)
    assert after["Broker"] == "not connected (b:1883)"
    assert after["Last failover"] == f"{now.strftime('%Y-%m-%d %H:%M:%S')} (a:1883 → b:1883)"
