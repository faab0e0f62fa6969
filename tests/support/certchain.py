"""A three-level certificate chain with chosen expiries (trustme cannot date an intermediate):
root CA -> intermediate CA -> leaf for 127.0.0.1/localhost, written as TlsFiles (the server's PEM
holds the leaf and the intermediate)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.servers import TlsFiles


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "seamwatch tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _cert(subject: str, issuer: str, key: ec.EllipticCurvePrivateKey,
          signer: ec.EllipticCurvePrivateKey, not_after: datetime, ca: bool) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject)).issuer_name(_name(issuer))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(days=1)).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return builder.sign(signer, hashes.SHA256())


def make_chain(directory: Path, *, intermediate_days: float, leaf_days: float) -> TlsFiles:
    now = datetime.now(UTC)
    root_key, mid_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("Test Root CA", "Test Root CA", root_key, root_key, now + timedelta(days=3650),
                 ca=True)
    mid = _cert("Test Issuing CA", "Test Root CA", mid_key, root_key,
                now + timedelta(days=intermediate_days), ca=True)
    leaf = _cert("localhost", "Test Issuing CA", leaf_key, mid_key,
                 now + timedelta(days=leaf_days), ca=False)
    directory.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(root.public_bytes(pem))
    (directory / "server.pem").write_bytes(leaf.public_bytes(pem) + mid.public_bytes(pem))
    (directory / "server.key").write_bytes(leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return TlsFiles(ca=None, ca_pem=directory / "ca.pem", cert_pem=directory / "server.pem",
                    key_pem=directory / "server.key")
