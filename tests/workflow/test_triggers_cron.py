"""Cron triggers: validation, fire times across DST, catch-up and the ticker."""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from edgeweave.errors import ParameterError
from edgeweave.workflow.dag import DAG, TaskSpec
from edgeweave.workflow.triggers import TriggerEvent
from edgeweave.workflow.triggers_cron import (
    CronTicker,
    due_runs,
    iter_fires,
    next_fire,
    prev_fire,
    validate_schedule,
)

UTC = timezone.utc
BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_dag(dag_id: str = "nightly", **kwargs) -> DAG:
    return DAG(dag_id=dag_id, tasks={"t": TaskSpec("t", callable_ref="os:getcwd")}, **kwargs)


def fires(expr: str, tz: str, after: datetime, until: datetime) -> list[datetime]:
    return list(itertools.takewhile(lambda t: t <= until, iter_fires(expr, tz, after)))


class Sink:
    """Records events; answers run ids, None (refuse) or raises, as told."""

    def __init__(self, answer: object = "ok") -> None:
        self.events: list[TriggerEvent] = []
        self.answer = answer

    def __call__(self, event: TriggerEvent) -> str | None:
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return None if self.answer is None else f"run-{len(self.events)}"


# --- validation ------------------------------------------------------------------------

@pytest.mark.parametrize("expr", ["30 2 * * *", "*/15 * * * *", "0 0 * * MON-FRI", "@daily",
                                  " 0  9 1 * * "])
def test_validate_schedule_accepts_cron(expr: str) -> None:
    validate_schedule(expr, "Europe/Berlin", dag_id="d")


@pytest.mark.parametrize(("expr", "tz", "expected"), [
    ("* * * *", "UTC", "has 4 fields, expected 5"),
    ("0 0 * * * *", "UTC", "has 6 fields, expected 5"),
    ("61 * * * *", "UTC", "not a valid cron expression"),
    ("0 0 30 2 *", "UTC", "not a valid cron expression"),
    ("every day", "UTC", "has 2 fields"),
    ("", "UTC", "must be a cron expression"),
    ("0 * * * *", "Mars/Olympus", "timezone 'Mars/Olympus' is not a known time zone"),
    ("0 * * * *", "../etc/passwd", "is not a known time zone"),
])
def test_validate_schedule_names_dag_field_and_example(expr: str, tz: str, expected: str) -> None:
    with pytest.raises(ParameterError) as info:
        validate_schedule(expr, tz, dag_id="nightly")
    assert info.value.message.startswith("DAG 'nightly': ")
    assert expected in info.value.message
    assert "e.g." in info.value.hint


# --- fire times --------------------------------------------------------------------------

def test_next_fire_is_aware_utc_and_strictly_after() -> None:
    assert next_fire("0 * * * *", "UTC", utc(2024, 1, 1, 10)) == utc(2024, 1, 1, 11)
    assert next_fire("0 * * * *", "UTC", utc(2024, 1, 1, 10, 0, 1)) == utc(2024, 1, 1, 11)
    assert next_fire("30 2 * * *", BERLIN, utc(2024, 1, 1)).tzinfo is UTC
    assert next_fire("30 2 * * *", BERLIN, utc(2024, 1, 1)) == utc(2024, 1, 1, 1, 30)  # CET
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire("0 * * * *", "UTC", datetime(2024, 1, 1))


def test_spring_forward_daily_slot_fires_once_at_end_of_gap() -> None:
    # 2024-03-31 02:30 does not exist in Berlin: it fires at 03:00 CEST (01:00 UTC)
    got = fires("30 2 * * *", BERLIN, utc(2024, 3, 29, 12), utc(2024, 4, 1, 12))
    assert got == [utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1), utc(2024, 4, 1, 0, 30)]


def test_spring_forward_slots_in_the_gap_collapse_into_one() -> None:
    got = fires("*/15 * * * *", BERLIN, utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 1, 30))
    assert got == [utc(2024, 3, 31, 0, 45), utc(2024, 3, 31, 1), utc(2024, 3, 31, 1, 15),
                   utc(2024, 3, 31, 1, 30)]


