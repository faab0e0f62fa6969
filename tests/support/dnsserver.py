"""A tiny authoritative DNS server on 127.0.0.1 (UDP) answering from a dict, for the dns probe's
tests: names it does not know are NXDOMAIN, known names without the asked type get an empty
NOERROR answer, and `SERVFAIL` as a name's only record makes it answer SERVFAIL."""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping, Sequence

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

Records = Mapping[str, Mapping[str, Sequence[str]]]  # name -> record type -> rdata texts


class LocalDnsServer:
    def __init__(self, records: Records) -> None:
        self.records = {name.lower().rstrip("."): dict(types) for name, types in records.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        types = self.records.get(name)
        if types is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif "SERVFAIL" in types:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif rdtype in types:
            response.answer.append(
                dns.rrset.from_text_list(question.name, 60, "IN", rdtype, list(types[rdtype])))
        return response

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            self.queries += 1
            try:
                query = dns.message.from_wire(data)
            except Exception:
                continue
            self.sock.sendto(self._answer(query).to_wire(), peer)

    def __enter__(self) -> LocalDnsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class SilentDnsServer:
    """A UDP port on 127.0.0.1 that receives queries and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> SilentDnsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
