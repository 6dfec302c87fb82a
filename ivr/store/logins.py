"""Failed logins counted in the database per account and address, shared by every worker and server.

A try is reserved (counted as a failure) in one locked transaction before its password is checked, so a burst of
parallel tries checks at most LIMIT passwords; a right password clears the count, a wrong one may lock the account
at that address for a while that doubles at each lock, up to a day. The owner at another address is not affected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ivr.store.database import Store, local, translate_errors
from ivr.store.tables import login_attempts

LIMIT = 5  # wrong passwords for an account from one address before it is locked there
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(days=1)
# A day without a failed try or a lock forgets an account's failures and locks at an address.
QUIET = timedelta(days=1)
# A try reserved this long ago and never answered was lost with its process: it counts as a wrong password.
STALE = timedelta(minutes=1)
KEY_MAX = 64

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempts:
    """What is known of the failed logins of one account from one address."""

    failures: int = 0  # tries since the last lock (or success), including those whose password is being checked
    locks: int = 0  # locks so far: each lasts twice the one before
    locked_until: datetime | None = None  # the end of the current or the last lock
    last_failure_at: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    """Whether a login try may check its password; when not, until when the account is locked at the address."""

    allowed: bool
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Lock:
    """An account locked at an address, as the staff page shows it."""

    username: str
    address: str
    locked_until: datetime


def reserve(state: Attempts, at: datetime) -> Attempts | None:
    """Return the state with one more try counted, or None when the try must be refused without a check."""
    if state.locked_until is not None and at < state.locked_until:
        return None
    quiet_since = max((m for m in (state.last_failure_at, state.locked_until) if m is not None), default=None)
    if quiet_since is not None and at - quiet_since >= QUIET:
        state = Attempts()
    if state.failures >= LIMIT and state.last_failure_at is not None and at - state.last_failure_at >= STALE:
        # The last tries' processes died before they answered: lock as their wrong passwords would have.
        state = failed(state, state.last_failure_at)
        if state.locked_until is not None and at < state.locked_until:
            return None
    if state.failures >= LIMIT:
        return None  # the last tries are still being checked
    return replace(state, failures=state.failures + 1, last_failure_at=at)


def failed(state: Attempts, at: datetime) -> Attempts:
    """Return the state after a wrong password: at the limit, a lock twice as long as the last (at most a day)."""
    if state.failures < LIMIT:
        return state
    length = min(FIRST_LOCK * 2 ** min(state.locks, 16), LONGEST_LOCK)
    # The count starts again when the lock ends; tries still being checked do not lock again.
    return replace(state, failures=0, locks=state.locks + 1, locked_until=at + length)


class LoginAttempts:
    """The failed logins of every account and address, in the records database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    @translate_errors
    def reserve(self, username: str, address: str, at: datetime) -> Verdict:
        """Count one try of an account from an address before its password is checked, or refuse it."""
        refused: list[datetime | None] = []

        def change(state: Attempts) -> Attempts | None:
            new = reserve(state, at)
            if new is None:
                refused.append(state.locked_until if state.locked_until and state.locked_until > at else None)
            return new

        self._change(username, address, change)
        return Verdict(False, refused[0]) if refused else Verdict(True)

    @translate_errors
    def failed(self, username: str, address: str, at: datetime) -> datetime | None:
        """Note that a reserved try's password was wrong; return the end of the lock it started, if any."""
        new = self._change(username, address, lambda state: failed(state, at))
        self._forget_quiet(at)
        return new.locked_until if new is not None and new.locked_until and new.locked_until > at else None

    @translate_errors
    def succeeded(self, username: str, address: str) -> None:
        """Clear the failures of an account at an address after its right password."""
        with self.engine.begin() as connection:
            connection.execute(delete(login_attempts).where(_key(username, address)))

    @translate_errors
    def unlock(self, username: str, at: datetime) -> int:
        """Clear the failures and locks of an account at every address; return how many addresses were locked."""
        with self.engine.begin() as connection:
            rows = connection.execute(select(login_attempts).where(
                login_attempts.c.username == _folded(username)).with_for_update()).all()
            connection.execute(delete(login_attempts).where(login_attempts.c.username == _folded(username)))
        return sum(1 for row in rows if (row.locked_until is not None and local(row.locked_until) > at)
                   or row.failures >= LIMIT)

    @translate_errors
    def locks(self, at: datetime) -> list[Lock]:
        """Return the accounts locked now at some address, by account and address."""
        query = (select(login_attempts).where(login_attempts.c.locked_until > local(at))
                 .order_by(login_attempts.c.username, login_attempts.c.address))
        with self.engine.connect() as connection:
            return [Lock(row.username, row.address, local(row.locked_until)) for row in connection.execute(query)]

    @translate_errors
    def state(self, username: str, address: str) -> Attempts:
        """Return what is known of an account's failed logins from an address."""
        with self.engine.connect() as connection:
            row = connection.execute(select(login_attempts).where(_key(username, address))).first()
        return _attempts(row) if row else Attempts()

    def _change(self, username: str, address: str,
                change: Callable[[Attempts], Attempts | None]) -> Attempts | None:
        """Apply a change to the row of an account and address, locked for the whole transaction."""
        user, where = _folded(username), _folded(address)
        with self.engine.begin() as connection:
            _insert_missing(connection, user, where)
            row = connection.execute(select(login_attempts).where(_key(user, where)).with_for_update()).one()
            old = _attempts(row)
            new = change(old)
            if new is not None and new != old:
                connection.execute(update(login_attempts).where(login_attempts.c.id == row.id).values(
                    failures=new.failures, locks=new.locks,
                    locked_until=local(new.locked_until) if new.locked_until else None,
                    last_failure_at=local(new.last_failure_at) if new.last_failure_at else None))
        return new

    def _forget_quiet(self, at: datetime) -> None:
        """Delete the rows of addresses quiet for a day (names an attacker made up); housekeeping only."""
        since = local(at - QUIET)
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(login_attempts).where(
                    login_attempts.c.last_failure_at < since,
                    or_(login_attempts.c.locked_until.is_(None), login_attempts.c.locked_until < since)))
        except SQLAlchemyError as exc:  # the next failed login tries again
            log.warning("Could not forget old failed logins: %s", exc)


def _insert_missing(connection: Connection, username: str, address: str) -> None:
    """Create the row of an account and address unless it exists.

    On SQLite this write also takes the database's write lock before the row is read, so the read and the update
    that follows are one step for every other process; on PostgreSQL the SELECT ... FOR UPDATE locks the row.
    """
    dialect: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(login_attempts).values(username=username, address=address, failures=0, locks=0)
                       .on_conflict_do_nothing(index_elements=["username", "address"]))


def _key(username: str, address: str) -> Any:
    return and_(login_attempts.c.username == _folded(username), login_attempts.c.address == _folded(address))


def _folded(value: str) -> str:
    """The key a typed name or an address is counted under: case-folded, at most KEY_MAX characters."""
    return value.casefold()[:KEY_MAX]


def _attempts(row: Any) -> Attempts:
    return Attempts(row.failures, row.locks, local(row.locked_until) if row.locked_until else None,
                    local(row.last_failure_at) if row.last_failure_at else None)
