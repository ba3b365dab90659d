"""Wiring for the CLI (and later the server): DAG folders, the store, triggering, the
scheduler with its cron ticker and event listeners — one place, so both fronts agree."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from edgeweave.errors import NotFoundError
from edgeweave.workflow.dag import DAG
from edgeweave.workflow.loader import DagBag, default_dag_folders

log = logging.getLogger(__name__)


DAG_REFRESH_S = 5.0


def examples_folder() -> Path:
    """The DAGs bundled with the package (loaded with the user's folder by default)."""
    import edgeweave.examples

    return Path(edgeweave.examples.__file__).parent / "dags"


def known_operators() -> set[str]:
    import edgeweave.workflow.operators.ai  # noqa: F401  (registers optimize_model, infer)
    from edgeweave.workflow.operators import OPERATORS

    return set(OPERATORS)


def load_dags(folders: list[Path] | None = None, examples: bool = True) -> DagBag:
    """DAGs from ``folders`` (default: $EDGEWEAVE_DAGS or ./dags) plus the bundled examples."""
    chosen = list(folders) if folders else default_dag_folders()
    if examples:
        chosen.append(examples_folder())
    return DagBag.load(chosen, known_operators=known_operators())


def get_dag(bag: DagBag, dag_id: str) -> DAG:
    if dag_id not in bag.dags:
        broken = f"; files that failed to load: {', '.join(bag.import_errors)}" \
            if bag.import_errors else ""
        raise NotFoundError(f"unknown DAG {dag_id!r}",
                            f"known DAGs: {', '.join(sorted(bag.dags)) or 'none'}{broken}")
    return bag.dags[dag_id]


def open_engine(url: str | None = None) -> Engine:
    from edgeweave.store.db import open_store

    return open_store(url)


def trigger(engine: Engine, dag: DAG, params: dict[str, Any], source: str = "manual",
            logical_date: datetime | None = None) -> str:
    """Validate params and store a queued run; a running scheduler picks it up."""
    from edgeweave.store import repository as repo
    from edgeweave.workflow.params import validate_params

    values = validate_params(dag, params)
    repo.sync_dag(engine, dag)
    return repo.create_run(engine, dag, values, source=source, logical_date=logical_date).run_id


def make_scheduler(engine: Engine, bag: DagBag, parallelism: int | None = None):  # type: ignore[no-untyped-def]
    from edgeweave.workflow.executors.local import LocalExecutor
    from edgeweave.workflow.scheduler import Scheduler

    executor = LocalExecutor(parallelism=parallelism) if parallelism else LocalExecutor()
    return Scheduler(engine, bag.dags, executor)


def last_cron_dates(engine: Engine) -> dict[str, datetime]:
    """Per DAG, the logical date of its latest cron run: where the ticker resumes."""
    from edgeweave.store.tables import DagRunRow

    with engine.connect() as conn:
        rows = conn.execute(select(DagRunRow.dag_id, func.max(DagRunRow.logical_date))
                            .where(DagRunRow.trigger_source == "cron")
                            .group_by(DagRunRow.dag_id)).all()
    return {dag_id: when for dag_id, when in rows if when is not None}


@dataclass
class SchedulerService:
    """Scheduler + cron ticker + webhook/MQTT/file listeners, until ``stop`` is set."""

    engine: Engine
    bag: DagBag
    webhook_port: int | None = None
    mqtt_host: str | None = None
    mqtt_port: int = 1883
    dag_refresh_s: float = DAG_REFRESH_S
    """how often to look for changed DAG files (0 = never); cron, webhook, MQTT and file
    triggers follow the reloaded DAGs"""
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        from edgeweave.store import repository as repo
        from edgeweave.workflow.params import validate_params
        from edgeweave.workflow.triggers import TriggerEvent
        from edgeweave.workflow.triggers_cron import CronTicker

        scheduler = make_scheduler(self.engine, self.bag)

        def sink(event: TriggerEvent) -> str | None:
            dag = get_dag(self.bag, event.dag_id)
            return scheduler.trigger(dag.dag_id, validate_params(dag, event.params),
                                     source=event.source.split(":")[0],
                                     logical_date=event.logical_date)

        def active(dag_id: str) -> int:
            return sum(len(repo.list_runs(self.engine, dag_id, state, limit=10_000))
                       for state in ("queued", "running"))

        ticker = CronTicker({k: d for k, d in self.bag.dags.items() if d.schedule}, sink,
                            last_fired=last_cron_dates(self.engine), active_runs=active,
                            is_paused=lambda dag_id: repo.is_paused(self.engine, dag_id))
        events = _EventWiring(self, sink)
        events.rewire()
        ticking = threading.Thread(target=self._tick, args=(ticker, scheduler, events), daemon=True)
        ticking.start()
        try:
            scheduler.run_forever(self.stop)
        finally:
            self.stop.set()
            events.close()
            scheduler.close()

    def _tick(self, ticker, scheduler, events: _EventWiring) -> None:  # type: ignore[no-untyped-def]
        """Every second: fire due cron runs; every ``dag_refresh_s``: pick up DAG files that
        were added, edited or removed (the bag is shared with the API in ``edgeweave serve``)."""
        last_refresh = time.monotonic()
        while not self.stop.wait(1.0):
            try:
                if self.dag_refresh_s and time.monotonic() - last_refresh >= self.dag_refresh_s:
                    last_refresh = time.monotonic()
                    if self.bag.refresh():
                        scheduler.set_dags(self.bag.dags)
                        ticker.set_dags({k: d for k, d in self.bag.dags.items() if d.schedule})
                        events.rewire()
                        log.info("DAG folders changed: %d DAG(s), %d import error(s)",
                                 len(self.bag.dags), len(self.bag.import_errors))
                ticker.tick()
            except Exception:  # a broken tick or reload must not stop the scheduler
                log.exception("cron tick or DAG reload failed")


class _EventWiring:
    """The webhook/MQTT/file listeners for the bag's DAGs, rebuilt when their routes change
    (a reloaded DAG file added, changed or removed an ``events:`` entry). The webhook port
    is kept across rebuilds, so senders need no new address."""

    def __init__(self, service: SchedulerService, sink: Any) -> None:
        self.service, self.sink = service, sink
        self.listeners: Any = None
        self.routes: Any = None
        self.port = service.webhook_port or 0

    def rewire(self) -> None:
        from edgeweave.errors import EdgeWeaveError
        from edgeweave.workflow.triggers_listeners import event_routes, listeners_for

        dags = self.service.bag.dags
        try:
            routes = event_routes(dags)
        except EdgeWeaveError as exc:  # e.g. two DAGs claim one webhook path: keep the old wiring
            log.error("event triggers not rewired: %s", exc.message)
            return
        key = (routes.webhooks, routes.mqtt, routes.files)
        if key == self.routes:
            return
        self.close()
        if any(d.events for d in dags.values()):
            listeners = listeners_for(dags, self.sink, webhook_host="127.0.0.1", webhook_port=self.port,
                                      mqtt_host=self.service.mqtt_host or "127.0.0.1",
                                      mqtt_port=self.service.mqtt_port)
            listeners.start()
            if listeners.webhook is not None:
                self.port = listeners.webhook.port
            self.listeners = listeners
        self.routes = key

    def close(self) -> None:
        if self.listeners is not None:
            self.listeners.stop()
            self.listeners = None
