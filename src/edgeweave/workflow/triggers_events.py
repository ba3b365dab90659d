"""Event triggers: a webhook (stdlib HTTP server) and MQTT topics (paho-mqtt 2).

The webhook's request handling is the plain function ``handle_webhook`` so the dashboard's
FastAPI app can serve the same routes with the same answers; ``WebhookListener`` is only a
small threaded server around it. Listeners never die on bad input: every sink outcome
becomes a status code (webhook) or a log line naming the topic (MQTT).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edgeweave.errors import http_status
from edgeweave.workflow.triggers import (
    EventRoute,
    TriggerConnectionError,
    TriggerSink,
    as_route,
    as_routes,
    deliver,
)

log = logging.getLogger("edgeweave.triggers.events")

MAX_BODY_BYTES = 1024 * 1024
_STATUS = {"fired": 201, "refused": 409, "rejected": 400}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(data: bytes, what: str) -> dict[str, Any]:
    """``data`` as a JSON object (empty -> {}); ValueError saying what was expected."""
    if not data.strip():
        return {}
    try:
        value = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ValueError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object of params, got {type(value).__name__}")
    return value


def handle_webhook(path: str, body: bytes, routes: Mapping[str, str | EventRoute],
                   sink: TriggerSink, *, max_body: int = MAX_BODY_BYTES) -> tuple[int, dict[str, Any]]:
    """Answer a POST to ``path``: (HTTP status, JSON body). Never raises.

    201 {"run_id"}, 404 unknown path, 413 body over ``max_body``, 400 bad JSON/params,
    409 the scheduler refused (max_active_runs); other errors map via ``errors.http_status``.
    """
    path = urlsplit(path).path
    if path not in routes:
        return 404, {"error": f"no webhook at {path!r}"}  # paths not listed: they may be secrets
    if len(body) > max_body:
        return 413, {"error": f"body of {len(body)} bytes exceeds the {max_body}-byte limit"}
    try:
        params = parse_json_object(body, "request body")
    except ValueError as exc:
        return 400, {"error": str(exc), "hint": 'send a JSON object, e.g. {"folder": "/data"}'}
    route = as_route(routes[path])
    delivery = deliver(sink, route.event(params, f"webhook:{path}", path=path))
    if delivery.outcome == "fired":
        return 201, {"run_id": delivery.run_id, "dag_id": route.dag_id}
    answer = {"error": delivery.message, "dag_id": route.dag_id}
    if delivery.error is not None and delivery.error.hint:
        answer["hint"] = delivery.error.hint
    if delivery.outcome in _STATUS:
        return _STATUS[delivery.outcome], answer
    return (http_status(delivery.error) if delivery.error else 500), answer


class _Handler(BaseHTTPRequestHandler):
    server: _WebhookServer
    timeout = 10  # seconds a slow client may stall a handler thread
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, payload: dict[str, Any] | None, **headers: str) -> None:
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_POST(self) -> None:
        owner = self.server.owner
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send(411, {"error": "send the body with a valid Content-Length header"})
            return
        if length > owner.max_body:  # answer before reading: do not buffer a huge body
            self.close_connection = True
            self._send(413, {"error": f"body of {length} bytes exceeds the "
                                      f"{owner.max_body}-byte limit"})
            return
        body = self.rfile.read(length)
        status, payload = handle_webhook(self.path, body, owner.routes, owner.sink,
                                         max_body=owner.max_body)
        self._send(status, payload)

    def _not_allowed(self) -> None:
        self._send(405, {"error": f"method {self.command} not allowed; use POST"}, Allow="POST")

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("webhook %s: " + format, self.client_address[0], *args)


class _WebhookServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: WebhookListener


class WebhookListener:
    """POST <path> with a JSON object body -> a run of the DAG routed at that path."""

    def __init__(self, routes: Mapping[str, str | EventRoute], sink: TriggerSink,
                 host: str = "127.0.0.1", port: int = 0, *, max_body: int = MAX_BODY_BYTES) -> None:
        self.routes, self.sink, self.host, self.max_body = dict(routes), sink, host, max_body
        self._port = port
        self._server: _WebhookServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the ephemeral one chosen by the OS when constructed with 0)."""
        return self._server.server_address[1] if self._server else self._port

    def start(self) -> None:
        if self._server is not None:
            return
        try:
            server = _WebhookServer((self.host, self._port), _Handler)
        except OSError as exc:
            raise TriggerConnectionError(
                f"cannot listen for webhooks on {self.host}:{self._port}: {exc.strerror or exc}",
                "choose a free port, or stop the process that uses it") from exc
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"webhook-{self.port}", daemon=True)
        self._thread.start()
        log.info("webhook listener on http://%s:%d (%d routes)", self.host, self.port, len(self.routes))

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


