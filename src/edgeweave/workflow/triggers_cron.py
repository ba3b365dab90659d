"""Cron schedules in a DAG's time zone: validation, fire times across DST, catch-up, ticking.

croniter enumerates *wall-clock* times (naive, in the DAG's zone); this module maps them to
real instants itself, so the DST rules are ours, explicit and tested:

* **Spring forward** (a wall time that does not exist, e.g. "30 2 * * *" in Europe/Berlin
  on the last Sunday of March): the slot fires once, at the first instant after the gap
  (03:00 CEST). Several slots in the gap collapse into that one run, so "*/15 * * * *"
  does not fire four times at 03:00. Nothing is lost, nothing doubles (croniter and Vixie
  cron do the same).
* **Fall back** (a wall time that happens twice): when the hour field is a wildcard ("*",
  "*/n") the slot fires in both occurrences, so "0 * * * *" fires once per real hour,
  25 times that day. With fixed hours ("30 2 * * *") it fires only at the first
  occurrence: a daily job runs once a day. (croniter alone would run it twice.)

A slot's logical date is its fire instant, in UTC. Catch-up is off by default: after a
gap (scheduler down, DAG paused) only the most recent missed slot fires. With
``catchup=True`` every missed slot fires, oldest first, at most ``MAX_CATCHUP_RUNS`` per
tick; the next tick continues where that one stopped, so a backlog drains without one tick
flooding the scheduler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from edgeweave.errors import ParameterError, first_line
from edgeweave.workflow.dag import DAG
from edgeweave.workflow.triggers import TriggerEvent, TriggerSink, deliver

log = logging.getLogger("edgeweave.triggers.cron")

UTC = timezone.utc
MAX_CATCHUP_RUNS = 100
ALIASES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
           "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
           "@annually": "0 0 1 1 *"}
_LOOKBACK = timedelta(hours=3)
"""How far before ``after`` (in wall time) enumeration starts, to see the second
occurrence of a repeated hour and DST shifts (all current ones are <= 1 h)."""
_CRON_HINT = ("use 5 fields: minute hour day-of-month month day-of-week, e.g. '30 2 * * *' "
              "(daily at 02:30) or '*/15 * * * *' (every 15 minutes); aliases: "
              + ", ".join(ALIASES))


def _where(dag_id: str | None) -> str:
    return f"DAG {dag_id!r}: " if dag_id else ""


def _expand(expr: str) -> str:
    expr = " ".join(expr.split())
    return ALIASES.get(expr.lower(), expr)


def zone(name: str | tzinfo, dag_id: str | None = None) -> tzinfo:
    """The tzinfo for an IANA name (ParameterError naming the DAG when unknown)."""
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ParameterError(f"{_where(dag_id)}timezone {name!r} is not a known time zone",
                             "use an IANA time zone name, e.g. 'UTC', 'Europe/Berlin' or "
                             "'America/New_York'") from exc


def validate_schedule(expr: str, timezone: str | tzinfo = "UTC", *, dag_id: str | None = None) -> None:
    """Raise ParameterError (naming the DAG and field) unless ``expr`` is a 5-field cron
    expression that fires at some point and ``timezone`` is a known zone."""
    zone(timezone, dag_id)
    if not isinstance(expr, str) or not expr.strip():
        raise ParameterError(f"{_where(dag_id)}schedule must be a cron expression, got {expr!r}",
                             _CRON_HINT)
    cron = _expand(expr)
    fields = cron.split()
    if len(fields) != 5:
        raise ParameterError(f"{_where(dag_id)}schedule {expr!r} has {len(fields)} fields, "
                             "expected 5", _CRON_HINT)
    try:
        croniter(cron, datetime(2000, 1, 1)).get_next(datetime)
    except (CroniterError, ValueError, KeyError) as exc:
        raise ParameterError(f"{_where(dag_id)}schedule {expr!r} is not a valid cron "
                             f"expression: {first_line(exc)}", _CRON_HINT) from exc


def schedule_problems(dag: DAG) -> list[str]:
    """The DAG's schedule/timezone problems as messages (empty when fine or unscheduled)."""
    if dag.schedule is None:
        return []
    try:
        validate_schedule(dag.schedule, dag.timezone, dag_id=dag.dag_id)
    except ParameterError as exc:
        return [str(exc)]
    return []


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value.astimezone(UTC)


