"""Alert channels: where notices go (docs/architecture.md, "An alert channel").

One module per channel type (`email`, `webhook`, `apprise`), each with its config model, its
rendering of a group of notices into an outbox row and its sender; `registry.py` lists them once.
"""
