"""The web UI in a real headless Chromium against a real ``edgeweave serve``: what a user
sees and can (or cannot) do. Fixtures are in conftest.py; the Graph test runs first, while
the DAG has no runs yet."""

from __future__ import annotations

import re
from typing import Any

import pytest

from e2e.conftest import BIG_DAG_ID, DAG_ID, TASKS, Server, login

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

SUCCESS = re.compile(r"(^|\s)s-success(\s|$)")
RUN_PAGE = re.compile(r"/runs/[^/?#]+$")
EDGES = {("extract", "transform"), ("extract", "check"), ("transform", "publish"), ("check", "publish")}

POST_RUN = """async ([dag, withToken]) => {
  const headers = {"Content-Type": "application/json", "Accept": "application/json"};
  if (withToken) headers["X-CSRF-Token"] = document.querySelector('meta[name="csrf-token"]').content;
  const r = await fetch(`/api/v1/dags/${dag}/runs`, {method: "POST", headers,
                        body: JSON.stringify({params: withToken === "bad" ? {rows: "x"} : {rows: 3}})});
  return r.status;
}"""


def view_box(page: Any) -> list[float]:
    return [float(v) for v in page.locator("svg#graph").get_attribute("viewBox").split()]


def test_graph_view_draws_every_task_and_edge_before_any_run(admin_page: Any, server: Server) -> None:
    page = admin_page
    assert server.run_count() == 0
    page.goto(f"/dags/{DAG_ID}")
    expect(page.locator("svg#graph g.node")).to_have_count(len(TASKS))
    for task in TASKS:
        node = page.locator(f'svg#graph g.node[data-task="{task}"]')
        expect(node).to_be_visible()
        expect(node).to_contain_text(task)
        expect(node).to_have_class(re.compile(r"(^|\s)s-none(\s|$)"))
    edges = page.locator("svg#graph path.edge")
    assert {(e.get_attribute("data-from"), e.get_attribute("data-to")) for e in edges.all()} == EDGES
    expect(page.locator("#run-select option")).to_have_count(1)  # only "(structure only)"

    fitted = view_box(page)
    page.click("#zoom-in")
    zoomed_in = view_box(page)
    assert zoomed_in[2] < fitted[2] and zoomed_in[3] < fitted[3]
    page.click("#zoom-out")
    page.click("#zoom-out")
    assert view_box(page)[2] > zoomed_in[2]
    page.click("#zoom-fit")
    assert view_box(page) == fitted


