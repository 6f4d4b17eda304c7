"""What ``hub serve`` runs beside the HTTP app: the managed broker, the ingest, the registry watcher, the config
publisher, the alert threads (evaluation and delivery) and the leases that let several processes share one store
(``hub.leadership``: only the leader evaluates alerts; only the config leader plans and publishes kiosk configs)."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Callable

from hub.alerts.delivery import Senders, parse_smtp_url
from hub.alerts.service import AlertService
from hub.changes import ChangeFeed, ChangeRelay
from hub.client_ids import client_lease
from hub.config import HubConfig, MqttEndpoint, kiosk_facing_url
from hub.errors import StoreUnavailable
from hub.fleet.addresses import record_hub_brokers, record_served
from hub.fleet.broker import (
    HUB_USERNAME,
    ManagedBroker,
    TlsListener,
    broker_tls_hosts,
    hub_password,
    write_broker_files,
)
from hub.fleet.pki import KioskCA
from hub.fleet.settings import RemoteSettings
from hub.leadership import ALERTS, CONFIG, Leadership, LeaseTerms
from hub.metrics import Metrics
from hub.mqtt.ingest import Ingest
from hub.mqtt.publisher import ConfigPublisher
from hub.store import Store, open_store

log = logging.getLogger(__name__)


class HubRuntime:
    def __init__(
        self,
        config: HubConfig,
        *,
        metrics: Metrics,
        now_ms: Callable[[], int],
        changes: ChangeFeed | None = None,
        holder: str | None = None,
    ) -> None:
        self.config = config
        self.holder = holder  # this process in the leases (None: a new name); see hub.client_ids
        self.changes = changes
        self.metrics = metrics
        self.now_ms = now_ms
        self.broker: ManagedBroker | None = None
        self.ingest: Ingest | None = None
        self.publisher: ConfigPublisher | None = None
        self._tls: TlsListener | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self.alerts: AlertService | None = None
        self.leadership: Leadership | None = None
        self.relay: ChangeRelay | None = None

    def start(self) -> None:
        cfg = self.config
        store = open_store(cfg.store_target)
        if not cfg.external_mqtt:
            secret = hub_password(cfg.data_dir)
            if cfg.mqtt_tls_port is not None:
                self._tls = self._tls_listener()
                tls_host = cfg.public_mqtt_host or socket.gethostname()
                record_served(store, f"mqtts://{tls_host}:{cfg.mqtt_tls_port}")
            self._write_broker_files(store, secret)
            self.broker = ManagedBroker(
                cfg.broker_dir / "mosquitto.conf",
                host=cfg.mqtt_bind,
                port=cfg.mqtt_port,
                log_path=cfg.broker_dir / "mosquitto.log",
            )
            self.broker.start()
            host = cfg.public_mqtt_host or cfg.mqtt_bind
            record_served(store, f"mqtt://{host}:{cfg.mqtt_port}")
            endpoints: tuple[MqttEndpoint, ...] = (
                MqttEndpoint(
                    "127.0.0.1" if cfg.mqtt_bind in ("0.0.0.0", "") else cfg.mqtt_bind,
                    cfg.mqtt_port,
                    HUB_USERNAME,
                    secret,
                ),
            )
        else:
            endpoints = cfg.external_mqtt
            if not record_hub_brokers(store, *(kiosk_facing_url(e) for e in endpoints)):
                log.info(
                    "hub: the brokers are reached over both mqtt:// and mqtts://; kiosks' addresses come from"
                    " `hub broker-address set` only"
                )
        store.ops.set_meta("public_url", cfg.dashboard_url)  # `report send` links to the dashboard too
        seen = store.ops.registry_version()
        on_stored = self.changes.publish if self.changes is not None else None
        if store.changes.reaches_other_processes:  # PostgreSQL: pages on any process hear of any process's answers
            self.relay = ChangeRelay(open_store=lambda: open_store(cfg.store_target), feed=self.changes)
            self.relay.start()
            on_stored = self.relay.stored
        store.close()
        if cfg.ingest_enabled:
            self.ingest = Ingest(
                open_store=lambda: open_store(cfg.store_target),
                endpoints=endpoints,
                client_id=cfg.client_id,
                metrics=self.metrics,
                now_ms=self.now_ms,
                tap_limit=cfg.tap_limit,
                on_stored=on_stored,
                keepalive_s=cfg.mqtt_keepalive_s,
            )
            self.ingest.start()
        # in every process, so whichever leads can publish; it publishes only while this process holds CONFIG
        self.publisher = ConfigPublisher(
            endpoints=endpoints,
            client_id=f"{cfg.client_id}-config",
            now_ms=self.now_ms,
            keepalive_s=cfg.mqtt_keepalive_s,
        )
        self.publisher.start()
        publisher = self.publisher
        self.leadership = Leadership(
            open_store=lambda: open_store(cfg.store_target),
            wants={
                ALERTS: lambda: True,
                CONFIG: lambda: publisher.is_connected,
                client_lease(cfg.client_id): lambda: True,
            },
            terms=LeaseTerms(round(cfg.lease_s * 1000)),
            now_ms=self.now_ms,
            holder=self.holder,
        )
        self.leadership.start()
        leadership = self.leadership
        self.alerts = AlertService(
            open_store=lambda: open_store(cfg.store_target),
            senders=Senders(cfg.mail_from, parse_smtp_url(cfg.smtp_url) if cfg.smtp_url else None),
            public_url=cfg.dashboard_url,
            interval_s=cfg.alert_interval_s,
            now_ms=self.now_ms,
            is_leader=lambda: leadership.is_leader(ALERTS),
            metrics=self.metrics,
        )
        self.alerts.start()
        self._watcher = threading.Thread(
            target=self._watch_registry, args=(seen,), name="registry-watcher", daemon=True
        )
        self._watcher.start()

    def stop(self) -> None:
        self._stopping.set()
        if self.ingest is not None:
            self.ingest.stop()
        if self._watcher is not None:
            self._watcher.join(5)
        if self.alerts is not None:
            self.alerts.stop()
        if self.publisher is not None:
            self.publisher.stop()
        if self.leadership is not None:
            # after the work that needs the leases and the MQTT clients that use the client id: releases them
            self.leadership.stop()
        if self.relay is not None:
            self.relay.stop()
        if self.broker is not None:
            self.broker.stop()

    def _write_broker_files(self, store: Store, secret: str) -> None:
        write_broker_files(
            self.config.broker_dir,
            hub_secret=secret,
            kiosks=store.registry.broker_users(),
            port=self.config.mqtt_port,
            bind=self.config.mqtt_bind,
            tls=self._tls,
        )

    def _tls_listener(self) -> TlsListener:
        cfg = self.config
        assert cfg.mqtt_tls_port is not None
        now = dt.datetime.now(dt.UTC)
        ca = KioskCA(cfg.pki_dir).ensure(now=now)
        hosts = broker_tls_hosts(cfg.public_mqtt_host, cfg.mqtt_tls_bind)
        files = ca.server_files(cfg.broker_dir / "tls", hosts, now=now)
        return TlsListener(cfg.mqtt_tls_port, cfg.mqtt_tls_bind, *files)

    def _watch_registry(self, seen: int) -> None:
        """When kiosks are added, moved or disabled: regenerate the broker's password file and reload it
        (a removed password disconnects that kiosk at once: measured with Mosquitto 2.0.11), and re-plan
        remote configs (a moved kiosk gets its new location's settings). Publish pending configs.

        The broker reload is this process's own (its managed broker); planning and publishing only while this
        process holds the CONFIG lease, and once more on taking it (changes while nobody led)."""
        store = open_store(self.config.store_target)
        secret = hub_password(self.config.data_dir) if self.broker is not None else ""
        leading = False
        while not self._stopping.wait(0.5):
            try:
                version = store.ops.registry_version()
                if version != seen and self.broker is not None:
                    self._write_broker_files(store, secret)
                    self.broker.reload()
                    self.metrics.inc("hub_broker_reloads_total", help="broker reloads after registry changes")
                    log.info("hub: registry changed (v%d); broker reloaded", version)
                was_leading, leading = leading, self.leadership is not None and self.leadership.is_leader(CONFIG)
                if leading and (version != seen or not was_leading):
                    RemoteSettings(store).plan(now_ms=self.now_ms())
                seen = version
                if leading and self.publisher is not None:
                    n = self.publisher.sync(store)
                    if n:
                        self.metrics.inc("hub_configs_published_total", n, help="kiosk configs published")
            except StoreUnavailable as exc:  # the database is restarting, unreachable or locked: try again shortly
                log.warning("registry watcher: %s", exc)
                time.sleep(1.0)
            except Exception:
                log.exception("registry watcher")
                time.sleep(1.0)
        store.close()
