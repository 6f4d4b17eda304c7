"""The kiosk's TLS context: trust only the hub's kiosk CA, present the kiosk's own client certificate.

The certificate and key may be embedded in the config file (``broker.cert_pem`` / ``broker.key_pem``, as
``hub kiosk add --tls`` writes them) or given as files. Embedded keys are loaded through an anonymous
in-memory file (``memfd``): nothing extra is written to the SD card and no second copy of the key exists.
"""

from __future__ import annotations

import os
import ssl

from kiosk.config import BrokerConfig, ConfigError


class TlsSetupError(ConfigError):
    """The CA or client certificate in the kiosk config cannot be loaded (the message says which)."""


def client_context(broker: BrokerConfig) -> ssl.SSLContext:
    """A client-side context that verifies the broker against the configured CA (or the system store)."""
    try:
        if broker.ca_pem is not None or broker.ca_file is not None:
            ctx = ssl.create_default_context(cafile=broker.ca_file, cadata=broker.ca_pem)
        else:
            ctx = ssl.create_default_context()
    except (ssl.SSLError, OSError) as exc:
        raise TlsSetupError(f"broker CA could not be loaded: {exc}") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        if broker.cert_pem is not None and broker.key_pem is not None:
            _load_chain_from_memory(ctx, broker.cert_pem + "\n" + broker.key_pem)
        elif broker.cert_file is not None:
            ctx.load_cert_chain(broker.cert_file, broker.key_file)
    except (ssl.SSLError, OSError) as exc:
        raise TlsSetupError(f"kiosk client certificate could not be loaded: {exc}") from None
    return ctx


def _load_chain_from_memory(ctx: ssl.SSLContext, pem: str) -> None:
    fd = os.memfd_create("kiosk-client-cert", os.MFD_CLOEXEC)
    try:
        os.write(fd, pem.encode())
        ctx.load_cert_chain(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)
