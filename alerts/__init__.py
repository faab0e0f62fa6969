"""Alerting: the per-probe state machine, maintenance windows, the durable notification outbox,
channels (email over SMTP, signed webhooks, Apprise) and routes (docs/architecture.md,
"Packages").

It reads runs (probes.result) and writes through storage's Store; it never runs probes.
"""