def mqtt_params(payload: bytes) -> dict[str, Any]:
    """A message's params: JSON object -> itself, empty -> {}, other text -> {"payload": text}.

    ValueError when the payload is not UTF-8 text.
    """
    if not payload.strip():
        return {}
    try:
        return parse_json_object(payload, "payload")
    except ValueError:
        pass
    try:
        return {"payload": payload.decode("utf-8")}
    except UnicodeDecodeError as exc:
        raise ValueError(f"payload of {len(payload)} bytes is neither JSON nor UTF-8 text") from exc


class MqttListener:
    """Starts runs from MQTT messages; one topic filter may start several DAGs.

    Retained messages are ignored by default: they replay on every (re)subscribe and would
    start a run for an old event each time the listener connects.
    """

    def __init__(self, subscriptions: Mapping[str, str | EventRoute | Sequence[str | EventRoute]],
                 sink: TriggerSink, host: str = "127.0.0.1", port: int = 1883,
                 client_id: str | None = None, *, qos: int = 1, keepalive: int = 30,
                 ignore_retained: bool = True, connect_timeout: float = 5.0) -> None:
        self.subscriptions = {topic: as_routes(value) for topic, value in subscriptions.items()}
        self.sink, self.host, self.port, self.qos = sink, host, port, qos
        self.keepalive, self.ignore_retained = keepalive, ignore_retained
        self.connect_timeout = connect_timeout
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or "")
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self._client.reconnect_delay_set(1, 30)
        self._pending_mids: set[int] = set()
        self._ready = threading.Event()
        self._connect_error = ""
        self._started = False

    @property
    def _where(self) -> str:
        return f"MQTT broker at {self.host}:{self.port}"

    def start(self) -> None:
        """Connect, subscribe and wait for the broker to confirm (TriggerConnectionError)."""
        if self._started:
            return
        self._pending_mids.clear()
        self._connect_error = ""
        try:
            self._client.connect(self.host, self.port, self.keepalive)
        except (OSError, ValueError) as exc:
            raise TriggerConnectionError(
                f"cannot reach the {self._where}: {exc}",
                "start the broker (e.g. `mosquitto -d`) or point the listener at a reachable "
                "host and port") from exc
        self._client.loop_start()
        self._started = True
        if not self._ready.wait(self.connect_timeout) or self._connect_error:
            self.stop()
            raise TriggerConnectionError(
                f"the {self._where} did not accept the connection and subscriptions within "
                f"{self.connect_timeout:g} s{': ' + self._connect_error if self._connect_error else ''}",
                "check the broker's log, credentials and ACLs for these topics")

    def stop(self) -> None:
        if not self._started:
            return
        self._client.disconnect()
        self._client.loop_stop()
        self._started = False
        self._ready.clear()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                    properties: Any) -> None:
        if reason.is_failure:
            self._connect_error = f"connection refused: {reason}"
            log.error("%s refused the connection: %s", self._where, reason)
            self._ready.set()
            return
        if not self.subscriptions:
            self._ready.set()
            return
        # subscribe on every (re)connect: a clean session forgets subscriptions
        result, mid = client.subscribe([(topic, self.qos) for topic in self.subscriptions])
        if result == mqtt.MQTT_ERR_SUCCESS and mid is not None:
            self._pending_mids.add(mid)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[Any],
                      properties: Any) -> None:
        self._pending_mids.discard(mid)
        failed = [topic for topic, r in zip(self.subscriptions, reasons) if r.is_failure]
        if failed:
            self._connect_error = f"subscription refused for {', '.join(failed)}"
            log.error("%s refused subscriptions: %s", self._where, ", ".join(failed))
        if not self._pending_mids:
            self._ready.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                       properties: Any) -> None:
        if self._started and reason.is_failure:
            log.warning("lost the %s (%s); reconnecting", self._where, reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self.handle_message(message.topic, message.payload, retain=bool(message.retain),
                                qos=message.qos)
        except Exception:  # paho re-raises callback errors and stops its loop thread
            log.exception("MQTT message on %r could not be handled", message.topic)

    def handle_message(self, topic: str, payload: bytes, *, retain: bool = False,
                       qos: int = 0) -> list[str]:
        """Deliver one message to every DAG whose filter matches ``topic``; the run ids."""
        if retain and self.ignore_retained:
            log.info("ignoring retained MQTT message on %r", topic)
            return []
        try:
            params = mqtt_params(payload)
        except ValueError as exc:
            log.warning("MQTT message on %r ignored: %s", topic, exc)
            return []
        run_ids: list[str] = []
        seen: set[str] = set()
        for topic_filter, routes in self.subscriptions.items():
            if not mqtt.topic_matches_sub(topic_filter, topic):
                continue
            for route in routes:
                if route.dag_id in seen:  # overlapping filters: one run per DAG per message
                    continue
                seen.add(route.dag_id)
                delivery = deliver(self.sink, route.event(params, f"mqtt:{topic}", topic=topic,
                                                          filter=topic_filter, qos=qos))
                if delivery.run_id is not None:
                    run_ids.append(delivery.run_id)
        return run_ids