def test_login_shows_wrong_password_then_lands_on_the_dag_list(page: Any, server: Server) -> None:
    page.goto("/login")
    page.fill("input[name=user]", "admin")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("login-error")).to_have_text("Wrong user name or password.")
    expect(page).to_have_url(re.compile(r"/login"))

    page.fill("input[name=password]", server.passwords["admin"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_test_id("dag-table").locator("a.dag-link", has_text=DAG_ID)).to_be_visible()
    expect(page.get_by_test_id("who")).to_contain_text("admin")


def test_a_page_visited_logged_out_redirects_to_login_and_back(page: Any, server: Server) -> None:
    page.goto(f"/dags/{DAG_ID}/grid")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=user]", "operator")
    page.fill("input[name=password]", server.passwords["operator"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/dags/{DAG_ID}/grid")
    expect(page.get_by_test_id("grid")).to_be_visible()


def test_trigger_from_the_form_and_watch_the_run_finish_live(page: Any, server: Server) -> None:
    login(page, server, "operator", f"/dags/{DAG_ID}/trigger")
    page.fill("#p-rows", "7")
    page.fill("#p-label", "e2e")
    page.fill("#p-delay", "1")  # long enough to see the run before it finishes
    page.click("[data-testid=trigger-submit]")
    page.wait_for_url(RUN_PAGE)
    page.evaluate("window.__sameDocument = true")
    badge = page.get_by_test_id("run-state")
    assert badge.text_content() in ("queued", "running")

    expect(badge).to_have_class(SUCCESS, timeout=45_000)
    expect(badge).to_have_text("success")
    expect(page.get_by_test_id("live")).to_have_text("finished")
    for task in TASKS:
        expect(page.locator(f'[data-testid=run-tasks] tr[data-task="{task}"] [data-field=state]')) \
            .to_have_text("success")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    expect(page.locator("pre.params")).to_contain_text('"rows": 7')
    expect(page.locator("pre.params")).to_contain_text('"label": "e2e"')


def test_task_log_from_the_run_page_and_from_the_graph_panel(admin_page: Any, server: Server,
                                                             finished_run: str) -> None:
    page = admin_page
    page.goto(f"/runs/{finished_run}")
    page.get_by_test_id("run-tasks").get_by_role("link", name="transform", exact=True).click()
    page.wait_for_url(re.compile(r"/tasks/transform$"))
    expect(page.get_by_test_id("log")).to_contain_text("transform: summing 7 rows")
    expect(page.get_by_test_id("task-state")).to_have_text("success")

    page.goto(f"/dags/{DAG_ID}")
    page.select_option("#run-select", finished_run)
    node = page.locator('svg#graph g.node[data-task="transform"]')
    expect(node).to_have_class(SUCCESS)
    node.click()
    panel = page.get_by_test_id("task-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#panel-title")).to_have_text("transform")
    expect(page.get_by_test_id("panel-log")).to_contain_text("transform: summing 7 rows")


def test_bad_params_show_inline_errors_and_create_no_run(page: Any, server: Server) -> None:
    login(page, server, "operator", f"/dags/{DAG_ID}/trigger")
    before = server.run_count()
    page.fill("#p-rows", "abc")
    rows_error, delay_error = page.get_by_test_id("error-rows"), page.get_by_test_id("error-delay")
    expect(rows_error).to_have_text("expected an integer, got 'abc'")  # as you type
    page.fill("#p-delay", "soon")
    page.click("[data-testid=trigger-submit]")
    expect(rows_error).to_contain_text("got 'abc' (str)")  # the server's verdict, per field
    expect(delay_error).to_be_visible()
    expect(page.locator('.field[data-param="rows"]')).to_have_class(re.compile(r"\binvalid\b"))
    expect(page.get_by_test_id("error-label")).to_be_hidden()
    expect(page).to_have_url(f"{server.url}/dags/{DAG_ID}/trigger")

    page.fill("#p-rows", "5")  # fixing one field clears its error on the next submit
    page.click("[data-testid=trigger-submit]")
    expect(rows_error).to_be_hidden()
    expect(delay_error).to_be_visible()
    assert server.run_count() == before


def test_a_viewer_is_refused(page: Any, server: Server) -> None:
    login(page, server, "viewer")
    before = server.run_count()
    toggles = page.locator(".pause-toggle")
    expect(toggles.first).to_be_visible()
    for i in range(toggles.count()):
        expect(toggles.nth(i)).to_be_disabled()
    expect(page.get_by_test_id("dag-table").get_by_role("link", name="Trigger")).to_have_count(0)

    page.goto(f"/dags/{DAG_ID}/trigger")
    expect(page.get_by_test_id("refused")).to_contain_text("viewer")
    expect(page.get_by_test_id("trigger-submit")).to_be_disabled()
    assert page.evaluate(POST_RUN, [DAG_ID, True]) == 403  # with a valid CSRF token: the role
    status = page.evaluate("""async (dag) => (await fetch(`/api/v1/dags/${dag}`, {method: "PATCH",
        headers: {"Content-Type": "application/json",
                  "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content},
        body: JSON.stringify({is_paused: true})})).status""", DAG_ID)
    assert status == 403
    assert server.run_count() == before
    assert server.api("GET", f"/dags/{DAG_ID}")[1]["paused"] is False


def test_a_post_without_the_csrf_header_is_refused(admin_page: Any, server: Server) -> None:
    page = admin_page
    before = server.run_count()
    assert page.evaluate(POST_RUN, [DAG_ID, False]) == 403
    assert page.evaluate(POST_RUN, [DAG_ID, "bad"]) == 422  # with the token it gets past CSRF
    assert server.run_count() == before


def test_log_out_ends_the_session(browser: Any, context: Any, page: Any, server: Server) -> None:
    login(page, server, "admin")
    session = [c for c in context.cookies() if c["name"] == "ew_session"]
    assert session
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    replay = browser.new_context(base_url=server.url)
    try:
        replay.add_cookies(session)
        stale = replay.new_page()
        stale.goto("/")
        expect(stale).to_have_url(re.compile(r"/login\?next="))
        assert replay.request.get("/api/v1/dags").status == 401
    finally:
        replay.close()


def test_grid_shows_the_finished_run_and_opens_a_log(admin_page: Any, server: Server,
                                                     finished_run: str) -> None:
    page = admin_page
    page.goto(f"/dags/{DAG_ID}/grid")
    expect(page.locator("table.grid")).to_be_visible()
    for task in TASKS:
        expect(page.locator(f'td.cell[data-task="{task}"][data-run="{finished_run}"]')).to_have_class(SUCCESS)
    page.locator(f'td.cell[data-task="transform"][data-run="{finished_run}"]').click()
    expect(page.get_by_test_id("task-panel")).to_be_visible()
    expect(page.get_by_test_id("panel-log")).to_contain_text("transform: summing 7 rows")


def test_model_report_renders_the_chart_and_the_variants(admin_page: Any, server: Server,
                                                         registered_model: str) -> None:
    page = admin_page
    page.goto("/models")
    page.get_by_test_id("models-table").get_by_role("link", name=registered_model).click()
    page.wait_for_url(f"{server.url}/models/{registered_model}")
    chart = page.get_by_test_id("chart")
    expect(chart).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    status, model = server.api("GET", f"/models/{registered_model}")
    assert status == 200, model
    variants = model["report"]["variants"]
    rows = page.get_by_test_id("variants").locator("tbody tr")
    expect(rows).to_have_count(len(variants))
    for number, (row, variant) in enumerate(zip(rows.all(), variants), start=1):
        expect(row.locator("td").nth(0)).to_have_text(str(number))  # the chart's point labels
        expect(row.locator("td").nth(1)).to_contain_text(variant["variant"])
    expect(page.get_by_test_id("variants").locator("tr.best")).to_have_count(1)
    expect(page.get_by_test_id("best")).to_contain_text("Best:")


def test_an_admin_adds_a_user_who_then_logs_in(admin_page: Any, browser: Any, server: Server) -> None:
    page = admin_page
    page.get_by_role("link", name="Users").click()
    page.fill("#new-user", "night_shift")
    page.select_option("#new-role", "operator")
    page.get_by_role("button", name="Add user").click()
    secret = page.get_by_test_id("secret")
    expect(secret).to_be_visible()
    password = re.search(r"password: (\S+)", secret.inner_text()).group(1)

    other = browser.new_context(base_url=server.url)
    try:
        newcomer = other.new_page()
        newcomer.goto("/login")
        newcomer.fill("input[name=user]", "night_shift")
        newcomer.fill("input[name=password]", password)
        newcomer.click("button[type=submit]")
        expect(newcomer.get_by_test_id("who")).to_contain_text("operator")
        expect(newcomer.get_by_role("link", name="Users")).to_have_count(0)
    finally:
        other.close()


def test_a_200_task_graph_is_drawn_and_a_task_can_be_found_and_read(admin_page: Any) -> None:
    page = admin_page
    page.goto(f"/dags/{BIG_DAG_ID}")
    expect(page.locator("svg#graph g.node")).to_have_count(200)
    assert page.locator("svg#graph path.edge").count() > 200
    fitted = page.locator('g.node[data-task="cam17_track"] rect').bounding_box()
    page.fill("#task-search", "cam17_track")
    page.press("#task-search", "Enter")
    expect(page.get_by_test_id("task-panel")).to_be_visible()
    expect(page.locator("#panel-title")).to_have_text("cam17_track")
    box = page.locator('g.node[data-task="cam17_track"] rect').bounding_box()
    graph = page.locator("svg#graph").bounding_box()
    assert box["height"] >= 30 and box["height"] > fitted["height"]  # drawn at a readable size
    assert graph["x"] <= box["x"] and box["x"] + box["width"] <= graph["x"] + graph["width"]
    assert graph["y"] <= box["y"] and box["y"] + box["height"] <= graph["y"] + graph["height"]
    label = page.locator('g.node[data-task="cam17_track"] text').bounding_box()
    assert label["height"] >= 12


def test_clear_a_finished_task_and_watch_it_run_again(page: Any, server: Server) -> None:
    run_id = server.trigger({"rows": 4, "delay": 0.1, "label": "again"})
    assert server.wait_run(run_id)["state"] == "success"
    login(page, server, "operator", f"/runs/{run_id}")
    page.evaluate("window.__sameDocument = true")
    page.locator('tr[data-task="transform"] button.clear').click()  # and its downstream: publish
    tries = page.locator('tr[data-task="transform"] [data-field=try]')
    expect(tries).to_have_text(re.compile(r"^2/"), timeout=45_000)  # a second try, pushed live
    expect(page.get_by_test_id("run-state")).to_have_text("success", timeout=45_000)
    expect(page.locator('tr[data-task="publish"] [data-field=try]')).to_have_text(re.compile(r"^2/"))
    expect(page.locator('tr[data-task="extract"] [data-field=try]')).to_have_text(re.compile(r"^1/"))
    assert page.evaluate("window.__sameDocument === true")


def test_a_viewer_sees_no_clear_or_cancel_buttons(page: Any, server: Server, finished_run: str) -> None:
    login(page, server, "viewer", f"/runs/{finished_run}")
    expect(page.get_by_test_id("run-tasks")).to_be_visible()
    expect(page.locator("button.clear")).to_have_count(0)
    expect(page.get_by_test_id("cancel-run")).to_have_count(0)


def test_the_api_reference_renders_without_internet(page: Any) -> None:
    page.goto("/docs")  # the browser here has no network: every asset must come from us
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("EdgeWeave")  # from /openapi.json
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/dags/{dag_id}/grid")).to_have_count(1)
