"""``python -m hub ingest``: one MQTT ingest worker without HTTP; any number share the ratings subscription.

With several brokers (``--mqtt-url`` once per broker; kiosks fail over between them) a worker ingests from each,
in the same shared-subscription group on each, and acknowledges on the broker a message came from.

Workers need a store they can share: PostgreSQL (``--database``). Each takes a kiosk's state row lock in its
transaction and derives the kiosk's cumulative ack from the table after the commit, so one kiosk's batches may
reach different workers in any order. A birth is answered once every registered worker has handled it;
a worker that will not come back is retired with ``--retire`` (until then, births wait for it). The live
updates of open dashboard pages come only from an ingest in the same process (``hub serve``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Any

from feedback.abuse import DEFAULT_TAPS_PER_MINUTE, TapLimit
from hub.cli.common import (
    add_database,
    add_mqtt_keepalive,
    add_mqtt_tls,
    check_mqtt_tls,
    mqtt_keepalive_s,
    mqtt_tls,
    mqtt_urls,
)
from hub.client_ids import claim_client_id, client_lease
from hub.clock import wall_ms
from hub.config import check_tap_limit, parse_mqtt_urls
from hub.errors import ConfigError
from hub.leadership import DEFAULT_LEASE_S, Leadership, LeaseTerms, process_holder
from hub.metrics import Metrics
from hub.store import is_postgresql_url, open_store


def add_ingest_parser(sub: Any) -> None:
    s = sub.add_parser("ingest", help="run one MQTT ingest worker (no HTTP) on a PostgreSQL store")
    add_database(s)
    s.add_argument(
        "--mqtt-url",
        action="append",
        help="a broker: mqtt://hub:PASSWORD@HOST:PORT, or mqtts://… for TLS (see --mqtt-ca) (required unless"
        " --retire); once per broker: the worker ingests from each (default: $HUB_MQTT_URLS, separated by spaces)",
    )
    s.add_argument(
        "--client-id",
        required=True,
        help="this worker's stable MQTT client id (its broker session); one process per id on a store: one given an"
        " id in use refuses to start",
    )
    add_mqtt_keepalive(s)
    add_mqtt_tls(s)
    s.add_argument(
        "--retire", action="store_true", help="forget the worker --client-id for good (it will not come back); exit"
    )
    s.add_argument(
        "--kiosk-taps-per-minute",
        type=int,
        default=DEFAULT_TAPS_PER_MINUTE,
        metavar="N",
        help=f"as hub serve's (default {DEFAULT_TAPS_PER_MINUTE}; 0: no limit)",
    )
    s.add_argument("--no-kiosk-throttle", action="store_true", help="as hub serve's: flag, but store taps over it")
    s.add_argument(
        "--lease-s",
        type=float,
        default=DEFAULT_LEASE_S,
        help="this worker holds its --client-id in the store under a lease of this many seconds: another process"
        f" asking for the same id is refused while it runs; a killed one frees it within this (default"
        f" {DEFAULT_LEASE_S:g}; at once for a process on the same host)",
    )
    s.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def run_ingest(args: argparse.Namespace) -> int:
    from hub.changes import ChangeRelay
    from hub.mqtt.ingest import Ingest  # paho: imported only by the commands that connect

    if not args.database or not is_postgresql_url(args.database):
        raise ConfigError("hub ingest needs --database postgresql://USER:PASS@HOST:PORT/DB (workers share it)")
    database: str = args.database
    if args.retire:
        with open_store(database) as store:
            known = store.ledger.retire_worker(args.client_id)
        print(f"worker {args.client_id} {'retired' if known else 'was not registered'}")
        return 0
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    urls = mqtt_urls(args)
    if not urls:
        raise ConfigError("hub ingest needs --mqtt-url mqtt://hub:PASSWORD@HOST:PORT (or $HUB_MQTT_URLS)")
    tls = mqtt_tls(args)
    endpoints = parse_mqtt_urls(urls, tls)
    check_mqtt_tls(tls, endpoints)
    keepalive_s = mqtt_keepalive_s(args)
    tap_limit = TapLimit(check_tap_limit(args.kiosk_taps_per_minute), is_throttling=not args.no_kiosk_throttle)
    if not 1 <= args.lease_s <= 3600:
        raise ConfigError(f"--lease-s must be 1-3600, got {args.lease_s}")
    terms = LeaseTerms(round(args.lease_s * 1000))
    holder = process_holder()
    with open_store(database) as store:  # migrate, fail now when the server does not answer, and hold the id
        claim_client_id(store, args.client_id, holder=holder, terms=terms, now_ms=wall_ms)
    leases = Leadership(
        open_store=lambda: open_store(database),
        wants={client_lease(args.client_id): lambda: True},
        terms=terms,
        now_ms=wall_ms,
        holder=holder,
    )
    relay = ChangeRelay(open_store=lambda: open_store(database), feed=None)  # tells the serve processes' pages
    ingest = Ingest(
        open_store=lambda: open_store(database),
        endpoints=endpoints,
        client_id=args.client_id,
        metrics=Metrics(),
        now_ms=wall_ms,
        tap_limit=tap_limit,
        on_stored=relay.stored,
        keepalive_s=keepalive_s,
    )
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    leases.start()
    relay.start()
    ingest.start()
    logging.getLogger(__name__).info("ingest worker %s started", args.client_id)
    while not stopping.wait(1.0):
        pass
    ingest.stop()
    leases.stop()  # after the MQTT clients under the id are gone: releases it
    relay.stop()
    m = ingest.metrics
    logging.getLogger(__name__).info(
        "ingest worker %s stopped: %d rating messages in %d transactions; %d ratings stored, %d duplicates",
        args.client_id,
        m.value("hub_rating_messages_total"),
        m.value("hub_ingest_batches_total"),
        m.value("hub_ratings_stored_total"),
        m.value("hub_ratings_duplicate_total"),
    )
    return 0