def test_spring_forward_in_new_york() -> None:
    assert next_fire("30 2 * * *", "America/New_York", utc(2024, 3, 10)) == utc(2024, 3, 10, 7)


def test_fall_back_hourly_fires_once_per_real_hour() -> None:
    day = fires("0 * * * *", BERLIN, utc(2024, 10, 26, 21, 59), utc(2024, 10, 27, 22, 59))
    assert len(day) == 25  # the local day 2024-10-27 has 25 hours
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(day))
    local = [t.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M%z") for t in day[1:5]]
    assert local == ["01:00+0200", "02:00+0200", "02:00+0100", "03:00+0100"]


def test_fall_back_daily_fires_only_at_first_occurrence() -> None:
    got = fires("30 2 * * *", BERLIN, utc(2024, 10, 26, 12), utc(2024, 10, 28, 12))
    assert got == [utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)]


def test_fall_back_next_fire_from_inside_first_occurrence() -> None:
    # 02:50 CEST -> the next 20-minute slot is 02:00 CET, an hour "earlier" on the wall
    assert next_fire("*/20 * * * *", BERLIN, utc(2024, 10, 27, 0, 50)) == utc(2024, 10, 27, 1)
    assert next_fire("*/20 * * * *", BERLIN, utc(2024, 10, 27, 1, 50)) == utc(2024, 10, 27, 2)


@pytest.mark.parametrize("expr", ["0 * * * *", "30 2 * * *", "*/20 * * * *", "15 1-3 * * *"])
@pytest.mark.parametrize("start", [utc(2024, 3, 30, 12), utc(2024, 10, 26, 12)])
def test_prev_fire_agrees_with_forward_enumeration_across_dst(expr: str, start: datetime) -> None:
    all_fires = fires(expr, BERLIN, start - timedelta(days=2), start + timedelta(days=2))
    assert all_fires == sorted(set(all_fires))  # strictly increasing
    for minutes in range(0, 36 * 60, 7):
        at = start + timedelta(minutes=minutes)
        assert prev_fire(expr, BERLIN, at) == max(t for t in all_fires if t <= at)


# --- due runs ------------------------------------------------------------------------------

def test_due_runs_without_catchup_fires_only_the_latest_missed_slot() -> None:
    dag = make_dag(schedule="0 * * * *")
    assert due_runs(dag, utc(2024, 1, 1, 0), utc(2024, 1, 1, 5, 30)) == [utc(2024, 1, 1, 5)]
    assert due_runs(dag, utc(2024, 1, 1, 5), utc(2024, 1, 1, 5, 30)) == []
    assert due_runs(dag, utc(2024, 1, 1, 5), utc(2024, 1, 1, 6)) == [utc(2024, 1, 1, 6)]


def test_due_runs_with_catchup_fires_every_slot_in_order_capped() -> None:
    dag = make_dag(schedule="0 * * * *", catchup=True)
    assert due_runs(dag, utc(2024, 1, 1, 0), utc(2024, 1, 1, 3, 30)) == [
        utc(2024, 1, 1, 1), utc(2024, 1, 1, 2), utc(2024, 1, 1, 3)]
    capped = due_runs(dag, utc(2024, 1, 1), utc(2024, 3, 1), limit=10)
    assert capped == [utc(2024, 1, 1, h) for h in range(1, 11)]


@pytest.mark.parametrize(("schedule", "last"), [(None, utc(2024, 1, 1)), ("0 * * * *", None),
                                                ("0 * * * *", utc(2024, 1, 2))])
def test_due_runs_nothing_without_schedule_history_or_when_ahead(schedule, last) -> None:
    assert due_runs(make_dag(schedule=schedule), last, utc(2024, 1, 1, 12)) == []


def test_due_runs_across_spring_forward_in_local_zone() -> None:
    dag = make_dag(schedule="30 2 * * *", timezone=BERLIN, catchup=True)
    assert due_runs(dag, utc(2024, 3, 29), utc(2024, 4, 1, 12)) == [
        utc(2024, 3, 29, 1, 30), utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1), utc(2024, 4, 1, 0, 30)]


