"""Loopback target servers for benchmarks, each in its own process so that their CPU is not
counted against the client being measured. Python's http.server, one connection per request
(HTTP/1.0), as in the reference figures of docs/architecture.md, "Performance targets"."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import socket
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa

BODY = b'{"data":[{"id":"ch_1","amount":100}],"ok":true}'


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("X-RateLimit-Limit", "1000")
        self.send_header("X-RateLimit-Remaining", "999")
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def _serve_http(port_queue: mp.Queue) -> None:  # type: ignore[type-arg]
    server = _Server(("127.0.0.1", 0), _Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def _serve_black_hole(port_queue: mp.Queue) -> None:  # type: ignore[type-arg]
    """Accepts connections and never answers (holds them open)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    port_queue.put(sock.getsockname()[1])
    held = []
    while True:
        conn, _ = sock.accept()
        held.append(conn)


@contextlib.contextmanager
def target_processes(count: int = 1, *, black_hole: bool = False) -> Iterator[list[str]]:
    """Start `count` target servers; yields their base URLs; stops them on exit."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_serve_black_hole if black_hole else _serve_http, args=(queue,),
                    daemon=True)
        for _ in range(count)
    ]
    for proc in procs:
        proc.start()
    try:
        urls = [f"http://127.0.0.1:{queue.get(timeout=30)}" for _ in procs]
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(timeout=5)


def cpu_seconds() -> float:
    return time.process_time()


PG_ADMIN_URL = os.environ.get(
    "SEAMWATCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class PostgresUnavailable(Exception):
    """The local PostgreSQL cannot be reached (the bench prints this and skips)."""


@contextlib.contextmanager
def scratch_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL database for one bench (dropped at the end); yields its URL."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"seamwatch_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        raise PostgresUnavailable(str(exc.orig).splitlines()[0]) from None
    try:
        yield sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
