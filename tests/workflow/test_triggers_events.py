"""Event triggers: webhook (real HTTP on loopback), MQTT (the local broker), files, wiring."""

from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edgeweave.errors import OutputError, ParameterError
from edgeweave.workflow.dag import DAG, EventTrigger, TaskSpec
from edgeweave.workflow.triggers import EventRoute, TriggerConnectionError, TriggerEvent
from edgeweave.workflow.triggers_events import MqttListener, WebhookListener, handle_webhook
from edgeweave.workflow.triggers_files import FileWatcher
from edgeweave.workflow.triggers_listeners import event_routes, listeners_for

BROKER = ("127.0.0.1", 1883)
WAIT_S = 5.0


class Sink:
    """Thread-safe recorder: answers run ids, None (refuse) or raises, per DAG."""

    def __init__(self, **answers: object) -> None:
        self.events: queue.Queue[TriggerEvent] = queue.Queue()
        self.answers = answers
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, event: TriggerEvent) -> str | None:
        self.events.put(event)
        answer = self.answers.get(event.dag_id, "ok")
        if isinstance(answer, Exception):
            raise answer
        if event.params.get("fail") == "params":
            raise ParameterError(f"param 'fail' of DAG {event.dag_id!r} is bad", "drop it")
        if answer is None:
            return None
        with self._lock:
            self.count += 1
            return f"run-{self.count}"

    def next(self, timeout: float = WAIT_S) -> TriggerEvent:
        return self.events.get(timeout=timeout)

    def drain(self) -> list[TriggerEvent]:
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out


def make_dag(dag_id: str, *events: EventTrigger) -> DAG:
    return DAG(dag_id=dag_id, tasks={"t": TaskSpec("t", callable_ref="os:getcwd")}, events=list(events))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- handle_webhook ----------------------------------------------------------------------

ROUTES = {"/hooks/ocr": "ocr", "/hooks/full": "full", "/hooks/bad": "bad", "/hooks/err": "err",
          "/hooks/static": EventRoute("ocr", {"folder": "/in", "lang": "en"})}


@pytest.mark.parametrize(("path", "body", "status", "in_answer"), [
    ("/hooks/ocr", b'{"folder": "/data"}', 201, "run_id"),
    ("/hooks/ocr?x=1", b"{}", 201, "run_id"),
    ("/hooks/ocr", b"", 201, "run_id"),
    ("/nope", b"{}", 404, "no webhook at '/nope'"),
    ("/hooks/ocr", b"{not json", 400, "request body is not valid JSON"),
    ("/hooks/ocr", b"[1, 2]", 400, "must be a JSON object of params, got list"),
    ("/hooks/ocr", b'{"x": NaN}', 400, "NaN is not valid JSON"),
    ("/hooks/ocr", b"\xff\xfe\xfa", 400, "not valid JSON"),
    ("/hooks/ocr", b"[" * 100_000, 400, "not valid JSON"),
    ("/hooks/ocr", b"{" + b" " * (1024 * 1024) + b"}", 413, "exceeds the 1048576-byte limit"),
    ("/hooks/ocr", b'{"fail": "params"}', 400, "param 'fail' of DAG 'ocr' is bad"),
    ("/hooks/full", b"{}", 409, "max_active_runs"),
    ("/hooks/bad", b"{}", 400, "no such param"),
    ("/hooks/err", b"{}", 500, "disk full"),
])
def test_handle_webhook_statuses(path: str, body: bytes, status: int, in_answer: str) -> None:
    sink = Sink(full=None, bad=ParameterError("no such param 'q'"), err=OutputError("disk full"))
    got_status, answer = handle_webhook(path, body, ROUTES, sink)
    assert got_status == status
    assert in_answer in json.dumps(answer)


def test_handle_webhook_merges_static_params_and_survives_sink_bugs() -> None:
    sink = Sink(boom=RuntimeError("bug"))
    status, answer = handle_webhook("/hooks/static", b'{"lang": "de"}', ROUTES, sink)
    assert (status, answer) == (201, {"run_id": "run-1", "dag_id": "ocr"})
    event = sink.next()
    assert event.params == {"folder": "/in", "lang": "de"}
    assert (event.source, event.metadata, event.logical_date) == (
        "webhook:/hooks/static", {"path": "/hooks/static"}, None)
    status, answer = handle_webhook("/x", b"{}", {"/x": "boom"}, sink)
    assert status == 500 and "internal error" in answer["error"]