def _wall(instant: datetime, tz: tzinfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _transition(lo: datetime, hi: datetime, tz: tzinfo) -> datetime:
    """First instant in (lo, hi] whose UTC offset differs from lo's (binary search, 1 s)."""
    before = lo.astimezone(tz).utcoffset()
    low, high = 0, int((hi - lo).total_seconds())
    while low + 1 < high:
        mid = (low + high) // 2
        if (lo + timedelta(seconds=mid)).astimezone(tz).utcoffset() == before:
            low = mid
        else:
            high = mid
    return lo + timedelta(seconds=high)


def _instants(wall: datetime, tz: tzinfo) -> tuple[datetime, datetime | None]:
    """(first instant, second instant or None) at which wall time ``wall`` occurs.

    A gap's wall time maps to the end of the gap (see the module docstring).
    """
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return first, None
    if first < second:  # repeated hour: fold=0 is the earlier occurrence
        return first, second
    return _transition(second, first, tz), None  # gap: fold=1 maps before, fold=0 after it


def _fires_from_wall(cron: str, tz: tzinfo, start_wall: datetime) -> Iterator[datetime]:
    """Fire instants (UTC, strictly increasing) of slots whose wall time is > start_wall."""
    walls = croniter(cron, start_wall)
    both_folds = cron.split()[1].startswith("*")
    pending: list[datetime] = []  # second occurrences, due after the first ones
    last: datetime | None = None
    while True:
        first, second = _instants(walls.get_next(datetime), tz)
        while pending and pending[0] < first:
            instant = pending.pop(0)
            if last is None or instant > last:
                yield instant
                last = instant
        if last is None or first > last:
            yield first
            last = first
        if second is not None and both_folds:
            pending.append(second)


def _dst_nearby(instant: datetime, tz: tzinfo) -> bool:
    """Whether the UTC offset changes within _LOOKBACK of ``instant`` (then enumeration
    must start earlier; otherwise it can start at ``instant``'s wall time: cheaper)."""
    offsets = {(instant + k * _LOOKBACK).astimezone(tz).utcoffset() for k in (-1, 0, 1)}
    return len(offsets) > 1


def iter_fires(expr: str, tz: str | tzinfo, after: datetime) -> Iterator[datetime]:
    """Every fire instant strictly after ``after``, in order (aware, UTC); endless."""
    after, tz = _aware(after, "after"), zone(tz)
    start = _wall(after, tz) - (_LOOKBACK if _dst_nearby(after, tz) else timedelta(0))
    for instant in _fires_from_wall(_expand(expr), tz, start):
        if instant > after:
            yield instant


def next_fire(expr: str, tz: str | tzinfo, after: datetime) -> datetime:
    """The first fire instant strictly after ``after`` (aware, UTC)."""
    return next(iter_fires(expr, tz, after))


def prev_fire(expr: str, tz: str | tzinfo, at: datetime) -> datetime:
    """The latest fire instant at or before ``at`` (aware, UTC)."""
    at, tz = _aware(at, "at"), zone(tz)
    cron = _expand(expr)
    # the latest matching wall time <= at's; near DST, later walls may map earlier: look back
    cursor = _wall(at, tz).replace(microsecond=0) + timedelta(seconds=1)
    lookback = _LOOKBACK if _dst_nearby(at, tz) else timedelta(minutes=1)
    for _ in range(8):  # one round unless DST shifts the slots around
        cursor = croniter(cron, cursor).get_prev(datetime) - lookback
        best = None
        for instant in _fires_from_wall(cron, tz, cursor):
            if instant > at:
                break
            best = instant
        if best is not None:
            return best
        lookback = _LOOKBACK
    raise ParameterError(f"schedule {expr!r} has no fire time before {at.isoformat()}")


def due_runs(dag: DAG, last_logical_date: datetime | None, now: datetime, *,
             limit: int = MAX_CATCHUP_RUNS) -> list[datetime]:
    """Logical dates (aware, UTC) due in (last_logical_date, now], oldest first.

    catchup off: at most the most recent one; on: all of them, at most ``limit``.
    ``None`` for last means no history: nothing is due (the ticker anchors at ``now``).
    """
    if dag.schedule is None or last_logical_date is None:
        return []
    last, now = _aware(last_logical_date, "last_logical_date"), _aware(now, "now")
    if not dag.catchup:
        latest = prev_fire(dag.schedule, dag.timezone, now)
        return [latest] if latest > last else []
    due: list[datetime] = []
    for instant in iter_fires(dag.schedule, dag.timezone, last):
        if instant > now or len(due) >= limit:
            break
        due.append(instant)
    return due


@dataclass(frozen=True)
class TickResult:
    """One slot's fate in a tick: fired, deferred (max_active_runs or the scheduler
    refused/failed: retried next tick), rejected (bad params: dropped), or skipped
    (a deferred slot superseded by a newer one with catchup off)."""

    dag_id: str
    logical_date: datetime
    outcome: str
    run_id: str | None = None
    message: str = ""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CronTicker:
    """Fires due cron slots of scheduled, un-paused DAGs on each ``tick``.

    ``last_fired`` (dag id -> last logical date) is read and updated in place, so the
    scheduler can seed it from and persist it to its store. A DAG seen for the first time
    is anchored at ``now`` and fires from its next slot on (cron does not run on install).
    A slot is deferred, not lost, while ``active_runs(dag_id) >= max_active_runs``.
    """

    def __init__(self, dags: Mapping[str, DAG], sink: TriggerSink, *,
                 clock: Callable[[], datetime] = _utcnow,
                 last_fired: dict[str, datetime] | None = None,
                 active_runs: Callable[[str], int] | None = None,
                 is_paused: Callable[[str], bool] | None = None,
                 limit: int = MAX_CATCHUP_RUNS) -> None:
        self.sink, self.clock, self.limit = sink, clock, limit
        self.last_fired = last_fired if last_fired is not None else {}
        self.active_runs, self.is_paused = active_runs, is_paused
        self._deferred: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self.dags: dict[str, DAG] = {}
        self.set_dags(dags)

    def set_dags(self, dags: Mapping[str, DAG]) -> None:
        """Replace the DAGs (after a reload); DAGs with a bad schedule are logged, skipped."""
        good: dict[str, DAG] = {}
        for dag_id, dag in dags.items():
            problems = schedule_problems(dag)
            if problems:
                log.error("not scheduling %s", "; ".join(problems))
            elif dag.schedule is not None:
                good[dag_id] = dag
        with self._lock:
            self.dags = good

    def tick(self, now: datetime | None = None) -> list[TickResult]:
        """Fire every due slot now; returns what happened to each slot considered."""
        now = _aware(now or self.clock(), "now")
        results: list[TickResult] = []
        with self._lock:
            for dag in self.dags.values():
                if self.is_paused is not None and self.is_paused(dag.dag_id):
                    continue
                try:
                    results.extend(self._tick_dag(dag, now))
                except Exception:  # one DAG's failure must not stop the others
                    log.exception("cron tick failed for DAG %r", dag.dag_id)
        return results

    def _tick_dag(self, dag: DAG, now: datetime) -> list[TickResult]:
        last = self.last_fired.get(dag.dag_id)
        if last is None:
            self.last_fired[dag.dag_id] = now
            return []
        results: list[TickResult] = []
        slots = due_runs(dag, last, now, limit=self.limit)
        deferred = self._deferred.get(dag.dag_id)
        if deferred is not None and slots and slots[0] != deferred:
            results.append(TickResult(dag.dag_id, deferred, "skipped",
                                      message=f"superseded by {slots[0].isoformat()}"))
            log.warning("DAG %r: deferred slot %s skipped, superseded by %s (catchup off)",
                        dag.dag_id, deferred.isoformat(), slots[0].isoformat())
            del self._deferred[dag.dag_id]
        for slot in slots:
            result = self._fire(dag, slot)
            results.append(result)
            if result.outcome == "deferred":
                break
            self.last_fired[dag.dag_id] = slot
        return results

    def _fire(self, dag: DAG, slot: datetime) -> TickResult:
        active = self.active_runs(dag.dag_id) if self.active_runs is not None else 0
        if active >= dag.max_active_runs:
            return self._defer(dag, slot, f"{active} of max_active_runs={dag.max_active_runs} "
                                          "runs active")
        event = TriggerEvent(dag.dag_id, {}, "cron", slot,
                             {"schedule": dag.schedule, "timezone": dag.timezone})
        delivery = deliver(self.sink, event)
        if delivery.outcome in ("refused", "failed"):
            return self._defer(dag, slot, delivery.message)
        self._deferred.pop(dag.dag_id, None)
        return TickResult(dag.dag_id, slot, delivery.outcome, delivery.run_id, delivery.message)

    def _defer(self, dag: DAG, slot: datetime, why: str) -> TickResult:
        if self._deferred.get(dag.dag_id) != slot:  # log once per slot, not every tick
            log.warning("DAG %r: slot %s deferred: %s; it fires on a later tick",
                        dag.dag_id, slot.isoformat(), why)
        self._deferred[dag.dag_id] = slot
        return TickResult(dag.dag_id, slot, "deferred", message=why)

    def next_wakeup(self, now: datetime | None = None) -> datetime | None:
        """The earliest next slot of any DAG (for the scheduler's sleep), None if none."""
        now = _aware(now or self.clock(), "now")
        with self._lock:
            times = [next_fire(d.schedule, d.timezone, max(now, self.last_fired.get(d.dag_id, now)))
                     for d in self.dags.values() if d.schedule is not None]
        return min(times, default=None)
