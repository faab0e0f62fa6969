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
        # The label sets recorded per probe, and the probes of the running config (None until
        # the first `retain`: every result counts).
        self._outcomes: dict[tuple[str, str], set[tuple[str, str]]] = {}
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
        return len(removed)