# --- WebhookListener over real HTTP -------------------------------------------------------

@pytest.fixture
def webhook() -> Iterator[tuple[WebhookListener, Sink]]:
    sink = Sink(full=None)
    listener = WebhookListener({"/hooks/ocr": "ocr", "/hooks/full": "full"}, sink)
    listener.start()
    try:
        yield listener, sink
    finally:
        listener.stop()


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, dict(response.headers), json.loads(data) if data else {}
    finally:
        conn.close()


def test_webhook_listener_starts_runs_over_http(webhook) -> None:
    listener, sink = webhook
    assert listener.port > 0
    status, headers, answer = request(listener.port, "POST", "/hooks/ocr", b'{"folder": "/data"}',
                                      {"Content-Type": "application/json"})
    assert (status, answer) == (201, {"run_id": "run-1", "dag_id": "ocr"})
    assert headers["Content-Type"] == "application/json"
    event = sink.next()
    assert (event.dag_id, event.params, event.source) == ("ocr", {"folder": "/data"}, "webhook:/hooks/ocr")


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), [
    ("GET", "/hooks/ocr", None, {}, 405),
    ("PUT", "/hooks/ocr", b"{}", {}, 405),
    ("DELETE", "/nope", None, {}, 405),
    ("POST", "/nope", b"{}", {}, 404),
    ("POST", "/hooks/ocr", b"[]", {}, 400),
    ("POST", "/hooks/ocr", b"{oops", {}, 400),
    ("POST", "/hooks/full", b"{}", {}, 409),
    ("POST", "/hooks/ocr", b"", {"Content-Length": "abc"}, 411),
])
def test_webhook_listener_answers_bad_requests_and_keeps_serving(webhook, method, path, body,
                                                                  headers, status) -> None:
    listener, sink = webhook
    got, got_headers, answer = request(listener.port, method, path, body, headers)
    assert got == status and "error" in answer
    if status == 405:
        assert got_headers["Allow"] == "POST"
    assert request(listener.port, "POST", "/hooks/ocr", b"{}")[0] == 201


def test_webhook_listener_refuses_oversized_body_before_reading_it(webhook) -> None:
    listener, _ = webhook
    conn = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=WAIT_S)
    try:
        conn.putrequest("POST", "/hooks/ocr")
        conn.putheader("Content-Length", str(50 * 1024 * 1024))
        conn.endheaders()  # no body sent: the server must answer from the header alone
        response = conn.getresponse()
        assert response.status == 413
        assert "exceeds the 1048576-byte limit" in json.loads(response.read())["error"]
    finally:
        conn.close()
    assert request(listener.port, "POST", "/hooks/ocr", b"{}")[0] == 201


def test_webhook_listener_stop_closes_port_and_busy_port_is_a_clear_error(webhook) -> None:
    listener, _ = webhook
    other = WebhookListener({"/x": "x"}, Sink(), port=listener.port)
    with pytest.raises(TriggerConnectionError, match=f"127.0.0.1:{listener.port}"):
        other.start()
    port = listener.port
    listener.stop()
    listener.stop()  # idempotent
    with pytest.raises(ConnectionRefusedError):
        request(port, "POST", "/hooks/ocr", b"{}")


# --- MQTT -----------------------------------------------------------------------------------

def _broker_up() -> bool:
    try:
        socket.create_connection(BROKER, timeout=1).close()
    except OSError:
        return False
    return True


needs_broker = pytest.mark.skipif(not _broker_up(), reason="no MQTT broker at 127.0.0.1:1883 "
                                  "(start mosquitto to run the MQTT trigger tests)")


@pytest.fixture
def publish() -> Iterator:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(*BROKER)
    client.loop_start()

    def send(topic: str, payload: bytes | str, retain: bool = False) -> None:
        client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(WAIT_S)

    try:
        yield send
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.fixture
def prefix() -> str:
    return f"edgeweave-test/{uuid.uuid4().hex}"


