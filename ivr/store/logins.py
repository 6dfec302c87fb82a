"""Failed logins counted in the database per account and address, shared by every worker and server.

A try is reserved (counted as a failure) by one conditional UPDATE before its password is checked, so a burst of
parallel tries checks at most LIMIT passwords; a right password clears the count, a wrong one may lock the account
at that address for a while that doubles at each lock, up to a day. The owner at another address is not affected.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from ivr.store.database import Store, StoreUnavailable, local, translate_errors
from ivr.store.tables import login_attempts

LIMIT = 5  # wrong passwords for an account from one address before it is locked there
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(days=1)
# A day without a failed try or a lock forgets an account's failures and locks at an address.
QUIET = timedelta(days=1)
# A try reserved this long ago and never answered was lost with its process: it counts as a wrong password.
STALE = timedelta(minutes=1)
KEY_MAX = 64
QUEUE_SECONDS = 5  # how long a try may wait behind the others of a burst before it is refused (503)

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
        old, new = self._change(username, address, lambda state: reserve(state, at))
        if new is not None:
            return Verdict(True)
        return Verdict(False, old.locked_until if old.locked_until and old.locked_until > at else None)

    @translate_errors
    def failed(self, username: str, address: str, at: datetime) -> datetime | None:
        """Note that a reserved try's password was wrong; return the end of the account's lock there, if any."""
        _, new = self._change(username, address, lambda state: failed(state, at))
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
                change: Callable[[Attempts], Attempts | None]) -> tuple[Attempts, Attempts | None]:
        """Change the row of an account and address from what was read to what `change` makes of it, only if
        nobody changed it in between (one conditional UPDATE of its version, atomic on SQLite and PostgreSQL);
        else read it again and retry. Return the state read and the new one (None: `change` refused)."""
        user, where = _folded(username), _folded(address)
        deadline = time.monotonic() + QUEUE_SECONDS
        while True:
            try:
                with self.engine.connect() as connection:
                    row = connection.execute(select(login_attempts).where(_key(user, where))).first()
                old = _attempts(row) if row else Attempts()
                new = change(old)
                if new is None or new == old:
                    return old, new  # a refusal writes nothing: a burst against a lock only reads
                with self.engine.begin() as connection:
                    if row is None:
                        written = _insert_new(connection, user, where, new)
                    else:
                        written = connection.execute(update(login_attempts).where(
                            login_attempts.c.id == row.id, login_attempts.c.version == row.version).values(
                            version=row.version + 1, **_columns(new))).rowcount
                if written == 1:
                    return old, new
            except OperationalError:  # locked or timed out behind the other tries of a burst
                if time.monotonic() >= deadline:
                    raise
            if time.monotonic() >= deadline:
                raise StoreUnavailable(f"Could not count a login try of '{user}' from {where} within "
                                       f"{QUEUE_SECONDS} s: other tries kept changing it.")
            time.sleep(random.uniform(0.002, 0.02))  # another try changed the row first: read it again

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


def _insert_new(connection: Connection, username: str, address: str, state: Attempts) -> int:
    """Insert the first row of an account and address; return 0 when another try inserted it first."""
    dialect: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    # RETURNING says whether the row was inserted: psycopg gives no rowcount (-1) for this statement.
    inserted = connection.execute(
        dialect.insert(login_attempts).values(username=username, address=address, version=1, **_columns(state))
        .on_conflict_do_nothing(index_elements=["username", "address"]).returning(login_attempts.c.id)).all()
    return len(inserted)


def _columns(state: Attempts) -> dict[str, Any]:
    return {"failures": state.failures, "locks": state.locks,
            "locked_until": local(state.locked_until) if state.locked_until else None,
            "last_failure_at": local(state.last_failure_at) if state.last_failure_at else None}


def _key(username: str, address: str) -> Any:
    return and_(login_attempts.c.username == _folded(username), login_attempts.c.address == _folded(address))


def _folded(value: str) -> str:
    """The key a typed name or an address is counted under: case-folded, at most KEY_MAX characters."""
    return value.casefold()[:KEY_MAX]


def _attempts(row: Any) -> Attempts:
    return Attempts(row.failures, row.locks, local(row.locked_until) if row.locked_until else None,
                    local(row.last_failure_at) if row.last_failure_at else None)
