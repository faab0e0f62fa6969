"""Alerting: the per-probe state machine, maintenance windows, the durable notification outbox,
email rendering and SMTP delivery (docs/architecture.md, "Packages").

It reads runs (probes.result) and writes through storage's Store; it never runs probes.
"""
