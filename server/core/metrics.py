"""Prometheus series of this process (``GET /metrics``, server/http/health.py).

One registry per process, kept here rather than on the container: the hooks that feed it sit at
boundaries (the event dispatcher, the message writer, the fan-out, the rate limiter, the database
and Redis clients, the periodic sweepers) that are built in different places, and a process
serves one app. Label values are bounded: event names come from the event table (anything else
is ``unknown``), outcomes are error codes, budgets and sweepers are declared in code.
"""

from __future__ import annotations

import functools
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Container
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pymongo import monitoring
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.core import logs

REGISTRY = CollectorRegistry(auto_describe=True)
_events_log = logging.getLogger("circles.events")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)

SOCKETS = Gauge("circles_sockets_connected", "Socket.IO connections open", registry=REGISTRY)
EVENTS = Counter(
    "circles_socketio_events",
    "Socket.IO events received, by name and outcome (ok or the error code)",
    ["event", "outcome"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "circles_socketio_ack_seconds",
    "Time from an event's arrival to its ack",
    ["event"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
WRITER_BATCH = Histogram(
    "circles_writer_batch_size",
    "Messages per batch of the message writer",
    buckets=BATCH_BUCKETS,
    registry=REGISTRY,
)
WRITER_SECONDS = Histogram(
    "circles_writer_batch_seconds",
    "Time the message writer spent on one batch",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
FANOUT = Counter(
    "circles_fanout_deliveries",
    "Events handed to this process's sockets, by event name",
    ["event"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "circles_rate_limit_refusals",
    "Requests and events refused by a per-user budget",
    ["budget"],
    registry=REGISTRY,
)
DB_ERRORS = Counter(
    "circles_db_errors",
    "Database failures that were answered as unavailable",
    ["kind"],
    registry=REGISTRY,
)
DB_SECONDS = Histogram(
    "circles_db_command_seconds",
    "Database command latency, by command and outcome",
    ["command", "outcome"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
REDIS_ERRORS = Counter(
    "circles_redis_errors",
    "Redis commands that failed (connection or timeout)",
    ["command"],
    registry=REGISTRY,
)
REDIS_SECONDS = Histogram(
    "circles_redis_command_seconds",
    "Redis command latency, by command",
    ["command"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


@functools.cache
def labelled(metric: Any, *values: str) -> Any:
    """``metric.labels(*values)``, kept: prometheus_client checks the values and takes a lock on
    every ``labels`` call, and the hot paths (every event, Redis command, database command and
    fan-out) would pay it each time. Label values are bounded (see above), so this cache is."""
    return metric.labels(*values)


REPORT_HISTORY_READS = Counter(
    "circles_report_history_reads",
    "Whole histories of a poster in a circle read by the report rollups, to tell whether a "
    "newcomer's message is their first (reports/rollups_days.py)",
    registry=REGISTRY,
)


class _SweeperLag(Collector):
    """Seconds since each periodic task's last completed pass, computed when scraped (a stuck
    sweeper's lag keeps growing although nothing updates it)."""

    def __init__(self) -> None:
        self.done: dict[str, float] = {}

    def collect(self) -> Any:
        family = GaugeMetricFamily(
            "circles_sweeper_lag_seconds",
            "Seconds since the sweeper's last completed pass",
            labels=["sweeper"],
        )
        now = time.monotonic()
        for name, at in sorted(self.done.items()):
            family.add_metric([name], now - at)
        yield family


_LAG = _SweeperLag()
REGISTRY.register(_LAG)


def sweep_started(name: str) -> None:
    """A sweeper that never completed a pass lags from its start."""
    _LAG.done.setdefault(name, time.monotonic())


def sweep_done(name: str) -> None:
    _LAG.done[name] = time.monotonic()


GC_SECONDS = Histogram(
    "circles_gc_pause_seconds",
    "How long each garbage collection held the process (nothing else runs meanwhile), by "
    "generation",
    ["generation"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
GC_FROZEN = Gauge(
    "circles_gc_frozen_objects",
    "Objects frozen after start-up (gc.freeze): full collections do not walk them",
    registry=REGISTRY,
)
GC_FROZEN.set_function(lambda: float(gc.get_freeze_count()))
GC_LOGGED = 0.05  # a collection this long is also logged: every socket waited for it
_gc_log = logging.getLogger("circles.gc")
_gc_started: list[float] = []


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_started[:] = [time.perf_counter()]
        return
    if not _gc_started:
        return
    took = time.perf_counter() - _gc_started.pop()
    labelled(GC_SECONDS, str(info.get("generation"))).observe(took)
    if took >= GC_LOGGED:
        _gc_log.info(
            "gc pause",
            extra={
                logs.FIELDS: {
                    "generation": info.get("generation"),
                    "ms": round(took * 1000, 1),
                    "collected": info.get("collected"),
                    "objects": len(gc.get_objects(info.get("generation", 2))),
                }
            },
        )


def observe_gc() -> None:
    """Time every collection (idempotent: a process serves one app)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def count_sockets(current: Callable[[], int]) -> None:
    SOCKETS.set_function(lambda: float(current()))


def render() -> bytes:
    return generate_latest(REGISTRY)


class CommandTimer(monitoring.CommandListener):
    """Database command latency, from PyMongo's own command monitoring."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        labelled(DB_SECONDS, event.command_name, "ok").observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        labelled(DB_SECONDS, event.command_name, "failed").observe(event.duration_micros / 1e6)


class TimedRedis(Redis):
    """The Redis client, timing every command (scripts included: they run as EVALSHA)."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        name = str(args[0]).lower() if args else "?"
        started = time.perf_counter()
        try:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except Exception as exc:
            if isinstance(exc, RedisConnectionError | RedisTimeoutError):
                labelled(REDIS_ERRORS, name).inc()
            raise
        finally:
            labelled(REDIS_SECONDS, name).observe(time.perf_counter() - started)


EventHandler = Callable[..., Awaitable[dict[str, Any]]]


def observe_events(
    handler: EventHandler, known: Container[str], user_of: Callable[[str], str | None]
) -> EventHandler:
    """The Socket.IO dispatcher, counted, timed and logged: one ``event`` line per event, with
    the socket and its user bound to every line the handler writes. Wrapped at the dispatcher
    so no handler carries instrumentation of its own."""

    async def observed(event: Any, sid: str, *args: Any) -> dict[str, Any]:
        name = event if isinstance(event, str) and event in known else "unknown"
        logs.bind(sid=sid, user_id=user_of(sid))
        started = time.perf_counter()
        outcome = "internal"
        try:
            result = await handler(event, sid, *args)
            error = result.get("error") if isinstance(result, dict) else None
            outcome = "ok" if not error else str(error.get("code", "internal"))
            return result
        finally:
            took = time.perf_counter() - started
            labelled(EVENTS, name, outcome).inc()
            labelled(ACK_SECONDS, name).observe(took)
            _events_log.info(
                "event",
                extra={
                    logs.FIELDS: {"event": name, "outcome": outcome, "ms": round(took * 1000, 1)}
                },
            )

    return observed
