"""The TLS context of the hub's own MQTT connections to ``mqtts://`` brokers (the kiosks' twin: ``kiosk/tls.py``).

Verification is always on: the broker's certificate must chain to ``--mqtt-ca`` (default: the system CAs) and
name the host the URL gives. ``--mqtt-cert``/``--mqtt-key`` are presented when the broker asks for a client
certificate, as the kiosks' TLS listener does (``hub broker-client-cert`` issues one from the kiosk CA). The files
are loaded when a process starts, so a bad one is refused then, in one line naming its flag.
"""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

from hub.config import MqttTls
from hub.errors import ConfigError


def client_context(tls: MqttTls) -> ssl.SSLContext:
    """A client context that verifies the broker (chain and host name) and holds the hub's certificate, if given.

    :raises ConfigError: a file is missing, unreadable, not what its flag wants, or the key is readable by all.
    """
    try:
        ctx = ssl.create_default_context(cafile=tls.ca_file)  # CERT_REQUIRED and check_hostname
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"--mqtt-ca {tls.ca_file}: not a readable file of CA certificates ({_reason(exc)})") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if (tls.cert_file is None) != (tls.key_file is None):
        given, missing = ("--mqtt-cert", "--mqtt-key") if tls.key_file is None else ("--mqtt-key", "--mqtt-cert")
        raise ConfigError(f"{given} needs {missing}: the hub's client certificate is a certificate and its key")
    if tls.cert_file is not None and tls.key_file is not None:
        _check_private(tls.key_file)
        try:
            ctx.load_cert_chain(tls.cert_file, tls.key_file, password=_refuse_encrypted)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"--mqtt-cert {tls.cert_file} / --mqtt-key {tls.key_file}: not a certificate and its unencrypted key"
                f" ({_reason(exc)})"
            ) from None
    return ctx


def _check_private(key_file: Path) -> None:
    try:
        mode = key_file.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"--mqtt-key {key_file}: {_reason(exc)}") from None
    if mode & stat.S_IROTH:
        raise ConfigError(f"--mqtt-key {key_file} is readable by every user (mode {mode & 0o777:o}): chmod 600 it")


def _refuse_encrypted() -> str:
    # without a password callback OpenSSL would prompt on the terminal, which a service does not have; the
    # ssl module raises what the callback raises
    raise ConfigError("--mqtt-key is encrypted: give the key unencrypted, readable only by the hub's user")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
