"""Browser-like clients of the UI: one TestClient (own cookie jar) per logged-in user."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}


def login_token(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def csrf_of(page_html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]*)">', page_html)
    assert match
    return match.group(1)


@pytest.fixture
def browser(api) -> Callable[[str], TestClient]:  # type: ignore[no-untyped-def]
    """``browser(role)``: a client logged in as that role's user (password 'pw')."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(api.client.app, follow_redirects=False)
        resp = client.post("/login", data={"user": role, "password": "pw", "login_token": login_token(client),
                                           "next": "/"})
        assert resp.status_code == 303, resp.text
        client.headers["X-CSRF-Token"] = csrf_of(client.get("/", headers=HTML).text)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
