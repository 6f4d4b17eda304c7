"""What ``hub serve`` runs beside the HTTP app: the managed broker, the ingest, the registry watcher and the
alert threads (evaluation and delivery)."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Callable

from hub.alerts.delivery import Senders, parse_smtp_url
from hub.alerts.service import AlertService
from hub.changes import ChangeFeed
from hub.config import HubConfig, MqttEndpoint, kiosk_facing_url
from hub.errors import StoreUnavailable
from hub.fleet.addresses import record_served
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
from hub.metrics import Metrics
from hub.mqtt.ingest import Ingest
from hub.mqtt.publisher import ConfigPublisher
from hub.store import Store, open_store

log = logging.getLogger(__name__)


class HubRuntime:
    def __init__(
        self, config: HubConfig, *, metrics: Metrics, now_ms: Callable[[], int], changes: ChangeFeed | None = None
    ) -> None:
        self.config = config
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
            record_served(store, *(kiosk_facing_url(e) for e in endpoints))
        store.ops.set_meta("public_url", cfg.dashboard_url)  # `report send` links to the dashboard too
        seen = store.ops.registry_version()
        RemoteSettings(store).plan(now_ms=self.now_ms())
        store.close()
        if cfg.ingest_enabled:
            self.ingest = Ingest(
                open_store=lambda: open_store(cfg.store_target),
                endpoints=endpoints,
                client_id=cfg.client_id,
                metrics=self.metrics,
                now_ms=self.now_ms,
                tap_limit=cfg.tap_limit,
                on_stored=self.changes.publish if self.changes is not None else None,
            )
            self.ingest.start()
        if cfg.ingest_enabled or cfg.external_mqtt:  # `serve --no-ingest --mqtt-url …` still publishes settings
            self.publisher = ConfigPublisher(
                endpoints=endpoints, client_id=f"{cfg.client_id}-config", now_ms=self.now_ms
            )
            self.publisher.start()
        self.alerts = AlertService(
            open_store=lambda: open_store(cfg.store_target),
            senders=Senders(cfg.mail_from, parse_smtp_url(cfg.smtp_url) if cfg.smtp_url else None),
            public_url=cfg.dashboard_url,
            interval_s=cfg.alert_interval_s,
            now_ms=self.now_ms,
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
        remote configs (a moved kiosk gets its new location's settings). Publish pending configs."""
        store = open_store(self.config.store_target)
        secret = hub_password(self.config.data_dir) if self.broker is not None else ""
        while not self._stopping.wait(0.5):
            try:
                version = store.ops.registry_version()
                if version != seen:
                    if self.broker is not None:
                        self._write_broker_files(store, secret)
                        self.broker.reload()
                        self.metrics.inc("hub_broker_reloads_total", help="broker reloads after registry changes")
                        log.info("hub: registry changed (v%d); broker reloaded", version)
                    RemoteSettings(store).plan(now_ms=self.now_ms())
                    seen = version
                if self.publisher is not None:
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
