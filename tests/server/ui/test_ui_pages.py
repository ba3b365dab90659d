"""Every page renders from real store data; bad ids and unknown things get an HTML error page."""

from __future__ import annotations

import re

from conftest import HTML

from edgeweave.server.ui.pages import form_fields
from edgeweave.store import repository as repo
from edgeweave.workflow.dag import DAG, ParamSpec
from edgeweave.workflow.params import params_json_schema


def _trigger(api) -> str:  # type: ignore[no-untyped-def]
    resp = api.post("/api/v1/dags/tiny/runs", json={"params": {"name": "hello", "count": 3}})
    assert resp.status_code == 201
    return resp.json()["run_id"]


def test_dag_list_shows_dags_recent_runs_and_import_errors(api, browser):
    run_id = _trigger(api)
    page = browser("operator").get("/").text
    assert 'href="/dags/tiny"' in page and "@daily" in page
    assert re.search(r"next in \d+ (h|min|s)", page)  # @daily fires at the next UTC midnight
    assert f'href="/runs/{run_id}" class="dot s-queued"' in page
    assert "broken.yaml" in page and "failed to load" in page
    toggle = re.search(r'<input type="checkbox" class="pause-toggle" data-dag="tiny"[^>]*>', page).group(0)
    assert "checked" in toggle and "disabled" not in toggle


def test_viewer_sees_disabled_controls(api, browser):
    viewer = browser("viewer")
    page = viewer.get("/").text
    toggle = re.search(r'<input type="checkbox" class="pause-toggle" data-dag="tiny"[^>]*>', page).group(0)
    assert "disabled" in toggle and "/dags/tiny/trigger\">Trigger" not in page
    form = viewer.get("/dags/tiny/trigger").text
    assert 'data-testid="refused"' in form and re.search(r'data-testid="trigger-submit"\s+disabled', form)


def test_graph_view_is_drawn_before_any_run(api, browser):
    page = browser("viewer").get("/dags/tiny").text
    assert len(re.findall(r'<g class="node s-none" data-task="(first|second)"', page)) == 2
    assert re.search(r'<path class="edge" d="M[^"]+" marker-end="url\(#arrow\)" data-from="first" '
                     r'data-to="second">', page)
    assert '(structure only)' in page and 'data-run=""' in page


def test_graph_view_selects_the_latest_run(api, browser):
    first, latest = _trigger(api), _trigger(api)
    page = browser("viewer").get("/dags/tiny").text
    assert f'data-run="{latest}"' in page and f'value="{first}"' in page
    assert f'data-run="{first}"' in browser("admin").get(f"/dags/tiny?run={first}").text


def test_grid_and_trigger_pages(api, browser):
    admin = browser("admin")
    assert 'data-dag="tiny" data-runs="10"' in admin.get("/dags/tiny/grid?runs=10").text
    form = admin.get("/dags/tiny/trigger").text
    assert re.search(r'id="p-name" name="name" type="text"\s+value="x"', form)
    assert re.search(r'id="p-count" name="count" type="text" inputmode="decimal" value="1"', form)
    assert "(&gt;= 0)" in form


def test_run_task_and_runs_pages(api, browser):
    run_id = _trigger(api)
    admin = browser("admin")
    run_page = admin.get(f"/runs/{run_id}").text
    assert 'data-task="first"' in run_page and 'data-task="second"' in run_page
    assert '&#34;name&#34;: &#34;hello&#34;' in run_page and 'data-testid="cancel-run"' in run_page
    task_page = admin.get(f"/runs/{run_id}/tasks/second").text
    assert 'data-task="second"' in task_page and "try 0/3" in task_page
    runs = admin.get("/runs?dag_id=tiny&state=queued").text
    assert f'href="/runs/{run_id}"' in runs
    assert f'href="/runs/{run_id}"' not in admin.get("/runs?state=success").text


