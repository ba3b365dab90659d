"""API tokens and roles: ``Authorization: Bearer <token>``; admin > operator > viewer.

Users and token hashes live in one JSON file (default ``$EDGEWEAVE_HOME/auth.json``, mode
0600, replaced atomically). Passwords are hashed with scrypt; tokens (``ew_<id>_<secret>``,
256 random bits) with one salted SHA-256 and looked up by id; every comparison uses
``hmac.compare_digest``.

UI sessions are server-side: the cookie carries a random 256-bit session id, the file keeps
only its SHA-256 with the user and an expiry, so logging out (or an admin removing the
user) ends the session at once. A session's CSRF token is an HMAC of its id, so it needs no
storage and cannot be derived without the HttpOnly cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from edgeweave.config import get_settings
from edgeweave.errors import AuthError, NotFoundError, ParameterError


class Role(str, Enum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


@dataclass(frozen=True)
class Principal:
    user: str
    role: Role

    def can(self, needed: Role) -> bool:
        return self.role.rank >= needed.rank


@dataclass(frozen=True)
class AdminCredentials:
    """Returned once, when ``ensure_admin`` creates the admin: show it, it is not stored."""

    user: str
    password: str
    token: str


@dataclass(frozen=True)
class AuthConfig:
    """Where users live; ``enabled=False`` makes every caller an admin (local dev only)."""

    path: Path | None = None
    enabled: bool = True
    secure_cookies: bool | None = None
    """Mark the session cookie Secure: None = when the request came over HTTPS (behind a
    TLS proxy, run uvicorn with proxy headers), True = always (the browser then sends it
    over HTTPS only), False = never."""

    def store(self) -> AuthStore:
        return AuthStore(self.path or get_settings().home / "auth.json")


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)


def _token_hash(secret: str, salt: bytes) -> bytes:
    """One salted SHA-256: a token's secret is 256 random bits, so key stretching (which
    protects guessable passwords) adds nothing but ~3 ms to every API request."""
    return hashlib.sha256(salt + secret.encode()).digest()


SESSION_TTL_S = 12 * 3600
MIN_PASSWORD = 10


def session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session: HMAC-SHA256 keyed by the (secret) session id."""
    return hmac.new(session_id.encode(), b"edgeweave-csrf", hashlib.sha256).hexdigest()


