"""Local accounts and sessions: argon2id password hashes, throttled sign-in, expiring sessions.

Passwords are hashed with argon2-cffi's ``PasswordHasher`` (argon2id) and never stored or logged
in clear. After ``MAX_FAILURES`` failed attempts within ``THROTTLE_WINDOW`` a user name is refused
without checking the password until the window has passed. A session is a random token (256 bits)
held by the browser; the server keeps only its SHA-256, with an idle and an absolute expiry, and
ends it on sign-out.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from data_access import audit
from data_access.errors import FootprintError, InvalidFilter
from data_access.filters import Scope
from data_access.queries._frames import frame
from data_access.roles import ROLES, role, scope_for
from data_access.schema import (
    audit_log,
    officers,
    roles,
    user_sessions,
    users,
)
from data_access.settings import get_setting

MAX_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 8
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, t=3)


class SignInRefused(FootprintError):
    """Sign-in refused: ``reason`` is 'wrong' (name or password), 'throttled' or 'disabled'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class User:
    """A signed-in person: who, which role, and the scope of rows they may see."""

    username: str
    display_name: str
    role: str
    scope: Scope

    def may_open(self, page: str) -> bool:
        """Whether the role grants the page (URL path)."""
        return page in ROLES[self.role].pages

    def may(self, action: str) -> bool:
        """Whether the role grants the action."""
        return action in ROLES[self.role].actions

    @property
    def officer_id(self) -> int | None:
        """The officer this user is (an officer's own book), else None."""
        return self.scope.officer_id if self.scope.level == "officer" else None


def session_limits() -> tuple[timedelta, timedelta]:
    """(idle, absolute) session lifetime from the settings."""
    idle = timedelta(minutes=int(get_setting("session_idle_minutes")))
    absolute = timedelta(hours=int(get_setting("session_hours")))
    return idle, absolute


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (which must have at least MIN_PASSWORD characters)."""
    if len(password) < MIN_PASSWORD:
        raise InvalidFilter(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _branch_ids(text: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in (text or "").split(",") if p.strip().isdigit())


def _user_from_row(conn: sa.Connection, row: sa.Row) -> User:
    branch_id = row.branch_id
    if row.officer_id is not None:
        # an officer's branch is where the officer works today
        current = conn.execute(
            sa.select(officers.c.branch_id).where(officers.c.officer_id == row.officer_id)
        ).scalar()
        branch_id = current if current is not None else branch_id
    scope = scope_for(row.role, branch_id, row.officer_id, _branch_ids(row.branch_ids))
    return User(row.username, row.display_name, row.role, scope)


def load_user(conn: sa.Connection, username: str) -> User | None:
    """The active user called ``username``, or None."""
    row = conn.execute(
        sa.select(users).where(users.c.username == username, users.c.active.is_(True))
    ).one_or_none()
    return None if row is None else _user_from_row(conn, row)


def _check_assignment(
    conn: sa.Connection,
    role_code: str,
    branch_id: int | None,
    officer_id: int | None,
    branch_ids: tuple[int, ...],
) -> None:
    """Role known, scope complete, officer belongs to the branch given (if both are)."""
    role(role_code)
    if officer_id is not None:
        current = conn.execute(
            sa.select(officers.c.branch_id).where(officers.c.officer_id == officer_id)
        ).scalar()
        if current is None:
            raise InvalidFilter(f"no officer {officer_id}")
        branch_id = branch_id or current
    scope_for(role_code, branch_id, officer_id, branch_ids)


def create_user(
    conn: sa.Connection,
    username: str,
    password: str | None,
    role_code: str,
    *,
    display_name: str | None = None,
    branch_id: int | None = None,
    officer_id: int | None = None,
    branch_ids: tuple[int, ...] = (),
    by: str = "cli",
    oidc_subject: str | None = None,
) -> None:
    """Create an active user (the caller commits); password None for single-sign-on users only."""
    username = username.strip()
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise InvalidFilter("a user name needs 1 to 64 characters without spaces")
    if conn.execute(sa.select(users.c.user_id).where(users.c.username == username)).first():
        raise InvalidFilter(f"user {username!r} exists already")
    _check_assignment(conn, role_code, branch_id, officer_id, branch_ids)
    conn.execute(
        users.insert().values(
            username=username,
            display_name=(display_name or username)[:64],
            role=role_code,
            branch_id=branch_id,
            officer_id=officer_id,
            branch_ids=_listed(branch_ids),
            password_hash=hash_password(password) if password is not None else None,
            active=True,
            created_at=audit.now(),
            oidc_subject=oidc_subject,
        )
    )
    _audit_role(conn, by, username, "create", role_code, branch_id, officer_id, branch_ids)


def _audit_role(
    conn: sa.Connection,
    by: str,
    username: str,
    change: str,
    role_code: str,
    branch_id: int | None,
    officer_id: int | None,
    branch_ids: tuple[int, ...],
) -> None:
    """Audit a user given a role and scope (created or assigned)."""
    detail = {
        "change": change,
        "role": role_code,
        "branch_id": branch_id,
        "officer_id": officer_id,
        "branch_ids": list(branch_ids),
    }
    audit.record(conn, by, "user_change", target=username, detail=detail)


def _listed(branch_ids: tuple[int, ...]) -> str | None:
    """The users.branch_ids column: '3,5', or NULL for none."""
    return ",".join(map(str, branch_ids)) or None


def _existing(conn: sa.Connection, username: str) -> sa.Row:
    row = conn.execute(sa.select(users).where(users.c.username == username)).one_or_none()
    if row is None:
        raise InvalidFilter(f"no user {username!r}")
    return row


def set_active(conn: sa.Connection, username: str, active: bool, by: str = "cli") -> None:
    """Disable (and sign out everywhere) or enable a user."""
    _existing(conn, username)
    conn.execute(users.update().where(users.c.username == username).values(active=active))
    if not active:
        end_all_sessions(conn, username)
    change = "enable" if active else "disable"
    audit.record(conn, by, "user_change", target=username, detail={"change": change})


def reset_password(conn: sa.Connection, username: str, password: str, by: str = "cli") -> None:
    """Set a new password and end the user's sessions."""
    _existing(conn, username)
    conn.execute(
        users.update()
        .where(users.c.username == username)
        .values(password_hash=hash_password(password))
    )
    end_all_sessions(conn, username)
    audit.record(conn, by, "user_change", target=username, detail={"change": "reset_password"})