def test_models_pages_and_chart(api, browser):
    viewer = browser("viewer")
    assert 'href="/models/resnet"' in viewer.get("/models").text
    page = viewer.get("/models/resnet").text  # the fixture's report.json is not a full report
    assert 'data-testid="report-problem"' in page and "does not match the report schema" in page
    chart = viewer.get("/models/resnet/chart.svg?version=1")
    assert chart.headers["content-type"] == "image/svg+xml" and b"no measured variants" in chart.content


def test_device_page_shows_this_machine_and_the_nodes(api, browser):
    import socket

    page = browser("viewer").get("/device").text
    assert "cpu_model" in page and "logical_cores" in page
    assert 'data-testid="nodes"' in page and f"{socket.gethostname()} <span class=\"tag\">this host" in page


def test_bad_input_gets_an_html_error_page_not_a_500(api, browser):
    admin = browser("admin")
    cases = {"/dags/nope": 404, "/dags/..%2F..%2Fetc/grid": 404, "/dags/a..b": 400, "/runs/nope": 404,
             "/runs/nope/tasks/x": 404, "/models/nope": 404, "/models/resnet?version=abc": 400,
             "/models/resnet?version=7": 404, "/runs?state=bogus": 400, "/dags/tiny/grid?runs=0": 422}
    for url, status in cases.items():
        resp = admin.get(url, headers=HTML)
        assert resp.status_code == status, (url, resp.status_code)
        assert resp.headers["content-type"].startswith("text/html") and 'data-testid="problem"' in resp.text
    assert admin.get("/api/v1/dags/nope", headers=HTML).headers["content-type"] == "application/problem+json"


def test_page_text_is_escaped(api, browser):
    run_id = _trigger(api)
    repo.append_log(api.engine, repo.get_task_instance(api.engine, run_id, "first").id, 1, "stdout",
                    "<script>alert(1)</script>")
    resp = browser("admin").get("/runs?dag_id=tiny")
    assert "<script>alert" not in resp.text


def test_form_fields_follow_the_param_schema():
    dag = DAG("f", {}, params={
        "mode": ParamSpec(name="mode", type="string", enum=["fast", "exact"], default="fast"),
        "on": ParamSpec(name="on", type="boolean", default=True),
        "ratio": ParamSpec(name="ratio", type="number", minimum=0, maximum=1, required=True),
        "tags": ParamSpec(name="tags", type="array", default=["a"]),
        "note": ParamSpec(name="note", type="string")})
    fields = {f["name"]: f for f in form_fields(params_json_schema(dag))}
    assert fields["mode"]["kind"] == "select" and fields["mode"]["options"] == ["fast", "exact"]
    assert fields["on"]["kind"] == "checkbox" and fields["on"]["value"] is True
    assert fields["ratio"]["required"] and fields["ratio"]["limits"] == ">= 0, <= 1"
    assert fields["tags"]["kind"] == "json" and fields["tags"]["value"] == '["a"]'
    assert fields["note"]["kind"] == "text" and fields["note"]["value"] == ""


def test_static_files_stay_inside_their_folder(api):
    client = api.client
    assert client.get("/static/app.js").status_code == 200
    for url in ("/static/../pages.py", "/static/%2e%2e/pages.py", "/static/..%2Fsession.py",
                "/static/%2e%2e/%2e%2e/auth.py"):
        resp = client.get(url)
        assert resp.status_code == 404 and "def " not in resp.text, url


def test_users_page_is_for_admins(api, browser):
    page = browser("admin").get("/users")
    assert page.status_code == 200 and 'data-testid="users"' in page.text
    assert '<a href="/users">Users</a>' in page.text and "viewer" in page.text
    operator = browser("operator")
    assert operator.get("/users", headers=HTML).status_code == 403
    assert '<a href="/users">' not in operator.get("/").text


def test_account_page_changes_the_password_with_the_session_kept(api, browser):
    viewer = browser("viewer")
    assert 'id="password-form"' in viewer.get("/account").text
    resp = viewer.post("/api/v1/me/password", json={"current": "pw", "new": "viewer-pass-2026"})
    assert resp.status_code == 200
    assert viewer.get("/", headers=HTML).status_code == 200  # this session survives the change
