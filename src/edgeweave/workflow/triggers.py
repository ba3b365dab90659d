"""Trigger core: what a trigger hands the scheduler, and how it hands it over safely.

Every trigger (cron, webhook, MQTT, file) turns something that happened into a
``TriggerEvent`` and passes it to a ``TriggerSink``: the scheduler's trigger function,
which validates params and returns a run id (or None when it refuses, e.g. the DAG is at
``max_active_runs``). Listeners run in background threads, so ``deliver`` turns every
outcome of a sink call, exceptions included, into a value: a bad payload must never stop
a listener.

Modules: ``triggers_cron`` (schedules, DST, catch-up, ``CronTicker``), ``triggers_events``
(webhook and MQTT listeners, ``listeners_for``), ``triggers_files`` (polling file watcher).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from edgeweave.errors import EdgeWeaveError, ParameterError, first_line

log = logging.getLogger("edgeweave.triggers")


class TriggerConnectionError(EdgeWeaveError):
    """An event source (e.g. the MQTT broker) cannot be reached when a listener starts."""


@dataclass(frozen=True)
class TriggerEvent:
    """One request to start a run of ``dag_id``.

    ``source`` says who asked ("cron", "webhook:/path", "mqtt:topic", "file:glob");
    ``logical_date`` is the cron slot (aware, UTC) for scheduled runs, None for events;
    ``metadata`` describes the event (topic, path, qos, ...) for the run's record.
    """

    dag_id: str
    params: dict[str, Any]
    source: str
    logical_date: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


TriggerSink = Callable[[TriggerEvent], "str | None"]
"""The scheduler's trigger function: a run id, or None when it refuses (max_active_runs).
It validates params and may raise ``ParameterError``."""


@dataclass(frozen=True)
class EventRoute:
    """Where an event goes: a DAG plus static params from its ``EventTrigger``.

    Event params (payload, body) override the static ones key by key.
    """

    dag_id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def event(self, params: Mapping[str, Any], source: str, **metadata: Any) -> TriggerEvent:
        return TriggerEvent(self.dag_id, {**self.params, **params}, source, None, dict(metadata))


def as_route(value: str | EventRoute) -> EventRoute:
    """A bare dag id is a route without static params."""
    return value if isinstance(value, EventRoute) else EventRoute(value)


def as_routes(value: str | EventRoute | Sequence[str | EventRoute]) -> tuple[EventRoute, ...]:
    """One or several routes (an MQTT topic may start several DAGs)."""
    if isinstance(value, (str, EventRoute)):
        return (as_route(value),)
    return tuple(as_route(v) for v in value)


Outcome = Literal["fired", "refused", "rejected", "failed"]


@dataclass(frozen=True)
class Delivery:
    """What became of one event: fired (run_id set), refused by the scheduler (None),
    rejected (ParameterError: bad params, permanent) or failed (any other error)."""

    outcome: Outcome
    run_id: str | None = None
    error: EdgeWeaveError | None = None
    message: str = ""


def deliver(sink: TriggerSink, event: TriggerEvent) -> Delivery:
    """Call ``sink`` and turn every result into a ``Delivery``; log what did not fire.

    Never raises (bar KeyboardInterrupt/SystemExit): listener threads must survive bad input.
    """
    where = f"{event.source} -> DAG {event.dag_id!r}"
    try:
        run_id = sink(event)
    except ParameterError as exc:
        log.warning("trigger %s rejected: %s", where, first_line(exc))
        return Delivery("rejected", error=exc, message=exc.message)
    except EdgeWeaveError as exc:
        log.error("trigger %s failed: %s", where, first_line(exc))
        return Delivery("failed", error=exc, message=exc.message)
    except Exception as exc:  # a sink bug must not kill a listener thread
        log.exception("trigger %s failed", where)
        return Delivery("failed", message=f"internal error: {first_line(exc)}")
    if run_id is None:
        log.warning("trigger %s refused by the scheduler (max_active_runs reached?)", where)
        return Delivery("refused", message=f"DAG {event.dag_id!r} refused the run "
                                           "(max_active_runs reached); try again later")
    log.info("trigger %s started run %s", where, run_id)
    return Delivery("fired", run_id=run_id)