# --- ticker -------------------------------------------------------------------------------

def test_ticker_anchors_new_dag_then_fires_each_slot_once() -> None:
    sink, last = Sink(), {}
    ticker = CronTicker({"nightly": make_dag(schedule="0 * * * *")}, sink, last_fired=last)
    assert ticker.tick(utc(2024, 1, 1, 10, 7)) == []
    assert last == {"nightly": utc(2024, 1, 1, 10, 7)}
    assert ticker.tick(utc(2024, 1, 1, 10, 59)) == []
    [result] = ticker.tick(utc(2024, 1, 1, 11, 0, 2))
    assert (result.outcome, result.run_id, result.logical_date) == ("fired", "run-1", utc(2024, 1, 1, 11))
    assert ticker.tick(utc(2024, 1, 1, 11, 0, 3)) == []
    [event] = sink.events
    assert (event.dag_id, event.params, event.source) == ("nightly", {}, "cron")
    assert event.logical_date == utc(2024, 1, 1, 11)
    assert last["nightly"] == utc(2024, 1, 1, 11)


def test_ticker_seeded_catchup_fires_in_order_and_skips_unscheduled_and_paused() -> None:
    dags = {"a": make_dag("a", schedule="0 * * * *", catchup=True),
            "b": make_dag("b", schedule="0 * * * *"),
            "manual": make_dag("manual"),
            "paused": make_dag("paused", schedule="* * * * *")}
    sink = Sink()
    seed = {d: utc(2024, 1, 1) for d in ("a", "b", "paused")}
    ticker = CronTicker(dags, sink, last_fired=seed, is_paused=lambda d: d == "paused",
                        clock=lambda: utc(2024, 1, 1, 3, 30))
    ticker.tick()
    assert [(e.dag_id, e.logical_date.hour) for e in sink.events] == [
        ("a", 1), ("a", 2), ("a", 3), ("b", 3)]
    assert seed == {"a": utc(2024, 1, 1, 3), "b": utc(2024, 1, 1, 3), "paused": utc(2024, 1, 1)}
    assert ticker.next_wakeup() == utc(2024, 1, 1, 3, 31)  # paused DAGs still count for wake-up


def test_ticker_defers_at_max_active_runs_and_fires_later(caplog) -> None:
    active = {"n": 1}
    sink = Sink()
    dag = make_dag("n", schedule="0 * * * *", catchup=True, max_active_runs=1)
    ticker = CronTicker({"n": dag}, sink, last_fired={"n": utc(2024, 1, 1)},
                        active_runs=lambda dag_id: active[dag_id])
    with caplog.at_level(logging.WARNING, "edgeweave.triggers"):
        [r1] = ticker.tick(utc(2024, 1, 1, 1, 0, 1))
        [r2] = ticker.tick(utc(2024, 1, 1, 1, 0, 2))
    assert (r1.outcome, r2.outcome) == ("deferred", "deferred")
    assert "1 of max_active_runs=1" in r1.message
    assert sum("deferred" in m for m in caplog.messages) == 1  # logged once, not every tick
    assert sink.events == [] and ticker.last_fired["n"] == utc(2024, 1, 1)
    active["n"] = 0
    [r3] = ticker.tick(utc(2024, 1, 1, 1, 30))
    assert (r3.outcome, r3.logical_date) == ("fired", utc(2024, 1, 1, 1))


def test_ticker_without_catchup_reports_a_superseded_deferred_slot(caplog) -> None:
    active = [1]
    dag = make_dag("n", schedule="0 * * * *", max_active_runs=1)
    ticker = CronTicker({"n": dag}, Sink(), last_fired={"n": utc(2024, 1, 1)},
                        active_runs=lambda _: active[0])
    ticker.tick(utc(2024, 1, 1, 1, 1))
    active[0] = 0
    with caplog.at_level(logging.WARNING, "edgeweave.triggers"):
        results = ticker.tick(utc(2024, 1, 1, 2, 1))
    assert [(r.outcome, r.logical_date.hour) for r in results] == [("skipped", 1), ("fired", 2)]
    assert any("skipped, superseded" in m for m in caplog.messages)