class AuthStore:
    """Users (name -> role, password hash) and tokens (id -> user, hash) in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int], dict[str, Any]] | None = None

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"users": {}, "tokens": {}, "sessions": {}}
        data: dict[str, Any] = json.loads(self.path.read_text())
        data.setdefault("sessions", {})
        return data

    def _snapshot(self) -> dict[str, Any]:
        """Read-only view for lookups, re-read only when the file changes on disk."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {"users": {}, "tokens": {}, "sessions": {}}
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cached
        if cached is None or cached[0] != key:
            cached = (key, self._load())
            self._cached = cached
        return cached[1]

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".auth-", dir=self.path.parent)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def add_user(self, user: str, role: Role | str, password: str | None = None) -> str:
        """Create or update ``user``; returns the password (generated when not given)."""
        if not user or not user.isidentifier():
            raise ParameterError(f"bad user name {user!r}", "use letters, digits and '_'")
        password = password or secrets.token_urlsafe(18)
        salt = secrets.token_bytes(16)
        with self._lock:
            data = self._load()
            data["users"][user] = {"role": Role(role).value, "salt": salt.hex(),
                                   "password": _scrypt(password, salt).hex()}
            self._save(data)
        return password

    def change_password(self, user: str, current: str, new: str, keep_session: str = "") -> None:
        """Set ``user``'s password after checking the current one; every other session of the
        user ends (a stolen session does not survive the change). Tokens are kept."""
        if len(new) < MIN_PASSWORD:
            raise ParameterError(f"the new password is too short ({len(new)} characters)",
                                 f"use at least {MIN_PASSWORD} characters")
        who = self.check_password(user, current)
        if who is None:
            raise AuthError("the current password is wrong", "type the password you logged in with")
        salt = secrets.token_bytes(16)
        keep = session_key(keep_session) if keep_session else None
        with self._lock:
            data = self._load()
            data["users"][user].update(salt=salt.hex(), password=_scrypt(new, salt).hex())
            data["sessions"] = {k: v for k, v in data["sessions"].items() if v["user"] != user or k == keep}
            self._save(data)

    def check_password(self, user: str, password: str) -> Principal | None:
        entry = self._load()["users"].get(user)
        if entry is None:
            return None
        digest = _scrypt(password, bytes.fromhex(entry["salt"]))
        ok = hmac.compare_digest(digest.hex(), entry["password"])
        return Principal(user, Role(entry["role"])) if ok else None

    def create_token(self, user: str) -> str:
        """A new token for ``user`` (plaintext returned once; only its hash is kept)."""
        token_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_bytes(16)
        with self._lock:
            data = self._load()
            if user not in data["users"]:
                raise NotFoundError(f"no user {user!r}", "create the user first")
            data["tokens"][token_id] = {"user": user, "salt": salt.hex(),
                                        "hash": _token_hash(secret, salt).hex()}
            self._save(data)
        return f"ew_{token_id}_{secret}"

    def authenticate(self, token: str) -> Principal | None:
        """The principal a bearer token belongs to, or None (unknown, revoked, malformed)."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "ew":
            return None
        data = self._snapshot()
        entry = data["tokens"].get(parts[1])
        if entry is None:
            return None
        digest = _token_hash(parts[2], bytes.fromhex(entry["salt"])).hex()
        user = data["users"].get(entry["user"])
        if not hmac.compare_digest(digest, entry["hash"]) or user is None:
            return None
        return Principal(entry["user"], Role(user["role"]))

    def create_session(self, user: str, ttl_s: float = SESSION_TTL_S) -> str:
        """A new UI session for ``user``; returns the id for the cookie (only its hash is kept).
        Expired sessions are dropped on the way."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            data = self._load()
            if user not in data["users"]:
                raise NotFoundError(f"no user {user!r}", "create the user first")
            data["sessions"] = {k: v for k, v in data["sessions"].items() if v["expires"] > now}
            data["sessions"][session_key(session_id)] = {"user": user, "expires": now + ttl_s}
            self._save(data)
        return session_id

    def session_user(self, session_id: str) -> Principal | None:
        """The principal of a live session (role read now, so a demotion applies at once)."""
        if not session_id or len(session_id) > 100:
            return None
        data = self._snapshot()
        entry = data.get("sessions", {}).get(session_key(session_id))
        if entry is None or entry["expires"] <= time.time():
            return None
        user = data["users"].get(entry["user"])
        return Principal(entry["user"], Role(user["role"])) if user else None

    def end_session(self, session_id: str) -> None:
        with self._lock:
            data = self._load()
            if data["sessions"].pop(session_key(session_id), None) is not None:
                self._save(data)

    def users(self) -> dict[str, dict[str, Any]]:
        """user -> role, token count and live session count (no secrets)."""
        data, now = self._load(), time.time()
        return {name: {"role": u["role"],
                       "tokens": sum(t["user"] == name for t in data["tokens"].values()),
                       "sessions": sum(s["user"] == name and s["expires"] > now
                                       for s in data["sessions"].values())}
                for name, u in sorted(data["users"].items())}

    def remove_user(self, user: str) -> None:
        """Delete ``user`` with all their tokens and sessions (effective at once)."""
        with self._lock:
            data = self._load()
            if data["users"].pop(user, None) is None:
                raise NotFoundError(f"no user {user!r}", f"users: {', '.join(data['users']) or 'none'}")
            data["tokens"] = {k: v for k, v in data["tokens"].items() if v["user"] != user}
            data["sessions"] = {k: v for k, v in data["sessions"].items() if v["user"] != user}
            self._save(data)

    def revoke(self, token: str) -> bool:
        token_id = token.split("_", 2)[1] if token.count("_") >= 2 else token
        with self._lock:
            data = self._load()
            gone = data["tokens"].pop(token_id, None) is not None
            self._save(data)
        return gone

    def ensure_admin(self, user: str = "admin") -> AdminCredentials | None:
        """On first start create an admin with a password and a token; None if one exists."""
        users = self._load()["users"]
        if any(u["role"] == Role.ADMIN.value for u in users.values()):
            return None
        password = self.add_user(user, Role.ADMIN)
        return AdminCredentials(user, password, self.create_token(user))
