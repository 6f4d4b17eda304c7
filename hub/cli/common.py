"""What every hub command shares: the data-dir and database options and opening the store they name; the MQTT
options of the commands that connect (``serve``, ``ingest``)."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from hub.config import DEFAULT_KEEPALIVE_S, KEEPALIVE_RANGE_S, MqttEndpoint, MqttTls, check_keepalive
from hub.errors import ConfigError
from hub.store import Store, open_store

log = logging.getLogger(__name__)


def add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("hub-data"),
        help="directory holding hub.db, secrets and broker files (default: ./hub-data)",
    )
    add_database(p)


def add_database(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--database",
        default=os.environ.get("HUB_DATABASE") or None,
        metavar="URL",
        help="a PostgreSQL store, postgresql://USER:PASS@HOST:PORT/DB (default: $HUB_DATABASE, else the SQLite"
        " file hub.db in --data-dir)",
    )


def mqtt_urls(args: argparse.Namespace) -> list[str]:
    """``--mqtt-url`` as given (once per broker), else ``$HUB_MQTT_URLS`` (URLs separated by spaces): the
    environment keeps the brokers' passwords off the command line (a systemd ``EnvironmentFile``, say)."""
    given: list[str] | None = args.mqtt_url
    return list(given or os.environ.get("HUB_MQTT_URLS", "").split())


def add_mqtt_tls(p: argparse.ArgumentParser) -> None:
    """``--mqtt-ca``, ``--mqtt-cert``, ``--mqtt-key``: TLS of this process's ``mqtts://`` broker connections."""
    for flag, env, text in (
        ("--mqtt-ca", "HUB_MQTT_CA", "CA certificate(s) the mqtts:// brokers' certificates are verified against (host"
         " names too) (default: $HUB_MQTT_CA, else the system CAs)"),
        ("--mqtt-cert", "HUB_MQTT_CERT", "the hub's client certificate, for brokers that ask for one (the kiosks' TLS"
         " listener does: `hub broker-client-cert`); with --mqtt-key (default: $HUB_MQTT_CERT)"),
        ("--mqtt-key", "HUB_MQTT_KEY", "its unencrypted private key, not readable by others (default: $HUB_MQTT_KEY)"),
    ):  # fmt: skip
        p.add_argument(flag, type=Path, default=os.environ.get(env) or None, metavar="FILE", help=text)


def mqtt_tls(args: argparse.Namespace) -> MqttTls:
    """The TLS files as given (``--mqtt-ca`` … or the environment); checked by :func:`check_mqtt_tls`."""
    return MqttTls(ca_file=args.mqtt_ca, cert_file=args.mqtt_cert, key_file=args.mqtt_key)


def check_mqtt_tls(tls: MqttTls, endpoints: Sequence[MqttEndpoint]) -> None:
    """Refuse TLS files that cannot be loaded, or that no ``mqtts://`` broker would use; warn of a password sent
    in clear to a broker on another machine.

    :raises ConfigError: naming the flag."""
    from hub.mqtt.tls import client_context  # ssl only; no paho

    client_context(tls)
    if tls != MqttTls() and not any(e.tls for e in endpoints):
        raise ConfigError("--mqtt-ca/--mqtt-cert/--mqtt-key apply to mqtts:// brokers, and no --mqtt-url is mqtts://")
    for e in endpoints:
        if not e.tls and not _is_loopback(e.host):
            log.warning("broker %s:%s is reached over plain mqtt://: the hub's password crosses the network in"
                        " clear; use mqtts:// (docs/brokers.md)", e.host, e.port)  # fmt: skip


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def add_mqtt_keepalive(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--mqtt-keepalive",
        type=int,
        metavar="SECONDS",
        help=f"MQTT keep-alive of this process's broker connections, {KEEPALIVE_RANGE_S[0]}-{KEEPALIVE_RANGE_S[1]}:"
        f" a silent broker is noticed within about 1.5 times it (default: $HUB_MQTT_KEEPALIVE, else"
        f" {DEFAULT_KEEPALIVE_S})",
    )


def mqtt_keepalive_s(args: argparse.Namespace) -> int:
    """``--mqtt-keepalive`` as given, else ``$HUB_MQTT_KEEPALIVE``, else the default; checked against the range.

    :raises ConfigError: out of range, or the environment's value is not a whole number."""
    given: int | None = args.mqtt_keepalive
    if given is not None:
        return check_keepalive(given)
    env = os.environ.get("HUB_MQTT_KEEPALIVE", "").strip()
    if not env:
        return DEFAULT_KEEPALIVE_S
    try:
        value = int(env)
    except ValueError:
        raise ConfigError(f"$HUB_MQTT_KEEPALIVE (--mqtt-keepalive) must be whole seconds, got {env!r}") from None
    return check_keepalive(value, "$HUB_MQTT_KEEPALIVE (--mqtt-keepalive)")


def store_target(args: argparse.Namespace) -> str | Path:
    """The store a command opens: ``--database`` when given, else ``hub.db`` in ``--data-dir``."""
    database: str | None = args.database
    return database or args.data_dir / "hub.db"


def store_of(args: argparse.Namespace) -> Store:
    return open_store(store_target(args))