def test_ticker_sink_outcomes_refused_rejected_and_crash() -> None:
    dags = {d: make_dag(d, schedule="0 * * * *") for d in ("refused", "bad_params", "crash", "ok")}
    sinks = {"refused": Sink(None), "bad_params": Sink(ParameterError("param 'x' is required")),
             "crash": Sink(RuntimeError("db down")), "ok": Sink()}
    last = dict.fromkeys(dags, utc(2024, 1, 1))
    ticker = CronTicker(dags, lambda e: sinks[e.dag_id](e), last_fired=last)
    results = {r.dag_id: r for r in ticker.tick(utc(2024, 1, 1, 1, 0, 1))}
    assert {d: r.outcome for d, r in results.items()} == {
        "refused": "deferred", "bad_params": "rejected", "crash": "deferred", "ok": "fired"}
    assert "param 'x' is required" in results["bad_params"].message
    assert last["bad_params"] == last["ok"] == utc(2024, 1, 1, 1)  # rejected: not retried
    assert last["refused"] == last["crash"] == utc(2024, 1, 1)  # retried next tick


def test_ticker_skips_dag_with_bad_schedule_and_schedules_others(caplog) -> None:
    dags = {"bad": make_dag("bad", schedule="61 * * * *"),
            "bad_tz": make_dag("bad_tz", schedule="0 * * * *", timezone="Nowhere/City"),
            "good": make_dag("good", schedule="0 * * * *")}
    sink = Sink()
    with caplog.at_level(logging.ERROR, "edgeweave.triggers"):
        ticker = CronTicker(dags, sink, last_fired=dict.fromkeys(dags, utc(2024, 1, 1)))
    assert sorted(ticker.dags) == ["good"]
    assert any("'bad'" in m for m in caplog.messages) and any("Nowhere/City" in m for m in caplog.messages)
    ticker.tick(utc(2024, 1, 1, 1))
    assert [e.dag_id for e in sink.events] == ["good"]


def _reference_fires(expr: str, tz_name: str, start: datetime, end: datetime) -> list[datetime]:
    """Brute force, minute by minute over real time, straight from the documented rules."""
    from croniter import croniter

    tz, both = ZoneInfo(tz_name), expr.split()[1].startswith("*")
    out, minute = set(), timedelta(minutes=1)
    instant = start
    while instant <= end:
        local, before = instant.astimezone(tz), (instant - minute).astimezone(tz)
        wall = local.replace(tzinfo=None)
        repeated = wall.replace(tzinfo=tz, fold=1 - local.fold).utcoffset() != local.utcoffset()
        if croniter.match(expr, wall) and (both or not (repeated and local.fold == 1)):
            out.add(instant)
        skipped = before.replace(tzinfo=None) + minute
        while skipped < wall:  # wall times jumped over (spring forward) fire at the jump
            if croniter.match(expr, skipped):
                out.add(instant)
            skipped += minute
        instant += minute
    return sorted(out)


TRANSITIONS = {  # (spring forward, fall back) in 2024, UTC
    "Europe/Berlin": (utc(2024, 3, 31, 1), utc(2024, 10, 27, 1)),
    "America/New_York": (utc(2024, 3, 10, 7), utc(2024, 11, 3, 6)),
    "Australia/Lord_Howe": (utc(2024, 10, 5, 15, 30), utc(2024, 4, 6, 15)),  # 30-minute shifts
}


@pytest.mark.parametrize("tz", sorted(TRANSITIONS))
@pytest.mark.parametrize("expr", ["0 * * * *", "30 2 * * *", "*/20 * * * *", "15 1-3 * * *",
                                  "* 2 * * *"])
def test_fire_times_match_brute_force_reference_on_dst_days(tz: str, expr: str) -> None:
    for transition in TRANSITIONS[tz]:
        start, end = transition - timedelta(hours=4), transition + timedelta(hours=4)
        assert fires(expr, tz, start - timedelta(minutes=1), end) == _reference_fires(expr, tz, start, end)
