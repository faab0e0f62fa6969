"""Prometheus metrics of the `serve` process (exposed on the listener's /metrics).

Per-probe series are counters and gauges only; histograms are process-wide so that 10,000 probes
do not cost 10,000 × buckets series. A probe's series go away when a config reload removes it
(`retain`)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from probes.result import ProbeResult, RunStatus

_LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.runs = Counter(
            "seamwatch_probe_runs", "Probe runs by outcome.",
            ["integration", "probe", "status", "category"], registry=self.registry,
        )
        self.up = Gauge(
            "seamwatch_probe_up", "1 if the last run passed (ok or degraded), else 0.",
            ["integration", "probe"], registry=self.registry,
        )
        self.latency = Gauge(
            "seamwatch_probe_latency_seconds", "Latency of the last run.",
            ["integration", "probe"], registry=self.registry,
        )
        self.run_duration = Histogram(
            "seamwatch_run_duration_seconds", "Duration of probe runs (all probes).",
            buckets=_DURATION_BUCKETS, registry=self.registry,
        )
        self.start_lag = Histogram(
            "seamwatch_start_lag_seconds", "Delay between a run's scheduled and actual start.",
            buckets=_LAG_BUCKETS, registry=self.registry,
        )
        self.missed = Counter(
            "seamwatch_missed_runs", "Scheduled runs skipped (too late or still running).",
            registry=self.registry,
        )
        self.writer_backlog = Gauge(
            "seamwatch_writer_backlog", "Results waiting to be written.", registry=self.registry
        )
        self.expiry = Gauge(
            "seamwatch_credential_expiry_timestamp_seconds",
            "When a credential, secret or certificate a run saw expires (unix time)",
            ["integration", "kind", "subject"], registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "seamwatch_webhook_deliveries", "Requests to /webhook/ endpoints by outcome "
            "(accepted, duplicate, rejected).",
            ["integration", "probe", "outcome"], registry=self.registry,
        )
        self.runner_info = Gauge(
            "seamwatch_runner_info", "This runner (1): its id, location and version.",
            ["runner", "location", "version"], registry=self.registry,
        )
        self.probes_owned = Gauge(
            "seamwatch_probes_owned", "Probes this runner runs (its share of its location's).",
            registry=self.registry,
        )
        self.config_reload_errors = Counter(
            "seamwatch_config_reload_errors", "Config reloads rejected as invalid.",
            registry=self.registry,
        )
        self.notices_sent = Counter(
            "seamwatch_notifications_sent", "Alert notices delivered, by channel.",
            ["channel"], registry=self.registry,
        )
        self.notices_failed = Counter(
            "seamwatch_notifications_failed", "Alert notices given up on, by channel.",
            ["channel"], registry=self.registry,
        )
        self.channel_up = Gauge(
            "seamwatch_channel_up",
            "1 while an alert channel delivers; 0 while it is failing (backing off) or disabled.",
            ["channel"], registry=self.registry,
        )
        self.channel_disabled = Gauge(
            "seamwatch_channel_disabled", "1 once a receiver disabled the channel (410 Gone).",
            ["channel"], registry=self.registry,
        )
        # The label sets recorded per probe, and the probes of the running config (None until
        # the first `retain`: every result counts).
        self._outcomes: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self._receipts: dict[tuple[str, str], set[str]] = {}
        self._expiries: dict[tuple[str, str], set[tuple[str, str, str]]] = {}
        self._configured: frozenset[tuple[str, str]] | None = None

    def record(self, result: ProbeResult) -> None:
        labels = (result.integration, result.probe)
        if self._configured is not None and labels not in self._configured:
            return  # a run that ended after its probe was removed
        outcome = (str(result.status), str(result.category or ""))
        self._outcomes.setdefault(labels, set()).add(outcome)
        self.runs.labels(*labels, *outcome).inc()
        self.up.labels(*labels).set(0 if result.status is RunStatus.FAILED else 1)
        self.latency.labels(*labels).set(result.latency_ms / 1000.0)
        self.run_duration.observe(result.latency_ms / 1000.0)
        for e in result.expiries:
            key = (result.integration, str(e.kind), e.subject)
            self._expiries.setdefault(labels, set()).add(key)
            self.expiry.labels(*key).set(e.expires_at_s)

    # -- alerts.outbox_state.DeliveryObserver --------------------------------------------------

    def notice_sent(self, channel: str) -> None:
        self.notices_sent.labels(channel).inc()

    def notice_failed(self, channel: str) -> None:
        self.notices_failed.labels(channel).inc()

    def channel_status(self, channel: str, status: str) -> None:
        self.channel_up.labels(channel).set(1 if status == "ok" else 0)
        self.channel_disabled.labels(channel).set(1 if status == "disabled" else 0)
        self.notices_sent.labels(channel)  # a channel's series exist from its first pass
        self.notices_failed.labels(channel)

    def receipt(self, key: str, outcome: str) -> None:
        """Count one delivery to the webhook endpoint `integration/probe` (a configured one:
        requests for unknown endpoints never reach here)."""
        integration, _, probe = key.partition("/")
        self._receipts.setdefault((integration, probe), set()).add(outcome)
        self.webhook_deliveries.labels(integration, probe, outcome).inc()

    def retain(self, probes: Iterable[tuple[str, str]]) -> int:
        """Keep the per-probe series of these (integration, probe) pairs only, dropping those
        of probes a config reload removed; returns how many probes' series were dropped."""
        self._configured = frozenset(probes)
        removed = [labels for labels in self._outcomes if labels not in self._configured]
        for labels in removed:
            for outcome in self._outcomes.pop(labels):
                self.runs.remove(*labels, *outcome)
            self.up.remove(*labels)
            self.latency.remove(*labels)
        for pair in [key for key in self._expiries if key not in self._configured]:
            for series in self._expiries.pop(pair):
                self.expiry.remove(*series)
        for pair in [key for key in self._receipts if key not in self._configured]:
            for received in self._receipts.pop(pair):
                self.webhook_deliveries.remove(*pair, received)
        return len(removed)