@needs_broker
def test_mqtt_listener_starts_runs_from_messages(publish, prefix) -> None:
    sink = Sink()
    listener = MqttListener({f"{prefix}/cam/+/motion": "detect",
                             f"{prefix}/ocr/#": EventRoute("ocr", {"lang": "en"})}, sink)
    listener.start()
    try:
        publish(f"{prefix}/cam/3/motion", '{"zone": "gate"}')
        event = sink.next()
        assert (event.dag_id, event.params, event.source) == (
            "detect", {"zone": "gate"}, f"mqtt:{prefix}/cam/3/motion")
        assert event.metadata["filter"] == f"{prefix}/cam/+/motion"
        publish(f"{prefix}/ocr/a/b", "")
        assert sink.next().params == {"lang": "en"}
        publish(f"{prefix}/ocr", "hello")  # '#' also matches the parent level
        assert sink.next().params == {"lang": "en", "payload": "hello"}
    finally:
        listener.stop()


@needs_broker
def test_mqtt_listener_survives_bad_payloads_and_params(publish, prefix, caplog) -> None:
    sink = Sink(crash=RuntimeError("bug"))
    topic = f"{prefix}/events"
    listener = MqttListener({topic: "detect", f"{prefix}/crash": "crash"}, sink)
    listener.start()
    try:
        publish(topic, b"\xff\xfe\x00binary")  # not text: logged, no run
        publish(topic, '{"fail": "params"}')  # ParameterError from the sink: logged
        publish(f"{prefix}/crash", "{}")  # sink bug: logged
        publish(topic, "[1, 2]")  # JSON but not an object: passed as text
        assert sink.next().params == {"fail": "params"}
        assert sink.next().dag_id == "crash"
        assert sink.next().params == {"payload": "[1, 2]"}
    finally:
        listener.stop()
    text = caplog.text
    assert f"MQTT message on '{topic}' ignored" in text and "neither JSON nor UTF-8" in text
    assert f"mqtt:{topic} -> DAG 'detect' rejected: param 'fail'" in text
    assert "crash" in text


@needs_broker
def test_mqtt_listener_ignores_retained_messages(publish, prefix) -> None:
    topic = f"{prefix}/retained"
    publish(topic, '{"old": true}', retain=True)
    sink = Sink()
    listener = MqttListener({topic: "detect"}, sink)
    listener.start()
    try:
        publish(topic, '{"new": true}')
        assert sink.next().params == {"new": True}
        assert sink.drain() == []
    finally:
        listener.stop()
        publish(topic, "", retain=True)  # clear the retained message on the broker


def test_mqtt_listener_unreachable_broker_is_a_clear_error() -> None:
    port = free_port()
    listener = MqttListener({"a/b": "d"}, Sink(), port=port)
    with pytest.raises(TriggerConnectionError) as info:
        listener.start()
    assert f"127.0.0.1:{port}" in info.value.message
    assert "mosquitto" in info.value.hint


def test_mqtt_handle_message_matches_filters_once_per_dag() -> None:
    sink = Sink()
    listener = MqttListener({"a/+": "d1", "a/#": ["d1", "d2"], "b/#": "d3"}, sink)
    assert listener.handle_message("a/x", b'{"k": 1}') == ["run-1", "run-2"]
    assert [(e.dag_id, e.params) for e in sink.drain()] == [("d1", {"k": 1}), ("d2", {"k": 1})]
    assert listener.handle_message("c/x", b"{}") == []
    assert listener.handle_message("a/x", b"{}", retain=True) == []


# --- listeners_for --------------------------------------------------------------------------

