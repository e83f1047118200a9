"""Prometheus metrics: HTTP requests of this process, plus job and queue counts read from Redis."""

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

disable_created_metrics()  # the *_created series only double the output of every counter

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class HttpMetrics:
    """Request counters and latency histograms of one app, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("pretext_http_requests", "HTTP requests by method, route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("pretext_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class JobSnapshot:
    """A collector of job and queue figures read from Redis just before a scrape."""

    def __init__(self, job_counts: dict[tuple[str, str], int], queue_lengths: dict[str, int]) -> None:
        self.job_counts = job_counts
        self.queue_lengths = queue_lengths

    def collect(self) -> Iterator[Metric]:
        jobs = CounterMetricFamily("pretext_jobs", "Jobs that reached each status, by kind",
                                   labels=["kind", "status"])
        for (kind, status), n in sorted(self.job_counts.items()):
            jobs.add_metric([kind, status], n)
        yield jobs
        queued = GaugeMetricFamily("pretext_queue_length", "Messages waiting in each task queue",
                                   labels=["queue"])
        for queue, n in sorted(self.queue_lengths.items()):
            queued.add_metric([queue], n)
        yield queued


def render(http: HttpMetrics, snapshot: JobSnapshot | None) -> bytes:
    """The Prometheus text exposition of everything."""
    text = generate_latest(http.registry)
    if snapshot is not None:
        extra = CollectorRegistry()
        extra.register(snapshot)
        text += generate_latest(extra)
    return text
