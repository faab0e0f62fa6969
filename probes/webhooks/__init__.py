"""Inbound webhooks: signature schemes (`signatures.py`), the `signature:` config (`spec.py`) and
the interface through which a `webhook` probe waits for a delivery (`inbox.py`). The listener that
receives them is the shell's (seamwatch/webhooks.py); docs/architecture.md, Probe kinds."""