def test_event_routes_collect_every_problem() -> None:
    dags = {
        "a": make_dag("a", EventTrigger("webhook", "/hooks/x"), EventTrigger("mqtt", "cams/#/x")),
        "b": make_dag("b", EventTrigger("webhook", "/hooks/x"), EventTrigger("webhook", "no-slash")),
        "c": make_dag("c", EventTrigger("mqtt", "cams/cam+"), EventTrigger("sms", "123")),
    }
    with pytest.raises(ParameterError) as info:
        event_routes(dags)
    message = info.value.message
    assert message.startswith("5 problems in event triggers")
    for expected in ("DAG 'a': event 2 (mqtt 'cams/#/x'): '#' must be a whole level and the last",
                     "DAG 'b': event 2 (webhook 'no-slash'): a webhook path must start with '/'",
                     "DAG 'c': event 1 (mqtt 'cams/cam+'): '+' must be a whole level",
                     "unknown event kind 'sms'"):
        assert expected in message
    good = {"a": make_dag("a", EventTrigger("webhook", "/hooks/x")),
            "b": make_dag("b", EventTrigger("webhook", "/hooks/x"))}
    with pytest.raises(ParameterError, match="'/hooks/x' is used by DAG 'a' and DAG 'b'"):
        event_routes(good)


@needs_broker
def test_listeners_for_wires_webhook_mqtt_and_files(publish, prefix, tmp_path: Path) -> None:
    dags = {"ocr": make_dag("ocr", EventTrigger("webhook", "/hooks/ocr", {"lang": "en"}),
                            EventTrigger("mqtt", f"{prefix}/ocr")),
            "count": make_dag("count", EventTrigger("mqtt", f"{prefix}/ocr"),
                              EventTrigger("file", str(tmp_path / "*.jpg"))),
            "manual": make_dag("manual")}
    sink = Sink()
    listeners = listeners_for(dags, sink, file_interval=0.05)
    assert listeners.webhook is not None and listeners.mqtt is not None and listeners.files is not None
    with listeners:
        assert request(listeners.webhook.port, "POST", "/hooks/ocr", b"{}")[0] == 201
        assert sink.next().params == {"lang": "en"}
        publish(f"{prefix}/ocr", "{}")
        assert sorted(sink.next().dag_id for _ in range(2)) == ["count", "ocr"]
        (tmp_path / "a.jpg").write_bytes(b"jpg")
        event = sink.next()
        assert (event.dag_id, event.params) == ("count", {"path": str(tmp_path / "a.jpg")})
    assert listeners_for({"manual": dags["manual"]}, sink).webhook is None


# --- FileWatcher ----------------------------------------------------------------------------

def test_file_watcher_fires_once_per_new_settled_file(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x")
    sink = Sink(full=None)
    watcher = FileWatcher({str(tmp_path / "*.txt"): "d"}, sink)
    watcher.snapshot()
    new = tmp_path / "new.txt"
    new.write_text("a")
    assert watcher.poll() == []  # first sight: wait until it stops changing
    assert watcher.poll() == ["run-1"]
    assert watcher.poll() == []
    assert sink.next().params == {"path": str(new)}
    new.unlink()
    watcher.poll()
    new.write_text("again")
    watcher.poll()
    assert watcher.poll() == ["run-2"]  # re-created: new again


def test_file_watcher_retries_refused_files(tmp_path: Path) -> None:
    sink = Sink(full=None)
    watcher = FileWatcher({str(tmp_path / "*.bin"): "full"}, sink, settle=False)
    watcher.snapshot()
    (tmp_path / "a.bin").write_bytes(b"1")
    assert watcher.poll() == [] and watcher.poll() == []
    assert len(sink.drain()) == 2  # refused (max_active_runs): tried again, not lost
    sink.answers["full"] = "ok"
    assert watcher.poll() == ["run-1"]
    assert watcher.poll() == []


def test_file_watcher_thread_fires_for_files_created_while_running(tmp_path: Path) -> None:
    (tmp_path / "old.bin").write_bytes(b"old")
    sink = Sink()
    watcher = FileWatcher({str(tmp_path / "*.bin"): "d"}, sink, interval=0.02)
    watcher.start()
    try:
        (tmp_path / "new.bin").write_bytes(b"new")
        assert sink.next().params == {"path": str(tmp_path / "new.bin")}
    finally:
        watcher.stop()
    assert not any(t.name == "file-watcher" for t in threading.enumerate())
    assert sink.drain() == []  # old.bin existed before start: not new