def assign(
    conn: sa.Connection,
    username: str,
    role_code: str,
    *,
    branch_id: int | None = None,
    officer_id: int | None = None,
    branch_ids: tuple[int, ...] = (),
    by: str = "cli",
    end_sessions: bool = True,
) -> None:
    """Give a user a role and scope; open sessions end (the next page asks to sign in again)."""
    _existing(conn, username)
    _check_assignment(conn, role_code, branch_id, officer_id, branch_ids)
    conn.execute(
        users.update()
        .where(users.c.username == username)
        .values(
            role=role_code,
            branch_id=branch_id,
            officer_id=officer_id,
            branch_ids=_listed(branch_ids),
        )
    )
    if end_sessions:
        end_all_sessions(conn, username)
    _audit_role(conn, by, username, "assign", role_code, branch_id, officer_id, branch_ids)


def has_users(conn: sa.Connection) -> bool:
    """Whether any active user exists (a new bank's database has none)."""
    return (
        conn.execute(sa.select(users.c.user_id).where(users.c.active.is_(True))).first() is not None
    )


USER_SCHEMA = {
    "username": pl.String,
    "display_name": pl.String,
    "role": pl.String,
    "branch_id": pl.Int64,
    "officer_id": pl.Int64,
    "branch_ids": pl.String,
    "active": pl.Boolean,
    "created_at": pl.Datetime("us"),
}


def list_users(conn: sa.Connection) -> pl.DataFrame:
    """Every user (never the password hash), by name."""
    stmt = sa.select(*(users.c[c] for c in USER_SCHEMA)).order_by(users.c.username)
    return frame(conn, stmt, USER_SCHEMA)


# --- signing in -----------------------------------------------------------------------------


def _recent_failures(conn: sa.Connection, username: str, at: datetime) -> int:
    a = audit_log.c
    since = at - THROTTLE_WINDOW
    last_ok = (
        sa.select(sa.func.max(a.occurred_at))
        .where(a.username == username, a.action == "sign_in")
        .scalar_subquery()
    )
    stmt = sa.select(sa.func.count()).where(
        a.username == username,
        a.action == "sign_in_failed",
        a.occurred_at >= since,
        sa.or_(last_ok.is_(None), a.occurred_at >= last_ok),
    )
    return int(conn.execute(stmt).scalar_one())


def authenticate(engine: sa.Engine, username: str, password: str) -> User:
    """The user, if the password is right and the name is not throttled; every attempt audited."""
    username = username.strip()[:64]
    at = audit.now()
    refused: str | None = None
    with engine.begin() as conn:  # the audit entry is committed before any refusal is raised
        if _recent_failures(conn, username, at) >= MAX_FAILURES:
            audit.record(conn, username, "sign_in_throttled", at=at)
            refused = "throttled"
        else:
            row = conn.execute(sa.select(users).where(users.c.username == username)).one_or_none()
            # hash something even for an unknown name, so the answer takes as long
            ok = _verify(row.password_hash if row is not None else _DUMMY_HASH, password)
            if row is None or not ok:
                audit.record(conn, username, "sign_in_failed", at=at)
                refused = "wrong"
            elif not row.active:
                audit.record(conn, username, "sign_in_failed", detail={"reason": "disabled"}, at=at)
                refused = "disabled"
            else:
                user = _user_from_row(conn, row)
    if refused:
        raise SignInRefused(refused)
    return user


