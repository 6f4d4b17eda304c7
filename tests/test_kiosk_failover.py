"""The kiosk's side of broker failover, as pure functions: the broker list in its config, the dead-link decision,
the fail-back plan and what the staff panel says. The failover and fail-back themselves, over real processes, are
in ``test_broker_failover.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from kiosk.config import BrokerAddress, ConfigError, parse_config
from kiosk.failback import Failback
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
        ({"url": "mqtt://a:1", "failback_s": -1}, "broker.failback_s must be >= 0.0, got -1"),
        ({"url": "mqtt://a:1", "failback_s": 0.5}, "broker.failback_s must be 0 (never go back) or >= 1, got 0.5"),
        ({"url": "mqtt://a:1", "failback_s": "5m"}, "broker.failback_s must be float, got str"),
    ],
)
def test_a_bad_broker_list_is_refused_naming_the_key(doc: dict[str, Any], says: str) -> None:
    """Every malformed broker list fails before anything starts, with the key (and entry) at fault."""
    with pytest.raises(ConfigError) as err:
        broker(doc)
    assert says in str(err.value)


def test_failback_defaults_to_five_minutes_and_zero_means_never() -> None:
    """``broker.failback_s`` is 300 s unless given; 0 turns fail-back off; whole seconds are floats too."""
    assert broker({"url": "mqtt://a:1"}).failback_s == 300.0
    assert broker({"urls": ["mqtt://a:1", "mqtt://b:1"], "failback_s": 0}).failback_s == 0.0
    assert broker({"urls": ["mqtt://a:1", "mqtt://b:1"], "failback_s": 2}).failback_s == 2.0


def test_failback_checks_the_preferred_brokers_every_failback_s_while_on_a_fallback() -> None:
    """On broker 2 of 3 the first check of brokers 0 and 1 is due failback_s after connecting, never twice at
    once; a check nobody passed plans the next one failback_s after it ended."""
    fb = Failback(every_s=10.0)
    fb.connected(index=2, now_s=100.0)
    assert fb.due(index=2, is_connected=True, now_s=109.9) == range(0)
    assert fb.due(index=2, is_connected=True, now_s=110.0) == range(2)
    assert fb.due(index=2, is_connected=True, now_s=200.0) == range(0), "one check at a time"
    assert fb.checked(accepted=None, index=2, is_connected=True, now_s=112.0) is None
    assert fb.due(index=2, is_connected=True, now_s=121.9) == range(0)
    assert fb.due(index=2, is_connected=True, now_s=122.0) == range(2)
    assert fb.checked(accepted=1, index=2, is_connected=True, now_s=123.0) == 1, "back to the best that answered"
    assert fb.due(index=2, is_connected=True, now_s=10_000.0) == range(0), "nothing planned after deciding"


@pytest.mark.parametrize(
    ("every_s", "index", "is_connected", "checks"),
    [
        (10.0, 0, True, False),  # on the first broker: nothing better to check
        (0.0, 1, True, False),  # failback_s = 0: never
        (10.0, 1, False, False),  # not connected: finding a broker is the failover's business
        (10.0, 1, True, True),
    ],
)
def test_failback_checks_only_on_a_connected_fallback_when_enabled(
    every_s: float, index: int, is_connected: bool, checks: bool
) -> None:
    """No check on the first broker, with failback_s = 0, or while disconnected."""
    fb = Failback(every_s=every_s)
    fb.connected(index=index, now_s=0.0)
    assert bool(fb.due(index=index, is_connected=is_connected, now_s=1e9)) is checks


@pytest.mark.parametrize(
    ("accepted", "index", "is_connected", "target"),
    [
        (0, 1, True, 0),
        (None, 1, True, None),  # nobody answered: stay
        (0, 1, False, None),  # the connection dropped meanwhile: the failover finds a broker
        (0, 0, True, None),  # the kiosk got to broker 0 meanwhile (round robin): nothing to do
        (1, 1, True, None),  # not better than where it is
    ],
)
def test_a_check_moves_back_only_to_a_better_broker_while_connected(
    accepted: int | None, index: int, is_connected: bool, target: int | None
) -> None:
    """A check's answer is judged against where the kiosk is when it arrives."""
    fb = Failback(every_s=5.0)
    fb.connected(index=2, now_s=0.0)
    assert fb.due(index=2, is_connected=True, now_s=5.0)
    assert fb.checked(accepted=accepted, index=index, is_connected=is_connected, now_s=6.0) == target
    assert not fb.is_checking


def test_a_disconnect_cancels_the_planned_check_and_a_reconnect_plans_anew() -> None:
    """Dropped: no check; connected again to a fallback: the first check failback_s after that connect."""
    fb = Failback(every_s=5.0)
    fb.connected(index=1, now_s=0.0)
    fb.disconnected()
    assert fb.due(index=1, is_connected=True, now_s=100.0) == range(0)
    fb.connected(index=1, now_s=100.0)
    assert fb.due(index=1, is_connected=True, now_s=104.0) == range(0)
    assert fb.due(index=1, is_connected=True, now_s=105.0) == range(1)


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
    """The staff panel says which broker the kiosk uses and when it last moved to it, from where; a move back to
    a preferred broker says so."""
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
    assert after["Last failover"] == f"{now.strftime('%Y-%m-%d %H:%M:%S')} (from a:1883 to b:1883)"
    back = lines(replace(moved, broker="a:1883", failover_from="b:1883", is_failback=True, is_connected=True))
    assert back["Broker"] == "connected (a:1883)"
    assert back["Last failover"] == f"{now.strftime('%Y-%m-%d %H:%M:%S')} (back to a:1883 from b:1883)"
    swedish = staff_text(
        Texts("sv", UiConfig()),
        kiosk_id="k",
        location_id="l",
        state=replace(moved, is_failback=True),
        pending=0,
        now=now,
        is_ntp_synced=None,
        version="0",
        last_error=None,
    )
    assert "(tillbaka till b:1883 från a:1883)" in swedish
