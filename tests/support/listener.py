"""The `serve` listener (seamwatch/listener.py) running in the test's event loop on a real
loopback socket, with chosen limits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from seamwatch.listener import Listener, ListenerLimits, bind_socket


@contextlib.asynccontextmanager
async def running_listener(app: Starlette,
                           limits: ListenerLimits | None = None) -> AsyncIterator[Listener]:
    """The listener on 127.0.0.1:<free port>. Its socket listens from the start, so a client
    may connect at once (the kernel queues the connection until uvicorn accepts it)."""
    listener = Listener(app, bind_socket("127.0.0.1:0"), limits)
    listener.start()
    try:
        yield listener
    finally:
        await listener.stop()
