"""Users, roles, scopes and sessions for the web app.

Passwords are hashed with argon2id; a session cookie holds a random token whose SHA-256 is stored,
so a copy of the database never yields a usable cookie. Each session has its own CSRF token.
Failed logins are rate-limited per username and per client address. Logins and user changes are audited.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.registry import store
from wangdi.registry.tables import app_user, audit, web_session
from wangdi.web import places

ROLES = {"administrator": "系统管理员", "analyst": "分析人员", "data_entry": "数据录入", "approver": "审核人员",
         "viewer": "只读用户"}
# permission -> roles holding it; every role may read within its scope
PERMISSIONS: dict[str, set[str]] = {
    "read": set(ROLES),
    "edit": {"administrator", "data_entry"},  # data entry forms and census import
    "run": {"administrator", "analyst"},  # start evaluation runs
    "submit": {"administrator", "data_entry"},  # submit a township's census for approval
    "approve": {"administrator", "approver"},  # approve / return / reopen
    "admin": {"administrator"},  # users, audit log
}
SESSION_HOURS = 12
MAX_FAILURES, WINDOW_S = 5, 300
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    username: str
    role: str
    scope_code: str
    display_name: str = ""

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    def require(self, permission: str) -> None:
        """Raise 403 unless the role holds `permission`."""
        if not self.can(permission):
            raise WangdiError("forbidden", f"您的角色（{ROLES[self.role]}）没有此权限",
                              f"role {self.role} lacks {permission}")

    def in_scope(self, code: str) -> bool:
        """A division or institution location lies inside the user's subtree."""
        return code.startswith(self.scope_code)

    def public(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role, "role_zh": ROLES[self.role],
                "scope_code": self.scope_code, "scope_name": places.path_name(self.scope_code) if self.scope_code
                else "全部", "display_name": self.display_name,
                "permissions": sorted(p for p in PERMISSIONS if self.can(p))}


def _audit(conn: sa.Connection, actor: str, action: str, key: str, new: dict[str, Any] | None = None) -> None:
    conn.execute(audit.insert().values(at=datetime.now().replace(microsecond=0), actor=actor, action=action,
                                       table_name="app_user", entity_key=key, old=None,
                                       new=json.dumps(new, ensure_ascii=False) if new else None, batch=None))


def add_user(username: str, password: str, role: str, scope: str, display_name: str = "",
             url: str | None = None, actor: str = "cli") -> User:
    """Create or replace a user (role and scope checked; password at least 8 characters)."""
    if role not in ROLES:
        raise WangdiError("bad-role", f"角色应为 {'、'.join(ROLES)} 之一，收到 {role}", f"unknown role {role}")
    if scope:
        divisions.get(scope)  # raises a clear error for an unknown code
    if len(password) < 8:
        raise WangdiError("weak-password", "密码至少 8 个字符", "password must have at least 8 characters")
    if not username.strip() or len(username) > 64:
        raise WangdiError("bad-username", "用户名不能为空且不超过 64 个字符", "bad username")
    eng = store.init_db(url)
    row = {"username": username, "password_hash": _hasher.hash(password), "role": role, "scope_code": scope,
           "display_name": display_name or username, "active": True, "created_at": datetime.now().replace(microsecond=0)}
    with store.write_transaction(eng) as conn:
        conn.execute(app_user.delete().where(app_user.c.username == username))
        conn.execute(app_user.insert().values(**row))
        # a new password or role ends every session the user had (a stolen cookie dies with the old password)
        conn.execute(web_session.delete().where(web_session.c.username == username))
        _audit(conn, actor, "user_set", username, {"role": role, "scope_code": scope})
    return User(username, role, scope, display_name or username)


def disable_user(username: str, url: str | None = None, actor: str = "cli") -> None:
    """Deactivate a user and end their sessions at once (the row stays for the audit trail)."""
    eng = store.init_db(url)
    with store.write_transaction(eng) as conn:
        n = conn.execute(app_user.update().where(app_user.c.username == username).values(active=False)).rowcount
        if n != 1:
            raise WangdiError("user-not-found", f"没有用户 {username}；用 wangdi users list 查看", f"no user {username}")
        conn.execute(web_session.delete().where(web_session.c.username == username))
        _audit(conn, actor, "user_disabled", username)


