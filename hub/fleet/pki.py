"""The kiosk CA the hub manages: its own key and certificate, the broker's server certificate, kiosk client
certificates.

Kiosks trust only this CA (not the system store), and the broker's TLS listener accepts only client
certificates it issued. Keys are EC P-256 (small, fast on a Pi). Kiosk certificates are restricted to
``clientAuth`` and the broker's to ``serverAuth``, so a stolen kiosk key cannot pose as the broker even to
a client that skipped the host name check. A certificate is a second factor beside the kiosk's password:
revoking the password (``hub kiosk disable``) is what locks a kiosk out, at once, without a CRL.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from feedback.ids import check_id
from hub.errors import PkiError
from hub.fleet.passwords import write_private

CA_DAYS = 20 * 365
SERVER_DAYS = 5 * 365
CLIENT_DAYS = 10 * 365
RENEW_SERVER_BEFORE_DAYS = 60


@dataclass(frozen=True, slots=True)
class IssuedCert:
    cert_pem: str
    key_pem: str
    serial: int
    not_after: dt.datetime


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "smileyhub"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, is_ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not is_ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not is_ca,
        key_cert_sign=is_ca,
        crl_sign=is_ca,
        encipher_only=False,
        decipher_only=False,
    )


class KioskCA:
    """A certificate authority kept in ``directory`` (``ca.key`` mode 0600, ``ca.crt``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.key_path = directory / "ca.key"
        self.cert_path = directory / "ca.crt"

    @property
    def exists(self) -> bool:
        return self.cert_path.exists() and self.key_path.exists()

    def ensure(self, *, now: dt.datetime) -> KioskCA:
        """Create the CA on first use; later calls keep it (kiosks in the field trust it)."""
        if self.exists:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name("smileyhub kiosk CA")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(is_ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        write_private(self.key_path, _key_pem(key))
        write_private(self.cert_path, cert.public_bytes(serialization.Encoding.PEM))
        return self

    @property
    def cert_pem(self) -> str:
        return self.cert_path.read_text()

    def _load(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        try:
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        except (OSError, ValueError) as exc:
            raise PkiError(f"kiosk CA in {self.directory} is unreadable: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise PkiError(f"{self.key_path} is not an EC key")
        return key, cert

    def _issue(
        self,
        common_name: str,
        *,
        now: dt.datetime,
        days: int,
        usage: x509.ObjectIdentifier,
        sans: list[x509.GeneralName],
    ) -> IssuedCert:
        ca_key, ca_cert = self._load()
        key = ec.generate_private_key(ec.SECP256R1())
        not_after = now + dt.timedelta(days=days)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(is_ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return IssuedCert(
            cert.public_bytes(serialization.Encoding.PEM).decode(),
            _key_pem(key).decode(),
            cert.serial_number,
            not_after,
        )

    def issue_client(self, kiosk_id: str, *, now: dt.datetime) -> IssuedCert:
        """A client certificate whose common name is the kiosk id (= its broker username), or the hub's user for
        the hub's own connections to the kiosks' TLS listener (``hub broker-client-cert``)."""
        check_id(kiosk_id, what="kiosk id")
        return self._issue(kiosk_id, now=now, days=CLIENT_DAYS, usage=ExtendedKeyUsageOID.CLIENT_AUTH, sans=[])

    def server_files(self, out_dir: Path, hosts: list[str], *, now: dt.datetime) -> tuple[Path, Path, Path]:
        """Write (or keep) the broker's ``ca.crt``, ``server.crt`` and ``server.key`` in ``out_dir``.

        The server certificate is re-issued only when a host name is missing from it or it nears expiry,
        so regenerating the broker files on every registry change does not churn keys.
        """
        out_dir.mkdir(parents=True, exist_ok=True)
        ca_copy, cert_path, key_path = out_dir / "ca.crt", out_dir / "server.crt", out_dir / "server.key"
        if not ca_copy.exists() or ca_copy.read_text() != self.cert_pem:
            write_private(ca_copy, self.cert_pem.encode())
        wanted = sorted(set(hosts))
        if cert_path.exists() and key_path.exists():
            current = x509.load_pem_x509_certificate(cert_path.read_bytes())
            fresh = current.not_valid_after_utc - now > dt.timedelta(days=RENEW_SERVER_BEFORE_DAYS)
            if fresh and _san_hosts(current) >= set(wanted) and _issued_by(current, self):
                return ca_copy, cert_path, key_path
        sans: list[x509.GeneralName] = []
        for host in wanted:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        issued = self._issue(
            wanted[0] if wanted else "broker",
            now=now,
            days=SERVER_DAYS,
            usage=ExtendedKeyUsageOID.SERVER_AUTH,
            sans=sans,
        )
        write_private(key_path, issued.key_pem.encode())
        write_private(cert_path, issued.cert_pem.encode())
        return ca_copy, cert_path, key_path


def _san_hosts(cert: x509.Certificate) -> set[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(v) for v in ext.get_values_for_type(x509.DNSName)} | {
        str(v) for v in ext.get_values_for_type(x509.IPAddress)
    }


def _issued_by(cert: x509.Certificate, ca: KioskCA) -> bool:
    try:
        cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca.cert_path.read_bytes()))
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
