"""What ``hub serve`` runs beside the HTTP app: the managed broker, the ingest and the registry watcher."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from hub.broker import HUB_USERNAME, ManagedBroker, hub_password, write_broker_files
from hub.config import HubConfig, MqttEndpoint
from hub.db import open_db, registry_version, set_meta
from hub.ingest import Ingest
from hub.metrics import Metrics
from hub.registry import Registry

log = logging.getLogger(__name__)


class HubRuntime:
    def __init__(self, config: HubConfig, *, metrics: Metrics, now_ms: Callable[[], int]) -> None:
        self.config = config
        self.metrics = metrics
        self.now_ms = now_ms
        self.broker: ManagedBroker | None = None
        self.ingest: Ingest | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        cfg = self.config
        db = open_db(cfg.db_path)
        if cfg.external_mqtt is None:
            secret = hub_password(cfg.data_dir)
            self._write_broker_files(db, secret)
            self.broker = ManagedBroker(cfg.broker_dir / "mosquitto.conf", host=cfg.mqtt_bind, port=cfg.mqtt_port,
                                        log_path=cfg.broker_dir / "mosquitto.log")
            self.broker.start()
            host = cfg.public_mqtt_host or cfg.mqtt_bind
            set_meta(db, "broker_url", f"mqtt://{host}:{cfg.mqtt_port}")
            endpoint = MqttEndpoint("127.0.0.1" if cfg.mqtt_bind in ("0.0.0.0", "") else cfg.mqtt_bind,
                                    cfg.mqtt_port, HUB_USERNAME, secret)
            self._watcher = threading.Thread(target=self._watch_registry, args=(registry_version(db),),
                                             name="registry-watcher", daemon=True)
            self._watcher.start()
        else:
            endpoint = cfg.external_mqtt
            set_meta(db, "broker_url", f"{'mqtts' if endpoint.tls else 'mqtt'}://{endpoint.host}:{endpoint.port}")
        db.conn.close()
        if cfg.ingest_enabled:
            self.ingest = Ingest(db_path=cfg.db_path, endpoint=endpoint, client_id=cfg.client_id,
                                 metrics=self.metrics, now_ms=self.now_ms)
            self.ingest.start()

    def stop(self) -> None:
        self._stopping.set()
        if self.ingest is not None:
            self.ingest.stop()
        if self._watcher is not None:
            self._watcher.join(5)
        if self.broker is not None:
            self.broker.stop()

    def _write_broker_files(self, db: object, secret: str) -> None:
        from sqlite_utils import Database

        assert isinstance(db, Database)
        write_broker_files(self.config.broker_dir, hub_secret=secret, kiosks=Registry(db).broker_users(),
                           port=self.config.mqtt_port, bind=self.config.mqtt_bind)

    def _watch_registry(self, seen: int) -> None:
        """Regenerate the broker's password file and reload it when kiosks are added, moved or disabled."""
        db = open_db(self.config.db_path)
        secret = hub_password(self.config.data_dir)
        while not self._stopping.wait(0.5):
            try:
                version = registry_version(db)
                if version != seen:
                    self._write_broker_files(db, secret)
                    if self.broker is not None:
                        self.broker.reload()
                    seen = version
                    self.metrics.inc("hub_broker_reloads_total", help="broker reloads after registry changes")
                    log.info("hub: registry changed (v%d); broker reloaded", version)
            except Exception:
                log.exception("registry watcher")
                time.sleep(1.0)
        db.conn.close()