def list_users(url: str | None = None) -> list[dict[str, Any]]:
    eng = store.init_db(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.select(app_user.c.username, app_user.c.role, app_user.c.scope_code,
                                      app_user.c.display_name, app_user.c.active, app_user.c.created_at)
                            .order_by(app_user.c.username)).all()
    return [dict(r._mapping) for r in rows]


class RateLimiter:
    """At most MAX_FAILURES failed logins per key in WINDOW_S seconds (in memory, per process).

    An attempt is counted BEFORE the password is checked (`attempt` reserves it atomically), so parallel
    guesses cannot all slip under the limit; a success takes back only its own reservation."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = WINDOW_S) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def attempt(self, *keys: str) -> float | None:
        """Reserve one attempt on every key, or None when any key is at its limit (nothing reserved)."""
        now = time.monotonic()
        with self._lock:
            if any(len(self._live(k, now)) >= self.limit for k in keys):
                return None
            for k in keys:
                self._fails[k].append(now)
        return now

    def release(self, stamp: float, *keys: str) -> None:
        """Take back the reservation `stamp` (the attempt succeeded); other failures stay counted."""
        with self._lock:
            for k in keys:
                q = self._fails.get(k)
                if q is not None and stamp in q:
                    q.remove(stamp)

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._live(k, now)) >= self.limit for k in keys)

    def fail(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._fails.setdefault(k, deque()).append(time.monotonic())

    def reset(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._fails.pop(k, None)


_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))  # checked for unknown users: the same work, the same time


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(username: str, password: str, client: str, limiter: RateLimiter,
          url: str | None = None) -> tuple[User, str, str]:
    """Check a password; returns the user, a new session token and its CSRF token. Audited either way."""
    keys = (f"u:{username}", f"ip:{client}")
    stamp = limiter.attempt(*keys)
    if stamp is None:
        raise WangdiError("too-many-attempts", f"登录失败次数过多，请 {WINDOW_S // 60} 分钟后再试",
                          "too many failed logins; try again later")
    eng = store.init_db(url)
    with eng.connect() as conn:
        row = conn.execute(sa.select(app_user).where(app_user.c.username == username)).first()
    known = row is not None and bool(row.active)
    try:
        ok = _hasher.verify(row.password_hash if known and row is not None else _DUMMY_HASH, password) and known
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        with store.write_transaction(eng) as conn:
            _audit(conn, username[:64], "login_failed", username[:64], {"client": client})
        raise WangdiError("bad-credentials", "用户名或密码错误", "wrong username or password")
    limiter.release(stamp, *keys)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = datetime.now().replace(microsecond=0)
    with store.write_transaction(eng) as conn:
        conn.execute(web_session.delete().where(web_session.c.expires_at < now))
        conn.execute(web_session.insert().values(token_hash=_digest(token), username=username, csrf=csrf,
                                                 created_at=now, expires_at=now + timedelta(hours=SESSION_HOURS)))
        _audit(conn, username, "login", username, {"client": client})
    return User(row.username, row.role, row.scope_code, str(row.display_name or "")), token, csrf


def session_user(token: str | None, url: str | None = None) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, or None."""
    if not token:
        return None
    eng = store.init_db(url)
    j = web_session.join(app_user, app_user.c.username == web_session.c.username)
    with eng.connect() as conn:
        row = conn.execute(sa.select(app_user.c.username, app_user.c.role, app_user.c.scope_code,
                                     app_user.c.display_name, web_session.c.csrf, web_session.c.expires_at)
                           .select_from(j).where(web_session.c.token_hash == _digest(token),
                                                 app_user.c.active.is_(True))).first()
    if row is None or row.expires_at < datetime.now():
        return None
    return User(row.username, row.role, row.scope_code, str(row.display_name or "")), row.csrf


def logout(token: str, url: str | None = None) -> None:
    eng = store.init_db(url)
    with store.write_transaction(eng) as conn:
        conn.execute(web_session.delete().where(web_session.c.token_hash == _digest(token)))
