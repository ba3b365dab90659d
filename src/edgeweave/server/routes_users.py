"""Users and API tokens, for admins: what ``edgeweave users`` does, over the API.

Passwords and tokens are generated here and returned once (only hashes are stored). An
admin cannot remove or demote themselves, so a server never ends up without an admin.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from edgeweave.errors import InvalidTransitionError
from edgeweave.server.auth import Principal, Role
from edgeweave.server.deps import SESSION_COOKIE, Context, context, require
from edgeweave.server.problems import check_id

router = APIRouter(tags=["users"])
admin = Depends(require(Role.ADMIN))


class PasswordChange(BaseModel):
    current: str = Field(max_length=200)
    new: str = Field(max_length=200)


@router.post("/me/password")
def change_my_password(body: PasswordChange, request: Request, ctx: Context = Depends(context),
                       who: Principal = Depends(require(Role.VIEWER))) -> dict[str, str]:
    """Any user changes their own password (the current one is checked); their other UI
    sessions end, this one stays. 403 for a wrong current password, 400 for a short new one."""
    ctx.store.change_password(who.user, body.current, body.new,
                              keep_session=request.cookies.get(SESSION_COOKIE, ""))
    return {"user": who.user, "changed": "yes"}


class NewUser(BaseModel):
    user: str
    role: Role = Role.VIEWER
    token: bool = False


@router.get("/users")
def list_users(ctx: Context = Depends(context), _: Principal = admin) -> list[dict[str, Any]]:
    """Every user with their role, number of API tokens and live UI sessions (no secrets)."""
    return [{"user": name, **info} for name, info in ctx.store.users().items()]


@router.post("/users", status_code=201)
def add_user(body: NewUser, ctx: Context = Depends(context), who: Principal = admin) -> dict[str, Any]:
    """Create a user, or give an existing one a new role and password; the generated
    password (and token, if asked) is in this response only."""
    check_id(body.user, "user name")
    if body.user == who.user and body.role != Role.ADMIN:
        raise InvalidTransitionError("an admin cannot demote themselves",
                                     "let another admin change your role")
    password = ctx.store.add_user(body.user, body.role)
    out: dict[str, Any] = {"user": body.user, "role": body.role.value, "password": password}
    if body.token:
        out["token"] = ctx.store.create_token(body.user)
    return out


@router.post("/users/{user}/tokens", status_code=201)
def add_token(user: str, ctx: Context = Depends(context), _: Principal = admin) -> dict[str, str]:
    """A new API token for ``user``, shown once."""
    return {"user": user, "token": ctx.store.create_token(check_id(user, "user name"))}


@router.delete("/users/{user}")
def remove_user(user: str, ctx: Context = Depends(context), who: Principal = admin) -> dict[str, str]:
    """Delete a user with their tokens and sessions (effective on their next request)."""
    if check_id(user, "user name") == who.user:
        raise InvalidTransitionError("an admin cannot remove themselves", "ask another admin")
    ctx.store.remove_user(user)
    return {"user": user, "removed": "yes"}
