"""The certificate chain a TLS server serves, for the `tls` probe's expiry list.

Python 3.11's `ssl` exposes only the leaf certificate, so the chain is read with pyOpenSSL's
`get_peer_cert_chain()` on a second, unverified connection (the verified handshake is the probe's
own, probes/certs.py). It runs in a worker thread with a deadline; each certificate after the
leaf is reported with its subject and notAfter.
"""

from __future__ import annotations

import asyncio
import select
import socket
import time


def _subject_and_not_after(cert: object) -> tuple[str, float]:
    from OpenSSL import crypto

    assert isinstance(cert, crypto.X509)
    parsed = cert.to_cryptography()
    subject = parsed.subject.rfc4514_string()[:200] or "(no subject)"
    return subject, parsed.not_valid_after_utc.timestamp()


def _read_chain(host: str, port: int, server_name: str, timeout: float
                ) -> list[tuple[str, float]]:
    from OpenSSL import SSL

    deadline = time.monotonic() + timeout
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *_: True)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.setblocking(False)
        conn = SSL.Connection(ctx, sock)
        if server_name and not _is_ip(server_name):
            conn.set_tlsext_host_name(server_name.encode("idna"))
        conn.set_connect_state()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("reading the certificate chain timed out")
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                select.select([sock], [], [], left)
            except SSL.WantWriteError:
                select.select([], [sock], [], left)
        chain = conn.get_peer_cert_chain() or []
    return [_subject_and_not_after(cert) for cert in chain[1:]]


def _is_ip(name: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in name else socket.AF_INET, name)
    except OSError:
        return False
    return True


async def served_chain(host: str, port: int, server_name: str, timeout: float
                       ) -> list[tuple[str, float]]:
    """(subject, notAfter) of every certificate the server sends after its leaf."""
    return await asyncio.to_thread(_read_chain, host, port, server_name, timeout)
