"""Staff accounts for the console (argon2 password hashes, roles) and the audit log of logins and changes."""

from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ivr.store.database import Store, local, translate_errors
from ivr.store.tables import audit_log, staff

Role = Literal["viewer", "editor", "admin"]
# Each role may do everything the roles before it may.
ROLES: tuple[Role, ...] = get_args(Role)
MIN_PASSWORD_LENGTH = 10
USERNAME_MAX = 64
_hasher = PasswordHasher()
# The database's timeouts are made for a caller's step; an audit entry may wait this long behind other writers.
AUDIT_WAIT_SECONDS = 5


@functools.cache
def _dummy_hash() -> str:
    """A hash verified against when the username is unknown, so a wrong name costs as long as a wrong password."""
    return _hasher.hash("not a password of anyone")


class StaffError(ValueError):
    """A staff account cannot be created or changed as asked; the message says why, `reason` names the check."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # name, role, password, taken or unknown: the console says it in its own words


@dataclass(frozen=True)
class Staff:
    """A person who may log in to the console."""

    id: int
    username: str
    role: Role
    active: bool
    created_at: datetime
    generation: int = 0  # raised by a logout, a password change or disabling: older login cookies are refused

    def may(self, role: Role) -> bool:
        """Tell whether this account's role includes the given one (viewer < editor < admin)."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class AuditEntry:
    """Who did what, when, and from where."""

    at: datetime
    actor: str
    action: str
    detail: str | None
    address: str | None


class StaffStore:
    """Reads and writes staff accounts and the audit log in the records database; a database that cannot be
    reached raises StoreUnavailable, like every store."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    @translate_errors
    def add(self, username: str, password: str, role: str, at: datetime) -> Staff:
        """Create an account; refuse a taken or malformed name, an unknown role or a short password."""
        if not username or len(username) > USERNAME_MAX or not username.isprintable() or " " in username:
            raise StaffError(f"'{username}' is not a usable login name; use up to {USERNAME_MAX} characters "
                             "without spaces, e.g. li.wei.", "name")
        if role not in ROLES:
            raise StaffError(f"'{role}' is not a role; choose one of {', '.join(ROLES)}.", "role")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise StaffError(f"The password is too short; use at least {MIN_PASSWORD_LENGTH} characters.", "password")
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(staff).values(
                    username=username, password_hash=_hasher.hash(password), role=role, active=True,
                    created_at=local(at)))
        except IntegrityError as exc:
            raise StaffError(f"There is already a staff account '{username}'; `ivr staff list` shows them.",
                             "taken") from exc
        found = self.get(username)
        assert found is not None
        return found

    @translate_errors
    def get(self, username: str) -> Staff | None:
        """Return the account with this login name, active or not."""
        return self._one(select(staff).where(staff.c.username == username))

    @translate_errors
    def by_id(self, staff_id: int) -> Staff | None:
        """Return the account with this id, active or not."""
        return self._one(select(staff).where(staff.c.id == staff_id))

    @translate_errors
    def all(self) -> list[Staff]:
        """Return every account, by login name."""
        with self.engine.connect() as connection:
            return [_staff(row) for row in connection.execute(select(staff).order_by(staff.c.username))]

    @translate_errors
    def disable(self, username: str) -> bool:
        """Stop an account from logging in and end its open sessions; False if unknown."""
        with self.engine.begin() as connection:
            return bool(connection.execute(update(staff).where(staff.c.username == username).values(
                active=False, session_generation=staff.c.session_generation + 1)).rowcount)

    def end_sessions(self, username: str) -> Staff | None:
        """End every open session of an account (a logout ends them all); None if unknown."""
        with self.engine.begin() as connection:
            connection.execute(update(staff).where(staff.c.username == username)
                               .values(session_generation=staff.c.session_generation + 1))
        return self.get(username)

    def set_password(self, username: str, password: str) -> Staff:
        """Give an account a new password (same rules as a new account) and end its open sessions."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise StaffError(f"The password is too short; use at least {MIN_PASSWORD_LENGTH} characters.", "password")
        with self.engine.begin() as connection:
            changed = connection.execute(update(staff).where(staff.c.username == username).values(
                password_hash=_hasher.hash(password), session_generation=staff.c.session_generation + 1)).rowcount
        found = self.get(username) if changed else None
        if found is None:
            raise StaffError(f"There is no staff account '{username}'; `ivr staff list` shows them.", "unknown")
        return found

    @translate_errors
    def authenticate(self, username: str, password: str) -> Staff | None:
        """Return the active account when the password is right, else None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(staff).where(staff.c.username == username)).first()
        try:
            _hasher.verify(row.password_hash if row else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.active:
            return None
        if _hasher.check_needs_rehash(row.password_hash):  # argon2's parameters were raised since
            with self.engine.begin() as connection:
                connection.execute(update(staff).where(staff.c.id == row.id)
                                   .values(password_hash=_hasher.hash(password)))
        return _staff(row)

    @translate_errors
    def audit(self, actor: str, action: str, at: datetime, detail: str | None = None,
              address: str | None = None) -> None:
        """Keep one entry in the audit log, waiting a few seconds behind other writers (a burst of logins)."""
        deadline = time.monotonic() + AUDIT_WAIT_SECONDS
        while True:
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(audit_log).values(
                        at=local(at), actor=actor[:64], action=action[:32], detail=detail,
                        address=(address or "")[:64] or None))
                return
            except OperationalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.03))

    @translate_errors
    def audit_entries(self, limit: int = 200) -> list[AuditEntry]:
        """Return the newest audit entries first."""
        query = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [AuditEntry(local(row.at), row.actor, row.action, row.detail, row.address)
                    for row in connection.execute(query)]

    def _one(self, query: object) -> Staff | None:
        with self.engine.connect() as connection:
            row = connection.execute(query).first()  # type: ignore[call-overload]
        return _staff(row) if row else None


def _staff(row: object) -> Staff:
    return Staff(row.id, row.username, row.role, bool(row.active), local(row.created_at),  # type: ignore[attr-defined]
                 row.session_generation)  # type: ignore[attr-defined]
