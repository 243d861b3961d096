"""Atomic enqueue: a job sent inside a unit of work is queued if and only if it commits.

``job.send()`` checks the arguments and attaches the job to the unit's database session
(``Session.info``). When the session commits, a ``before_commit`` hook writes the waiting
jobs into the same transaction (PostgreSQL: procrastinate's ``procrastinate_jobs``
table, through the session's own connection), so the commit that keeps the request's
rows keeps its jobs, and a rollback drops both. Backends that keep jobs in memory
(development, tests) receive them in ``after_commit`` instead. A rollback of the
session's outermost transaction forgets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session, SessionTransaction

    from mvcpy.jobs.declare import Job, _Options

__all__ = ["Pending", "Receiver", "attach"]

#: ``Session.info`` keys: jobs sent in the transaction; jobs to hand over after the commit
PENDING_KEY = "mvcpy.jobs.pending"
COMMITTED_KEY = "mvcpy.jobs.committed"


class Receiver(Protocol):
    """What takes committed jobs: the app's job engine (mvcpy.jobs.engine)."""

    @property
    def in_database(self) -> bool:
        """Whether jobs are written into the sending transaction."""
        ...

    def write(self, connection: Connection, items: Sequence[Pending]) -> None:
        """Write ``items`` through the sending transaction's ``connection``."""
        ...

    def hand_off(self, items: Sequence[Pending]) -> None:
        """Take ``items`` once their transaction has committed."""
        ...


@dataclass(frozen=True)
class Pending:
    """A job sent in a unit of work that has not committed yet."""

    engine: Receiver
    job: Job
    arguments: dict[str, Any]
    options: _Options


def attach(session: Session, pending: Pending) -> None:
    """Queue ``pending`` with ``session``'s next commit."""
    _listen()
    session.info.setdefault(PENDING_KEY, []).append(pending)


def _listen() -> None:
    from sqlalchemy.orm import Session

    from mvcpy.orm.events import listen_once

    # On the Session class: every session of the process, sync or the one inside an
    # AsyncSession (its hooks run inside the async commit, where SQL may be awaited).
    listen_once(
        "mvcpy.jobs",
        Session,
        {
            "before_commit": _before_commit,
            "after_commit": _after_commit,
            "after_soft_rollback": _after_rollback,
        },
    )


def _by_engine(pending: list[Pending]) -> dict[Receiver, list[Pending]]:
    groups: dict[Receiver, list[Pending]] = {}
    for item in pending:
        groups.setdefault(item.engine, []).append(item)
    return groups


def _before_commit(session: Session) -> None:
    pending: list[Pending] | None = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    later: list[Pending] = []
    for engine, items in _by_engine(pending).items():
        if engine.in_database:
            engine.write(session.connection(), items)
        else:
            later.extend(items)
    if later:
        session.info.setdefault(COMMITTED_KEY, []).extend(later)


def _after_commit(session: Session) -> None:
    committed: list[Pending] | None = session.info.pop(COMMITTED_KEY, None)
    if committed:
        for engine, items in _by_engine(committed).items():
            engine.hand_off(items)


def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the outermost transaction: what it sent is void
        session.info.pop(PENDING_KEY, None)
        session.info.pop(COMMITTED_KEY, None)