_DUMMY_HASH = _HASHER.hash("not-a-password-of-anyone")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine: sa.Engine, user: User, via: str = "password") -> str:
    """Start a session for a signed-in user (audited 'sign_in'); the browser's token."""
    token = secrets.token_urlsafe(32)
    at = audit.now()
    _, absolute = session_limits()
    with engine.begin() as conn:
        conn.execute(
            user_sessions.insert().values(
                token_hash=_digest(token),
                username=user.username,
                created_at=at,
                last_seen_at=at,
                expires_at=at + absolute,
            )
        )
        audit.record(conn, user.username, "sign_in", detail={"via": via, "role": user.role}, at=at)
    return token


def resume_session(engine: sa.Engine, token: str | None) -> User | None:
    """The user of a live session (its idle clock restarts), or None; an expired one is ended."""
    if not token or len(token) > 100:
        return None
    at = audit.now()
    idle, _ = session_limits()
    s = user_sessions.c
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(s.username, s.last_seen_at, s.expires_at, s.ended_at).where(
                s.token_hash == _digest(token)
            )
        ).one_or_none()
        if row is None or row.ended_at is not None:
            return None
        if at >= row.expires_at or at - row.last_seen_at >= idle:
            conn.execute(
                user_sessions.update().where(s.token_hash == _digest(token)).values(ended_at=at)
            )
            reason = "absolute" if at >= row.expires_at else "idle"
            audit.record(conn, row.username, "session_expired", detail={"reason": reason}, at=at)
            return None
        user = load_user(conn, row.username)
        if user is None:  # disabled meanwhile
            return None
    if at - row.last_seen_at >= timedelta(seconds=30):  # not a write on every rerun
        try:
            with engine.begin() as conn:
                conn.execute(
                    user_sessions.update()
                    .where(s.token_hash == _digest(token))
                    .values(last_seen_at=at)
                )
        except sa.exc.DBAPIError:  # Spark tables take no UPDATE: the idle clock is not restarted
            pass
    return user


def end_session(engine: sa.Engine, token: str | None, username: str) -> None:
    """Sign out: end the session and audit it."""
    at = audit.now()
    with engine.begin() as conn:
        if token:
            conn.execute(
                user_sessions.update()
                .where(user_sessions.c.token_hash == _digest(token))
                .values(ended_at=at)
            )
        audit.record(conn, username, "sign_out", at=at)


def end_all_sessions(conn: sa.Connection, username: str) -> None:
    """End every open session of a user (disabled, new password, new role)."""
    s = user_sessions.c
    conn.execute(
        user_sessions.update()
        .where(s.username == username, s.ended_at.is_(None))
        .values(ended_at=audit.now())
    )


# --- tables and demo accounts -----------------------------------------------------------------


def ensure_roles(engine: sa.Engine) -> None:
    """Write the roles of ``data_access.roles`` that the ``roles`` table lacks (the tables come
    from the migrations: ``python -m data_access upgrade``)."""
    with engine.begin() as conn:
        known = set(conn.execute(sa.select(roles.c.role)).scalars())
        missing = [r for code, r in ROLES.items() if code not in known]
        if missing:
            conn.execute(
                roles.insert(),
                [
                    {"role": r.code, "label_zh": r.label_zh, "label_en": r.label_en,
                     "description": r.description}
                    for r in missing
                ],
            )  # fmt: skip


def _demo_assignment(conn: sa.Connection) -> dict[str, dict[str, int]]:
    """Where the demo's president, officer and credit user work: the first branch."""
    first = conn.execute(sa.select(sa.func.min(officers.c.branch_id))).scalar_one()
    officer_id = conn.execute(
        sa.select(sa.func.min(officers.c.officer_id)).where(
            officers.c.branch_id == first, officers.c.role.not_in(["teller", "credit_officer"])
        )
    ).scalar_one()
    return {
        "president": {"branch_id": first},
        "officer": {"branch_id": first, "officer_id": officer_id},
        "credit": {"branch_id": first},
    }


def ensure_demo_accounts(engine: sa.Engine) -> int:
    """The demo bank's users, one per role (``demo.app_records.demo_accounts``); users created."""
    from data_access.demo.app_records import demo_accounts

    ensure_roles(engine)
    created = 0
    with engine.begin() as conn:
        where = _demo_assignment(conn)
        for username, password, code in demo_accounts():
            row = conn.execute(
                sa.select(users.c.password_hash).where(users.c.username == username)
            ).one_or_none()
            if row is not None and row.password_hash:
                continue
            if row is not None:  # a user of an older demo, without a password: replaced
                conn.execute(users.delete().where(users.c.username == username))
            create_user(
                conn,
                username,
                password,
                code,
                display_name=f"{ROLES[code].label_zh}(演示)",
                by="demo",
                **where.get(code, {}),
            )
            created += 1
    return created
