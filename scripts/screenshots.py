"""Screenshots of the web UI for the docs, taken from a real ``edgeweave serve``.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--work DIR]

Starts the server on a free port with a fresh state folder, writes a 20-task video
analytics DAG next to it, runs it 12 times through the API (two runs lose a camera, so the
Grid shows failures and what they skipped), optimizes the real PP-OCR direction classifier
(``edgeweave optimize zoo:ppocr-cls``, about a minute; kept in --work and reused when the
folder is given again) and registers it, then drives headless Chromium over the pages:

    graph.png          the bundled ocr_service DAG, before any run
    graph_200.png, graph_200_find.png   a 200-task DAG fitted, then a task found by name
    grid.png           video_analytics: 12 runs x 20 tasks, a failed task's log open
    model_report.png   ppocr-cls: latency-vs-accuracy chart and the variants table
    dags.png, run.png, trigger_error.png
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from edgeweave.examples.fleet import fleet_dag_yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                 "--hide-scrollbars"]
VIEWPORT = {"width": 1400, "height": 900}
MAX_PNG_BYTES = 400_000
RUNS = 12
FAILING = {4: "dock", 9: "lobby"}  # run number -> camera whose detector fails

VIDEO_DAG = '''"""Video analytics for a site's cameras: decode, detect and track per camera, then
people count, crowd density and loitering alerts, aggregated and published."""
import random
import time
from typing import Literal

from edgeweave.workflow.authoring import dag, task

CAMERAS = ("gate", "lobby", "dock", "parking")


def _work(what: str) -> None:
    print(what, flush=True)
    time.sleep(0.05)


@task
def load_config(site: str) -> dict:
    _work(f"config for site {site}: {len(CAMERAS)} cameras")
    return {"site": site, "cameras": list(CAMERAS)}


@task
def decode(config: dict, camera: str, seconds: float) -> dict:
    frames = int(seconds * 15)
    _work(f"{camera}: decoded {frames} frames (1920x1080 H.264 -> RGB)")
    return {"camera": camera, "frames": frames}


@task(retries=1, retry_delay=0.1)
def detect(clip: dict, fail_camera: str) -> dict:
    camera = clip["camera"]
    if camera == fail_camera:
        print(f"{camera}: opening the RTSP stream ...", flush=True)
        raise ConnectionError(f"camera {camera!r}: stream timed out after 5 s (no keyframe)")
    boxes = random.Random(camera + str(clip["frames"])).randint(20, 90)
    _work(f"{camera}: {boxes} person boxes over {clip['frames']} frames")
    return {"camera": camera, "boxes": boxes}


@task
def track(found: dict) -> dict:
    tracks = max(1, found["boxes"] // 6)
    _work(f"{found['camera']}: {tracks} tracks")
    return {"camera": found["camera"], "tracks": tracks}


@task
def count_people(tracks: list) -> int:
    total = sum(t["tracks"] for t in tracks)
    _work(f"people in view: {total}")
    return total


@task
def crowd_density(tracks: list) -> dict:
    _work("density per camera computed")
    return {t["camera"]: round(t["tracks"] / 40, 2) for t in tracks}


@task
def loitering(tracks: list) -> list:
    flagged = [t["camera"] for t in tracks if t["tracks"] > 10]
    _work(f"loitering on: {flagged or 'none'}")
    return flagged


@task
def aggregate(count: int, density: dict, loiter: list) -> dict:
    _work("summary ready")
    return {"people": count, "density": density, "loitering": loiter}


@task
def publish_dashboard(summary: dict) -> str:
    _work(f"dashboard updated: {summary['people']} people")
    return "ok"


@task
def raise_alerts(summary: dict) -> int:
    _work(f"{len(summary['loitering'])} alert(s) sent")
    return len(summary["loitering"])


@task(trigger_rule="all_done")
def archive_clips(tracks: list) -> str:
    _work("clips archived to cold storage")
    return "archived"


@dag(tags=["video", "demo"])
def video_analytics(site: str = "hq", seconds: float = 2.0,
                    fail_camera: Literal["none", "gate", "lobby", "dock", "parking"] = "none"):
    """Per-camera decode/detect/track, then counting, density and loitering, published."""
    config = load_config(site)
    tracks = []
    for camera in CAMERAS:
        clip = decode.override(task_id=f"decode_{camera}")(config, camera, seconds)
        found = detect.override(task_id=f"detect_{camera}")(clip, fail_camera)
        tracks.append(track.override(task_id=f"track_{camera}")(found))
    summary = aggregate(count_people(tracks), crowd_density(tracks), loitering(tracks))
    publish_dashboard(summary)
    raise_alerts(summary)
    archive_clips(tracks)
'''


class Server:
    def __init__(self, work: Path) -> None:
        self.home, dags = work / "home", work / "dags"
        shutil.rmtree(self.home, ignore_errors=True)
        dags.mkdir(parents=True, exist_ok=True)
        (dags / "video_analytics.py").write_text(VIDEO_DAG)
        (dags / "camera_fleet.yaml").write_text(fleet_dag_yaml("camera_fleet"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEWEAVE_")}
        env.update(EDGEWEAVE_HOME=str(self.home), EDGEWEAVE_DAGS=str(dags), COLUMNS="200")
        self.log = work / "serve.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([*edgeweave(), "serve", "--port", str(port)], cwd=work, env=env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            text = self.log.read_text(errors="replace")
            password = re.search(r"password '([^']+)'", text)
            token = re.search(r"Bearer \.\.\.\): (\S+)", text)
            if password and token and self.healthy():
                self.password, self.token = password.group(1), token.group(1)
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"edgeweave serve did not start:\n{text}")
            time.sleep(0.2)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/api/v1{path}", method=method, data=data,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            sys.exit(f"{method} {path}: HTTP {exc.code} {exc.read().decode(errors='replace')}")

    def wait(self, run_ids: list[str], timeout: float = 300) -> dict[str, str]:
        deadline, states = time.monotonic() + timeout, {}
        while time.monotonic() < deadline:
            states = {r: self.api("GET", f"/runs/{r}")["state"] for r in run_ids}
            if all(s not in ("queued", "running") for s in states.values()):
                return states
            time.sleep(0.5)
        sys.exit(f"runs did not finish in {timeout} s: {states}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def edgeweave() -> list[str]:
    script = Path(sys.executable).with_name("edgeweave")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "edgeweave.cli.main"]


def optimization_report(work: Path) -> Path:
    """The real ppocr-cls optimization, run once per work folder (about a minute)."""
    out = work / "ppocr-cls"
    if not (out / "report.json").is_file():
        print("optimizing zoo:ppocr-cls (about a minute) ...", flush=True)
        subprocess.run([*edgeweave(), "optimize", "zoo:ppocr-cls", "--out", str(out)], check=True,
                       stdout=subprocess.DEVNULL)
    return out


def shoot(page: Any, path: Path, full_page: bool = False) -> None:
    page.mouse.move(0, 0)  # no hover effects
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    size = path.stat().st_size
    print(f"  {path} ({size // 1024} KB)")
    if size > MAX_PNG_BYTES:
        print(f"  warning: {path.name} is over {MAX_PNG_BYTES // 1000} KB", file=sys.stderr)


def take(server: Server, out: Path, chromium: str, run_ids: list[str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=server.url, viewport=VIEWPORT).new_page()
        page.set_default_timeout(30_000)
        page.goto("/login")
        page.fill("input[name=user]", "admin")
        page.fill("input[name=password]", server.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")

        page.goto("/dags/ocr_service")
        expect(page.locator("svg#graph g.node")).to_have_count(5)
        page.locator('g.node[data-task="optimize_rec"]').click()
        expect(page.get_by_test_id("task-panel")).to_be_visible()
        shoot(page, out / "graph.png")

        page.goto("/dags/camera_fleet")
        expect(page.locator("svg#graph g.node")).to_have_count(200)
        shoot(page, out / "graph_200.png")
        page.fill("#task-search", "site3_loitering")
        page.press("#task-search", "Enter")
        expect(page.locator("#panel-title")).to_have_text("site3_loitering")
        shoot(page, out / "graph_200_find.png")

        page.goto("/")
        expect(page.locator('tr[data-dag="video_analytics"] .dot')).to_have_count(8)
        shoot(page, out / "dags.png")

        failed_run = run_ids[max(FAILING) - 1]
        page.goto("/dags/video_analytics/grid")
        cell = page.locator(f'td.cell[data-task="detect_lobby"][data-run="{failed_run}"]')
        expect(cell).to_have_class(re.compile(r"\bs-failed\b"))
        cell.click()
        expect(page.get_by_test_id("panel-log")).to_contain_text("RTSP")
        shoot(page, out / "grid.png")

        page.goto(f"/runs/{failed_run}")
        expect(page.get_by_test_id("live")).to_have_text("finished")
        shoot(page, out / "run.png")

        page.goto("/dags/video_analytics/trigger")
        page.fill("#p-seconds", "two")
        page.click("[data-testid=trigger-submit]")
        expect(page.get_by_test_id("error-seconds")).to_be_visible()
        shoot(page, out / "trigger_error.png")

        page.goto("/models/ppocr-cls")
        page.wait_for_function("() => { const i = document.querySelector('[data-testid=chart]');"
                               " return i && i.complete && i.naturalWidth > 0; }")
        shoot(page, out / "model_report.png")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--work", type=Path, help="working folder, kept (default: a temp folder)")
    parser.add_argument("--chromium", default=os.environ.get("EDGEWEAVE_E2E_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="edgeweave-shots-"))
    work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)

    report = optimization_report(work)
    server = Server(work)
    try:
        from edgeweave.models.registry import ModelRegistry

        ModelRegistry(server.home / "registry").register("ppocr-cls", (report / "report.json").read_text(),
                                                         report)
        print(f"server on {server.url}; running video_analytics {RUNS} times ...", flush=True)
        run_ids = []
        for n in range(1, RUNS + 1):
            params = {"site": "hq", "fail_camera": FAILING.get(n, "none")}
            run_ids.append(server.api("POST", "/dags/video_analytics/runs", {"params": params})["run_id"])
            server.wait(run_ids[-1:])  # one after the other, so the Grid reads as a timeline
        states = server.wait(run_ids)
        print("  run states:", ", ".join(states.values()), flush=True)
        take(server, args.out, args.chromium, run_ids)
    finally:
        server.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
