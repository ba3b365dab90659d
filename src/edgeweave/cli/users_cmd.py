"""``edgeweave users``: UI/API users, roles and tokens (admin > operator > viewer).

Works on the same auth file the server reads (``$EDGEWEAVE_HOME/auth.json``); the server
picks changes up on the next request, so no restart is needed.
"""

from __future__ import annotations

import typer
from rich.table import Table

from edgeweave.cli.console import make_console
from edgeweave.errors import ParameterError

console = make_console()
users_app = typer.Typer(no_args_is_help=True, help="Users, roles and API tokens of the dashboard and API.")
ROLES = ("viewer", "operator", "admin")


def _store():  # type: ignore[no-untyped-def]
    from edgeweave.server.auth import AuthConfig

    return AuthConfig().store()


@users_app.command("add")
def add(user: str, role: str = typer.Option("viewer", "--role", help="viewer | operator | admin"),
        token: bool = typer.Option(False, "--token", help="also create an API token")) -> None:
    """Create USER (or change their role) with a new generated password, shown once."""
    if role not in ROLES:
        raise ParameterError(f"unknown role {role!r}", f"use one of {', '.join(ROLES)}")
    store = _store()
    password = store.add_user(user, role)
    console.print(f"user [bold]{user}[/] ({role}) password: {password}")
    if token:
        console.print(f"API token (Authorization: Bearer ...): {store.create_token(user)}")


@users_app.command("token")
def token(user: str) -> None:
    """Create an API token for USER, shown once (only its hash is kept)."""
    console.print(_store().create_token(user))


@users_app.command("revoke")
def revoke(token: str) -> None:
    """Revoke an API token (give the token or its id, the part after 'ew_')."""
    if not _store().revoke(token):
        raise ParameterError("no such token", "list users with `edgeweave users list`")
    console.print("revoked")


@users_app.command("remove")
def remove(user: str) -> None:
    """Delete USER with their tokens and sessions."""
    _store().remove_user(user)
    console.print(f"removed {user}")


@users_app.command("list")
def list_users() -> None:
    """Users with their role, number of tokens and live UI sessions."""
    table = Table("user", "role", "tokens", "sessions")
    for name, info in _store().users().items():
        table.add_row(name, info["role"], str(info["tokens"]), str(info["sessions"]))
    console.print(table)
