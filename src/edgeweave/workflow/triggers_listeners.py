"""Build the event listeners for a set of DAGs from their ``events``, validated together.

Every problem of every DAG's event triggers is collected and reported in one
ParameterError ("3 problems in event triggers: ..."), as DAG validation does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType

from edgeweave.errors import ParameterError
from edgeweave.workflow.dag import DAG, EventTrigger
from edgeweave.workflow.triggers import EventRoute, TriggerSink
from edgeweave.workflow.triggers_events import MqttListener, WebhookListener
from edgeweave.workflow.triggers_files import FileWatcher

EVENT_KINDS = ("webhook", "mqtt", "file")


def mqtt_filter_problem(topic_filter: str) -> str | None:
    """Why ``topic_filter`` is not a valid MQTT subscription (None when it is)."""
    if not topic_filter:
        return "an MQTT topic filter must not be empty"
    if "\0" in topic_filter or len(topic_filter.encode("utf-8")) > 65535:
        return "an MQTT topic filter must be UTF-8 text without NUL, at most 65535 bytes"
    levels = topic_filter.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            return "'#' must be a whole level and the last one (e.g. 'cameras/#')"
        if "+" in level and level != "+":
            return "'+' must be a whole level (e.g. 'cameras/+/motion')"
    return None


def webhook_path_problem(path: str) -> str | None:
    """Why ``path`` cannot be a webhook path (None when it can)."""
    if not path.startswith("/"):
        return f"a webhook path must start with '/', e.g. '/{path.lstrip('/') or 'hooks/my-dag'}'"
    if any(c.isspace() or c in "?#" for c in path):
        return "a webhook path must not contain whitespace, '?' or '#'"
    return None


def _trigger_problem(trigger: EventTrigger) -> str | None:
    if trigger.kind not in EVENT_KINDS:
        return f"unknown event kind {trigger.kind!r}; expected one of {', '.join(EVENT_KINDS)}"
    if not isinstance(trigger.target, str):
        return f"{trigger.kind} target must be a string, got {type(trigger.target).__name__}"
    if not isinstance(trigger.params, dict):
        return f"params must be a mapping, got {type(trigger.params).__name__}"
    if trigger.kind == "webhook":
        return webhook_path_problem(trigger.target)
    if trigger.kind == "mqtt":
        return mqtt_filter_problem(trigger.target)
    return None if trigger.target.strip() else "a file trigger needs a glob, e.g. 'inbox/*.jpg'"


def event_problems(dag: DAG) -> list[str]:
    """Problems of one DAG's event triggers (cross-DAG duplicates are checked by
    ``event_routes``)."""
    return [f"DAG {dag.dag_id!r}: event {i + 1} ({t.kind} {t.target!r}): {problem}"
            for i, t in enumerate(dag.events) if (problem := _trigger_problem(t))]


@dataclass
class EventRoutes:
    """Where events go: webhook path -> one route; MQTT filter / file glob -> routes."""

    webhooks: dict[str, EventRoute] = field(default_factory=dict)
    mqtt: dict[str, list[EventRoute]] = field(default_factory=dict)
    files: dict[str, list[EventRoute]] = field(default_factory=dict)


def event_routes(dags: Mapping[str, DAG]) -> EventRoutes:
    """All DAGs' event triggers as routes; ParameterError listing every problem.

    A webhook path belongs to one DAG (a POST starts one run); an MQTT topic or a glob may
    start several DAGs.
    """
    routes, problems = EventRoutes(), []
    owners: dict[str, str] = {}
    for dag in dags.values():
        problems.extend(event_problems(dag))
        for trigger in dag.events:
            if _trigger_problem(trigger):
                continue
            route = EventRoute(dag.dag_id, dict(trigger.params))
            if trigger.kind == "webhook":
                if trigger.target in owners:
                    problems.append(f"webhook path {trigger.target!r} is used by DAG "
                                    f"{owners[trigger.target]!r} and DAG {dag.dag_id!r}")
                    continue
                owners[trigger.target] = dag.dag_id
                routes.webhooks[trigger.target] = route
            else:
                table = routes.mqtt if trigger.kind == "mqtt" else routes.files
                table.setdefault(trigger.target, []).append(route)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ParameterError(f"{count} in event triggers:\n  " + "\n  ".join(problems),
                             "fix the DAGs' events: webhook paths start with '/' and are "
                             "unique, MQTT filters use '+'/'#' as whole levels")
    return routes


@dataclass
class EventListeners:
    """The listeners built for a set of DAGs; ``start``/``stop`` all (or use ``with``)."""

    webhook: WebhookListener | None = None
    mqtt: MqttListener | None = None
    files: FileWatcher | None = None

    def _all(self) -> list[WebhookListener | MqttListener | FileWatcher]:
        return [x for x in (self.webhook, self.mqtt, self.files) if x is not None]

    def start(self) -> None:
        """Start every listener; if one fails, stop those already started and re-raise."""
        started = []
        try:
            for listener in self._all():
                listener.start()
                started.append(listener)
        except BaseException:
            for listener in reversed(started):
                listener.stop()
            raise

    def stop(self) -> None:
        for listener in reversed(self._all()):
            listener.stop()

    def __enter__(self) -> EventListeners:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def listeners_for(dags: Mapping[str, DAG], sink: TriggerSink, *, webhook_host: str = "127.0.0.1",
                  webhook_port: int = 0, mqtt_host: str = "127.0.0.1", mqtt_port: int = 1883,
                  mqtt_client_id: str | None = None, file_interval: float = 1.0) -> EventListeners:
    """Listeners (not started) for the DAGs' events; only the kinds some DAG uses are built."""
    routes = event_routes(dags)
    return EventListeners(
        webhook=WebhookListener(routes.webhooks, sink, webhook_host, webhook_port)
        if routes.webhooks else None,
        mqtt=MqttListener(dict(routes.mqtt), sink, mqtt_host, mqtt_port, mqtt_client_id)
        if routes.mqtt else None,
        files=FileWatcher(dict(routes.files), sink, interval=file_interval) if routes.files else None,
    )
