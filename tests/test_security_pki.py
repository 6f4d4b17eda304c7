"""The hub's kiosk CA: what it issues, what it keeps, and the CLI's refusals."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import tomllib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from feedback.ids import InvalidId
from hub import cli as hub_cli
from hub.fleet.pki import KioskCA
from tests.harness import hub_cmd

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def test_kiosk_certificates_name_the_kiosk_and_serve_client_auth_only(tmp_path: Path) -> None:
    """A kiosk certificate's CN is the kiosk id, it is signed by the CA and good for clientAuth only."""
    ca = KioskCA(tmp_path / "pki").ensure(now=NOW)
    issued = ca.issue_client("sto-1", now=NOW)
    cert = x509.load_pem_x509_certificate(issued.cert_pem.encode())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca.cert_pem.encode()))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "sto-1"
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    assert (ca.key_path.stat().st_mode & 0o777) == 0o600
    with pytest.raises(InvalidId):
        ca.issue_client("sto/#", now=NOW)


def test_the_server_certificate_is_kept_until_a_host_name_is_missing(tmp_path: Path) -> None:
    """Regenerating broker files keeps the server key; a new host name re-issues it, naming every host."""
    ca = KioskCA(tmp_path / "pki").ensure(now=NOW)
    _, cert_path, key_path = ca.server_files(tmp_path / "tls", ["localhost", "127.0.0.1"], now=NOW)
    first = key_path.read_bytes()
    ca.server_files(tmp_path / "tls", ["127.0.0.1", "localhost"], now=NOW + dt.timedelta(days=1))
    assert key_path.read_bytes() == first
    ca.server_files(tmp_path / "tls", ["localhost", "127.0.0.1", "hub.example"], now=NOW)
    assert key_path.read_bytes() != first
    sans = (
        x509.load_pem_x509_certificate(cert_path.read_bytes())
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert set(sans.get_values_for_type(x509.DNSName)) == {"localhost", "hub.example"}
    assert KioskCA(tmp_path / "pki").ensure(now=NOW).cert_pem == ca.cert_pem  # the CA itself is kept


def test_kiosk_add_tls_embeds_the_pems_and_needs_a_tls_address(tmp_path: Path) -> None:
    """`kiosk add --tls` writes a config with CA, cert and key; without an mqtts:// address it refuses."""
    data = str(tmp_path / "hub")
    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", data)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = hub_cli.main(
            ["kiosk", "add", "k1", "--location", "sto", "--tls", "--broker-url", "mqtt://h:1883", "--data-dir", data]
        )
    assert rc == 2 and err.getvalue().startswith("error: ") and "mqtts://" in err.getvalue()
    assert "k1" not in hub_cmd("kiosk", "list", "--data-dir", data)  # refused before registering anything
    out = tmp_path / "k1.toml"
    hub_cmd(
        "kiosk",
        "add",
        "k1",
        "--location",
        "sto",
        "--tls",
        "--broker-url",
        "mqtts://hub.example:8883",
        "--out",
        str(out),
        "--data-dir",
        data,
    )
    broker = tomllib.loads(out.read_text())["broker"]
    assert broker["url"] == "mqtts://hub.example:8883"
    assert broker["ca_pem"] == KioskCA(tmp_path / "hub" / "pki").cert_pem.strip()
    assert "BEGIN CERTIFICATE" in broker["cert_pem"] and "BEGIN PRIVATE KEY" in broker["key_pem"]
    assert (out.stat().st_mode & 0o777) == 0o600
