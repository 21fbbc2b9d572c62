"""Completion stamps of loads and mart refreshes, kept in ``bank_meta``.

A load writes ``load_state = in_progress`` (and who writes: ``written_by``) before its first row
and ``complete`` with ``data_as_of`` after its last; a refresh writes ``refresh_state``, then one
``mart:<name>`` stamp (the as-of day the mart was computed for) as each mart commits, then
``complete``. A process killed part-way leaves ``in_progress`` behind, which the pages and the CLI
report instead of showing half a bank as real. Each mart is replaced in one transaction
(``marts/_bulk.py``), so a mart is either its old or its new self; the stamps say which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from data_access.schema import bank_meta

IN_PROGRESS = "in_progress"
COMPLETE = "complete"
DEMO_WRITER = "demo"
MART_PREFIX = "mart:"
# which day the activity marts were refreshed for, and their first cohort month
ACTIVITY_AS_OF_KEY = "activity_marts_as_of"
ACTIVITY_COHORTS_FROM_KEY = "activity_marts_cohorts_from"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def write_meta(conn: sa.Connection, values: dict[str, str | None]) -> None:
    """Replace ``bank_meta`` entries inside the caller's transaction (None: remove the entry)."""
    conn.execute(bank_meta.delete().where(bank_meta.c.key.in_(list(values))))
    rows = [{"key": k, "value": v} for k, v in values.items() if v is not None]
    if rows:
        conn.execute(bank_meta.insert(), rows)


def read_meta(conn: sa.Connection) -> dict[str, str]:
    """Every ``bank_meta`` entry."""
    return dict(conn.execute(sa.select(bank_meta.c.key, bank_meta.c.value)).all())


def activity_cover(conn: sa.Connection) -> tuple[date, date] | None:
    """(as_of, first cohort month) the activity marts were refreshed for, or None."""
    keys = [ACTIVITY_AS_OF_KEY, ACTIVITY_COHORTS_FROM_KEY]
    try:
        rows = dict(
            conn.execute(
                sa.select(bank_meta.c.key, bank_meta.c.value).where(bank_meta.c.key.in_(keys))
            ).all()
        )
    except sa.exc.DBAPIError:
        return None
    if ACTIVITY_AS_OF_KEY not in rows or ACTIVITY_COHORTS_FROM_KEY not in rows:
        return None
    return date.fromisoformat(rows[ACTIVITY_AS_OF_KEY]), date.fromisoformat(
        rows[ACTIVITY_COHORTS_FROM_KEY]
    )


def stamp_activity_cover(
    conn: sa.Connection, as_of: date | None, cohorts_from: date | None
) -> None:
    """Say which day the activity marts hold; None while they are rebuilt."""
    write_meta(
        conn,
        {
            ACTIVITY_AS_OF_KEY: as_of.isoformat() if as_of else None,
            ACTIVITY_COHORTS_FROM_KEY: cohorts_from.isoformat() if cohorts_from else None,
        },
    )


def begin_load(engine: sa.Engine, writer: str) -> None:
    """Mark a load as started by ``writer`` ('demo' or the importer); clears ``data_as_of``."""
    with engine.begin() as conn:
        conn.execute(bank_meta.delete().where(bank_meta.c.key == "data_as_of"))
        write_meta(
            conn, {"load_state": IN_PROGRESS, "written_by": writer, "load_started_at": _now()}
        )


def complete_load(engine: sa.Engine, as_of: date) -> None:
    """Mark the load complete: ``data_as_of`` and ``load_state`` in one transaction."""
    with engine.begin() as conn:
        write_meta(
            conn,
            {"data_as_of": as_of.isoformat(), "load_state": COMPLETE, "loaded_at": _now()},
        )


def begin_refresh(engine: sa.Engine, standard: str) -> None:
    """Mark a mart refresh as started, under the standard it applies ('version digest')."""
    with engine.begin() as conn:
        write_meta(
            conn,
            {
                "refresh_state": IN_PROGRESS,
                "refresh_started_at": _now(),
                "refresh_standard": standard,
            },
        )


def mart_done(engine: sa.Engine, name: str, as_of: date) -> None:
    """Stamp one mart as computed for ``as_of``."""
    with engine.begin() as conn:
        write_meta(conn, {f"{MART_PREFIX}{name}": as_of.isoformat()})


def complete_refresh(engine: sa.Engine, standard: str) -> None:
    """Mark the refresh complete and record which standard the marts follow."""
    with engine.begin() as conn:
        write_meta(conn, {"refresh_state": COMPLETE, "marts_standard": standard})


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class LoadState:
    """What ``bank_meta`` says about the last load and refresh."""

    data_as_of: date | None
    load_in_progress: bool
    written_by: str | None
    refresh_in_progress: bool
    marts: dict[str, date | None]
    marts_standard: str | None

    @classmethod
    def from_meta(cls, meta: dict[str, str]) -> LoadState:
        """Read the stamps from ``bank_meta`` entries."""
        return cls(
            data_as_of=_day(meta.get("data_as_of")),
            load_in_progress=meta.get("load_state") == IN_PROGRESS,
            written_by=meta.get("written_by"),
            refresh_in_progress=meta.get("refresh_state") == IN_PROGRESS,
            marts={
                k.removeprefix(MART_PREFIX): _day(v)
                for k, v in meta.items()
                if k.startswith(MART_PREFIX)
            },
            marts_standard=meta.get("marts_standard"),
        )

    @property
    def load_incomplete(self) -> bool:
        """The last load did not finish (killed, or still running)."""
        return self.load_in_progress or self.data_as_of is None

    def stale_marts(self) -> dict[str, date | None]:
        """Marts computed for an earlier day than the data covers (None: never computed)."""
        if self.data_as_of is None:
            return {}
        return {
            name: day for name, day in self.marts.items() if day is None or day < self.data_as_of
        }

    def oldest_mart(self) -> date | None:
        """The earliest as-of day among the stamped marts."""
        days = [d for d in self.marts.values() if d is not None]
        return min(days) if days else None


def fetch_load_state(conn: sa.Connection) -> LoadState:
    """The stamps of the database behind ``conn``."""
    return LoadState.from_meta(read_meta(conn))
