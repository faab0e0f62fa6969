"""DeliveryError: why a channel could not deliver one outbox row, in one redacted line.

Its flags tell the service what to do with the row and the channel (docs/alerts.md, "Delivery:
the outbox"): a transient error (the default) backs the whole channel off, so its rows stay in
order; `permanent` fails this row and goes on with the next; `gone` (a webhook receiver answered
410) disables the channel; `retry_after` is the receiver's own wait, honoured instead of the
backoff.
"""

from __future__ import annotations


class DeliveryError(Exception):
    def __init__(
        self, message: str, *, permanent: bool = False, gone: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.gone = gone
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message
