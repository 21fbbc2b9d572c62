"""Import one file into one table: read in chunks, convert, validate, merge, all in one transaction.

Each chunk's good rows are put where SQL can read them (an Arrow view on DuckDB, a temporary
table filled by COPY on PostgreSQL) and merged at once: rows whose natural key is new are
inserted, rows whose key exists and whose values differ are updated, the rest are unchanged. The batch record and ``bank_meta.data_as_of`` are written in the same
transaction, so a failed or killed import leaves the database exactly as it was. A dry run does
all of it and rolls back. After the commit, the marts the import made stale are refreshed, the
KPI facts only for the periods the changed rows fall in (``refresh_after_import``).
"""

from __future__ import annotations

import difflib
import hashlib
import io
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl
import sqlalchemy as sa

from data_access import load_state
from data_access.engine import create_schema, duckdb_memory_limit, has_schema
from data_access.errors import InvalidImport
from data_access.importing.convert import convert
from data_access.importing.mapping import Mapping, TableMapping, load_mapping
from data_access.importing.messages import reason
from data_access.importing.readers import CSV_BLOCK, Chunk, open_source, read_csv
from data_access.importing.rejects import RejectsWriter, original_line
from data_access.importing.rules import EVENT_DATES, TABLE_RULES, TableRules
from data_access.importing.validate import DataWindow, KeyTracker, RowValidator, duplicate_reasons
from data_access.schema import bank_meta, import_batches, metadata

Progress = Callable[[str, float], None]
DEFAULT_PERIOD_START = date(2000, 1, 1)
DUCKDB_MEMORY = "1GB"  # DuckDB's pool; its index of the rows a transaction adds lies outside
IMPORT_WRITER = "import"  # bank_meta.written_by: ensure-demo never rebuilds such a bank
# DuckDB: chunks of new rows are inserted this many at a time (a CSV chunk is about 116,000
# footprints): an INSERT of several row groups costs a fifth less CPU than one per chunk
INSERT_CHUNKS = 4
READ_AHEAD = 2  # raw chunks parsed ahead of the checks
CHECK_AHEAD = 4  # checked chunks ahead of the writes: the checks go on while a batch is inserted
T = TypeVar("T")
_DONE: Any = object()
_LOCKS: dict[str, threading.Lock] = {}  # one per DuckDB database file (``_write_lock``)
_LOCKS_LOCK = threading.Lock()


def _quiet(_: str, __: float) -> None:
    return None


def read_ahead(items: Iterator[T], depth: int) -> Iterator[T]:
    """Iterate ``items`` on a second thread, up to ``depth`` items ahead of the consumer.

    pyarrow, polars and DuckDB release the GIL, so the stages of the import overlap; one worker
    runs the queued ``next`` calls in order, so the items come as ``items`` gives them.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: deque[Future] = deque(pool.submit(next, items, _DONE) for _ in range(depth))
        try:
            while True:
                item = pending.popleft().result()
                if item is _DONE:
                    return
                pending.append(pool.submit(next, items, _DONE))
                yield item
        finally:  # stopped early (an error downstream): read no further
            for f in pending:
                f.cancel()


def _write_lock(engine: sa.Engine) -> AbstractContextManager[object]:
    """DuckDB: the lock of the database file, held by an import while it writes.

    DuckDB's footprints carry no primary key (``schema.UNKEYED_ON_DUCKDB``): two imports of new
    keys at once would both insert them. A DuckDB file is written by one process only, so one lock
    per file in that process (the dashboard's, or the CLI's) runs its imports one after the other.
    """
    if engine.dialect.name != "duckdb":
        return nullcontext()
    database = engine.url.database or ":memory:"
    key = database if database == ":memory:" else str(Path(database).resolve())
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(key, threading.Lock())


@contextmanager
def _memory_limit(conn: sa.Connection, limit: str) -> Iterator[None]:
    """Cap DuckDB's buffer pool while the import runs (it would keep the staged rows in memory)."""
    if conn.dialect.name != "duckdb":
        yield
        return
    # on the driver connection, not through SQLAlchemy: no transaction begun
    with duckdb_memory_limit(conn.connection.driver_connection, limit):
        yield


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    table: str
    file: str
    mapping: str
    encoding: str
    dry_run: bool
    rows_read: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects_by_column: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    rejects_path: str | None = None
    batch_id: int | None = None
    data_as_of: str | None = None
    refreshed: bool = False
    marts: dict[str, str] = field(default_factory=dict)  # mart -> 'whole' or 'from <date>'
    seconds: float = 0.0

    @property
    def loaded(self) -> int:
        """Rows that passed validation."""
        return self.rows_read - self.rejected


def file_sha256(path: Path) -> str:
    """The file's SHA-256 (read in blocks)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_header(path: Path, header: list[str], tm: TableMapping, encoding: str) -> list[str]:
    """Raise InvalidImport naming every missing column (with near matches); return ignored ones."""
    needed = tm.source_headers
    missing = [h for h in needed if h not in header]
    if missing:
        hints = []
        for h in missing:
            near = difflib.get_close_matches(h, header, n=1, cutoff=0.5)
            hints.append(f"{h} (did you mean {near[0]}?)" if near else h)
        garbled = ""
        if encoding and all(h not in header for h in needed):
            garbled = (
                " — none of the expected columns is there: is the encoding right (--encoding)?"
            )
        raise InvalidImport(
            f"{path.name}: missing columns {', '.join(hints)} for table {tm.table}; "
            f"the file's header is: {', '.join(header[:30])}{garbled}"
        )
    return [h for h in header if h not in needed]


def _reference_ids(conn: sa.Connection, rules: TableRules) -> dict[str, pl.Series]:
    ids: dict[str, pl.Series] = {}
    for target in set(rules.references.values()):
        table = metadata.tables[target]
        key = next(iter(table.primary_key.columns))
        values = conn.execute(sa.select(key)).scalars().all()
        ids[target] = pl.Series(target, values, dtype=pl.Int64)
    return ids


def _data_as_of(conn: sa.Connection) -> date | None:
    row = conn.execute(sa.select(bank_meta.c.value).where(bank_meta.c.key == "data_as_of")).first()
    return date.fromisoformat(row[0]) if row else None


def _stage_table(rules: TableRules, tm: TableMapping) -> sa.Table:
    """A temporary table (PostgreSQL) that one chunk is copied into before it is merged."""
    cols = [sa.Column(c, rules.table.c[c].type) for c in tm.columns]
    return sa.Table(
        f"_fp_import_{uuid.uuid4().hex[:12]}", sa.MetaData(), *cols, prefixes=["TEMPORARY"]
    )


_DUCKDB_CHUNK = "_fp_import_chunk"  # the name DuckDB's replacement scan finds the chunk by


class ChunkSource:
    """Puts one chunk of good rows where SQL can read it: an Arrow table DuckDB scans where it
    lies (no copy), a temporary table filled by COPY (PostgreSQL), or rows inserted (others)."""

    def __init__(self, conn: sa.Connection, rules: TableRules, tm: TableMapping) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.columns = list(tm.columns)
        self.arrow: object = None
        self.stage: sa.Table | None = None
        if conn.dialect.name != "duckdb":
            self.stage = _stage_table(rules, tm)
            self.stage.create(conn)

    @property
    def table(self) -> sa.TableClause | sa.Table:
        """The chunk as a table to select from."""
        if self.stage is not None:
            return self.stage
        return sa.table(_DUCKDB_CHUNK, *[sa.column(c) for c in self.columns])

    def put(self, frame: pl.DataFrame) -> None:
        """Make ``frame`` the chunk the next statements read."""
        if self.stage is None:
            # text as Arrow string views, polars' own layout: handed over without a copy (the
            # default, large strings, copies every value: a seventh of DuckDB's insert time)
            self.arrow = frame.to_arrow(compat_level=pl.CompatLevel.newest())
            return
        if self.conn.dialect.name == "postgresql":
            from psycopg import sql

            stage = self.conn.dialect.identifier_preparer.quote(self.stage.name)
            self.conn.execute(sa.text("TRUNCATE " + stage))  # the previous chunk
            stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
                sql.Identifier(self.stage.name),
                sql.SQL(", ").join(map(sql.Identifier, frame.columns)),
            )
            buf = io.BytesIO()
            frame.write_csv(buf, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.f")
            with self.conn.connection.driver_connection.cursor() as cur, cur.copy(stmt) as copy:
                copy.write(buf.getbuffer())
        else:
            self.conn.execute(sa.delete(self.stage))
            self.conn.execute(self.stage.insert(), frame.to_dicts())

    def execute(self, stmt: sa.Executable) -> list[tuple]:
        """Run a statement that reads the chunk; its rows (none for a write)."""
        if self.stage is not None:
            result = self.conn.execute(stmt)
            return [tuple(r) for r in result] if result.returns_rows else []
        # DuckDB finds the Arrow table as a variable of this frame (a replacement scan): a view
        # registered inside a transaction would keep every chunk alive until the commit
        _fp_import_chunk = self.arrow  # read by DuckDB, by name
        sql = str(stmt.compile(dialect=self.conn.dialect, compile_kwargs={"literal_binds": True}))
        raw = self.conn.connection.driver_connection
        return raw.execute(sql).fetchall()

    def close(self) -> None:
        """Drop the temporary table; let go of the last chunk."""
        self.arrow = None
        if self.stage is not None:
            self.stage.drop(self.conn)


class SparkSource:
    """Spark (no transactions, no UPDATE): every chunk's good rows are staged as Parquet; at the
    end, one statement appends the new keys, or, when some rows changed, the merged rows are
    written aside and the table (footprints: only the months touched) is overwritten with them."""

    def __init__(self, conn: sa.Connection, rules: TableRules, tm: TableMapping) -> None:
        from data_access.sparkio import StagedTable

        self.conn = conn
        self.dialect = "hive"
        self.columns = list(tm.columns)
        self.staged = StagedTable(rules.table)
        self.view = f"_fp_import_{uuid.uuid4().hex[:12]}"
        self.rows = 0

    @property
    def table(self) -> sa.TableClause:
        """The staged rows as a table to select from (a temporary view over the Parquet files)."""
        return sa.table(self.view, *[sa.column(c) for c in self.columns])

    def put(self, frame: pl.DataFrame) -> None:
        """Stage one chunk as a Parquet file."""
        self.staged.write(frame.to_arrow())
        self.rows += frame.height

    def open(self) -> None:
        """The view over every staged file, each column cast to the table's type."""
        from data_access.dialects import TemporaryView

        self.conn.execute(TemporaryView(sa.table(self.view), self.staged.select()))

    def execute(self, stmt: sa.Executable) -> list[tuple]:
        """Run a statement that reads the staged rows; its rows."""
        result = self.conn.execute(stmt)
        return [tuple(r) for r in result] if result.returns_rows else []

    def write(self, rules: TableRules, inserted: int, updated: int, rows: int) -> None:
        """Append the new keys, or overwrite with the merged rows when some rows changed."""
        from data_access.dialects import (
            PARTITIONS,
            CreateTableAs,
            DropPartition,
            DropTableIfExists,
            InsertSelect,
            spark_table,
        )

        target, staged = spark_table(rules.table), spark_table(rules.table, self.view)

        def same_key(t: sa.TableClause, v: sa.TableClause) -> sa.ColumnElement[bool]:
            return sa.and_(*(t.c[k] == v.c[k] for k in rules.key))

        t, v = target.alias("t"), staged.alias("v")
        if not updated:
            if not inserted:
                return
            new = sa.select(staged)
            if inserted != rows:
                new = sa.select(v).where(~sa.exists().where(same_key(t, v)))
            self.conn.execute(InsertSelect(target, new))
            return
        kept = sa.select(t).where(~sa.exists().where(same_key(t, v)))
        part = PARTITIONS.get(rules.table.name)
        if part is not None:  # only the months of the new values and of the old ones
            p = part.column
            t2, v2 = target.alias("t2"), staged.alias("v2")
            touched = sa.union(
                sa.select(staged.c[p]),
                sa.select(t2.c[p]).select_from(t2.join(v2, same_key(t2, v2))),
            )
            kept = kept.where(t.c[p].in_(touched))
        merged = spark_table(rules.table, f"_fp_merged_{uuid.uuid4().hex[:12]}")
        self.conn.execute(CreateTableAs(merged, sa.union_all(sa.select(staged), kept)))
        try:
            if part is not None:
                # a month whose every row moved away has no merged rows to replace it: drop it
                emptied = self.conn.execute(
                    sa.except_(
                        sa.select(t.c[p]).distinct().select_from(t.join(v, same_key(t, v))),
                        sa.select(merged.c[p]).distinct(),
                    )
                ).all()
                for (month,) in emptied:
                    self.conn.execute(DropPartition(target, p, _day(month)))
                # replace only the partitions the merged rows fall in
                self.conn.exec_driver_sql("SET spark.sql.sources.partitionOverwriteMode=dynamic")
            self.conn.execute(InsertSelect(target, sa.select(merged), overwrite=True))
        finally:
            if part is not None:
                self.conn.exec_driver_sql("SET spark.sql.sources.partitionOverwriteMode=static")
            self.conn.execute(DropTableIfExists(merged))

    def close(self) -> None:
        """Drop the view and the staged files."""
        from data_access.dialects import DropView

        try:
            self.conn.execute(DropView(sa.table(self.view)))
        finally:
            self.staged.remove()


def _differs(a: sa.ColumnElement, b: sa.ColumnElement, dialect: str) -> sa.ColumnElement[bool]:
    """``a IS DISTINCT FROM b`` (nulls compare equal to each other); Spark spells it ``NOT a <=> b``."""
    if dialect == "hive":
        return sa.not_(a.op("<=>", is_comparison=True)(b))
    return a.is_distinct_from(b)


def _merge(
    chunk: ChunkSource | SparkSource,
    rules: TableRules,
    tm: TableMapping,
    rows: int,
    dry_run: bool,
) -> tuple[int, int, date | None]:
    """Insert the chunk's new keys, update its changed rows; (inserted, updated, the oldest event
    date among the inserted rows and the changed rows' old and new values).

    A chunk's keys are unique and appear in no other chunk of the file (the key tracker rejects
    repeats), so merging chunk by chunk inside the one transaction gives what one merge of the
    whole file would, without a second copy of the file in a staging table.
    """
    t, source = rules.table, chunk.table
    match = sa.and_(*(t.c[k] == source.c[k] for k in rules.key))
    others = [c for c in tm.columns if c not in rules.key]
    changed = (
        sa.or_(*(_differs(t.c[c], source.c[c], chunk.dialect) for c in others)) if others else None
    )
    # the keys already there: the chunk (small) is hashed and the table's key column probed
    keys = sa.tuple_(*(t.c[k] for k in rules.key)) if len(rules.key) > 1 else t.c[rules.key[0]]
    chunk_keys = sa.select(*(source.c[k] for k in rules.key))
    already = sa.select(sa.func.count()).select_from(t).where(keys.in_(chunk_keys))
    existing = chunk.execute(already)[0][0]
    inserted, updated = rows - int(existing), 0
    dates = [c for c in tm.columns if c in EVENT_DATES]
    oldest: list[object] = []
    if existing and changed is not None:
        absent = t.c[rules.key[0]].is_(None)
        mins = [sa.func.min(source.c[c]) for c in dates] + [sa.func.min(t.c[c]) for c in dates]
        moved = sa.and_(~absent, changed)
        cols = [sa.func.count().filter(moved), *mins] if dates else [sa.func.count()]
        one = sa.select(*cols).select_from(source.outerjoin(t, match))
        row = chunk.execute(one.where(sa.or_(absent, changed) if dates else changed))[0]
        updated, oldest = int(row[0]), list(row[1:])  # old values of new rows are null
    elif dates:
        oldest = list(chunk.execute(sa.select(*(sa.func.min(source.c[c]) for c in dates)))[0])
    since = min((_day(v) for v in oldest if v is not None), default=None)
    if dry_run:
        return inserted, updated, since
    if isinstance(chunk, SparkSource):
        chunk.write(rules, inserted, updated, rows)
        return inserted, updated, since
    if updated:
        chunk.execute(
            sa.update(t).values({c: source.c[c] for c in others}).where(match).where(changed)
        )
    if inserted:
        _insert(chunk, rules, tm, every_row=inserted == rows)
    return inserted, updated, since


def _insert(chunk: ChunkSource, rules: TableRules, tm: TableMapping, *, every_row: bool) -> None:
    """Insert the chunk's rows whose key is new (``every_row``: all of them are)."""
    t, source, cols = rules.table, chunk.table, list(tm.columns)
    chosen = sa.select(*(source.c[c] for c in cols))
    if not every_row:  # some keys exist: only the new ones
        match = sa.and_(*(t.c[k] == source.c[k] for k in rules.key))
        chosen = chosen.where(~sa.exists(sa.select(sa.literal(1)).select_from(t).where(match)))
    chunk.execute(t.insert().from_select(cols, chosen))


class _NewRows:
    """Chunks whose keys are all new, inserted together ``INSERT_CHUNKS`` at a time."""

    def __init__(self, source: ChunkSource) -> None:
        self.source = source
        self.frames: list[pl.DataFrame] = []

    def add(self, frame: pl.DataFrame, rules: TableRules, tm: TableMapping) -> None:
        """Keep ``frame`` to be inserted; insert what is kept once it is enough chunks."""
        self.frames.append(frame)
        if len(self.frames) >= INSERT_CHUNKS:
            self.insert(rules, tm)

    def insert(self, rules: TableRules, tm: TableMapping) -> None:
        """Insert every kept row in one statement."""
        if not self.frames:
            return
        # the chunks side by side, not copied: DuckDB scans the Arrow table's batches in turn
        self.source.put(pl.concat(self.frames, how="vertical", rechunk=False))
        _insert(self.source, rules, tm, every_row=True)
        self.frames = []


class KeyRange:
    """The range of the first key column as the table held it before the import.

    A chunk whose keys all lie outside it has no key in the table: the keys the import itself
    added came from earlier chunks, and the key tracker rejects a key seen earlier in the file.
    Such a chunk (a bank's new transactions, numbered on) is inserted without probing the table.
    """

    def __init__(self, conn: sa.Connection, rules: TableRules) -> None:
        self.column = rules.key[0]
        col = rules.table.c[self.column]
        self.low, self.high = conn.execute(sa.select(sa.func.min(col), sa.func.max(col))).one()

    def outside(self, frame: pl.DataFrame) -> bool:
        """Whether every key of ``frame`` lies outside the range (an empty table has none)."""
        if self.low is None:
            return True
        low, high = frame.select(
            pl.col(self.column).min().alias("low"), pl.col(self.column).max().alias("high")
        ).row(0)
        if low is None or high is None:
            return False
        return high < self.low or low > self.high


def _day(value: object) -> date:
    """A date from a DATE or TIMESTAMP value (DuckDB and PostgreSQL give both kinds)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _event_days(frame: pl.DataFrame) -> tuple[date | None, date | None]:
    """The oldest and the newest event date among the chunk's good rows."""
    cols = [c for c in frame.columns if c in EVENT_DATES]
    if not cols or frame.height == 0:
        return None, None
    lows = frame.select(pl.col(cols).min()).row(0)
    highs = frame.select(pl.col(cols).max()).row(0)
    return (
        min((_day(v) for v in lows if v is not None), default=None),
        max((_day(v) for v in highs if v is not None), default=None),
    )


def import_file(
    engine: sa.Engine,
    path: Path | str,
    mapping: Mapping | str | Path,
    table: str,
    *,
    encoding: str | None = None,
    dry_run: bool = False,
    rejects_path: Path | str | None = None,
    lang: str = "zh",
    username: str = "cli",
    refresh: bool = True,
    progress: Progress = _quiet,
    block_size: int = CSV_BLOCK,
) -> ImportResult:
    """Import ``path`` into ``table`` as ``mapping`` says; InvalidImport when the file cannot be read."""
    t0 = time.monotonic()
    path = Path(path)
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    tm = m.table(table)
    rules = TABLE_RULES[table]
    enc_choice = (encoding or m.encoding or "auto").lower()
    header, chunks, enc = open_source(path, enc_choice, m.delimiter)
    if enc and block_size != CSV_BLOCK:
        header, chunks = read_csv(path, enc, m.delimiter, block_size)
    ignored = check_header(path, header, tm, enc)
    started = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    result = ImportResult(
        table=table,
        file=path.name,
        mapping=m.name,
        encoding=enc,
        dry_run=dry_run,
        ignored_columns=ignored,
        rejects_path=str(rejects_path) if rejects_path else None,
    )
    rejects = RejectsWriter(Path(rejects_path) if rejects_path else None, lang)
    size = max(path.stat().st_size, 1)
    progress(f"reading {path.name}", 0.0)
    # the file's SHA-256 (for the batch record) is read meanwhile: hashlib releases the GIL
    hasher = ThreadPoolExecutor(max_workers=1)
    sha256 = None if dry_run else hasher.submit(file_sha256, path)
    try:
        with engine.connect() as conn:
            empty = not has_schema(conn)
        if empty:  # an empty database gets the tables (a dry run needs them too; DDL only)
            create_schema(engine)
        with (
            _write_lock(engine),
            engine.connect() as conn,
            _memory_limit(conn, DUCKDB_MEMORY),
            conn.begin() as tx,
        ):
            if not sa.inspect(conn).has_table(import_batches.name):
                raise InvalidImport(
                    "the database's schema is older than this release: run "
                    "`python -m data_access upgrade` first"
                )
            old_as_of = _data_as_of(conn)
            window = DataWindow(
                m.period_start or DEFAULT_PERIOD_START,
                m.period_end or datetime.now(UTC).date(),
            )
            validator = RowValidator(tm, window, _reference_ids(conn, rules), lang)
            tracker = KeyTracker(rules.key)
            spark = conn.dialect.name == "hive"
            source = SparkSource(conn, rules, tm) if spark else ChunkSource(conn, rules, tm)
            before = None if spark else KeyRange(conn, rules)
            seen_bytes = 0
            newest: date | None = None
            oldest: date | None = None  # of the rows inserted or changed
            # DuckDB: chunks of new keys wait here to be inserted together (INSERT_CHUNKS)
            waiting = _NewRows(source) if conn.dialect.name == "duckdb" and not dry_run else None
            try:
                checked = (
                    (
                        _process_chunk(c, tm, validator, tracker, rejects, result, lang, m),
                        c.bytes_read,
                        # the counts up to this chunk: the checks run ahead of the writes
                        f"checked {result.rows_read:,} rows, {result.rejected:,} rejected",
                    )
                    for c in read_ahead(chunks, READ_AHEAD)
                )
                # the next chunks are checked while these are written
                for good, nbytes, counts in read_ahead(checked, CHECK_AHEAD):
                    first_day, last_day = _event_days(good)
                    if good.height:
                        newest = max((d for d in (newest, last_day) if d), default=None)
                    if good.height and isinstance(source, ChunkSource) and before is not None:
                        if before.outside(good):  # no key of the chunk is in the table
                            inserted, updated, since = good.height, 0, first_day
                            if waiting is not None:
                                waiting.add(good, rules, tm)
                            elif not dry_run:
                                source.put(good)
                                _insert(source, rules, tm, every_row=True)
                        else:
                            if waiting is not None:  # the rows keep the file's order
                                waiting.insert(rules, tm)
                            source.put(good)
                            inserted, updated, since = _merge(
                                source, rules, tm, good.height, dry_run
                            )
                        result.inserted += inserted
                        result.updated += updated
                        oldest = min((d for d in (oldest, since) if d), default=None)
                    elif good.height:
                        source.put(good)
                    seen_bytes += nbytes
                    frac = min(seen_bytes / size, 0.99) if enc else 0.5
                    progress(counts, 0.9 * frac)
                if waiting is not None:
                    waiting.insert(rules, tm)
                progress("applying", 0.9)
                if isinstance(source, SparkSource) and source.rows:  # the whole file at once
                    source.open()
                    result.inserted, result.updated, oldest = _merge(
                        source, rules, tm, source.rows, dry_run
                    )
            finally:
                source.close()
            result.unchanged = result.loaded - result.inserted - result.updated
            as_of = max((d for d in (old_as_of, newest) if d is not None), default=None)
            result.data_as_of = as_of.isoformat() if as_of else None
            if dry_run:
                tx.rollback()
            else:
                if result.inserted or result.updated:  # a file that changes nothing stamps nothing
                    stamps = {"written_by": IMPORT_WRITER, "loaded_at": started.isoformat()}
                    if as_of is not None:
                        stamps |= {
                            "data_as_of": as_of.isoformat(),
                            "load_state": load_state.COMPLETE,
                        }
                    load_state.write_meta(conn, stamps)  # atomic with the rows: never in_progress
                batch = import_batches.insert().values(
                    started_at=started,
                    finished_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
                    username=username,
                    target_table=table,
                    mapping=m.name,
                    file_name=path.name[:256],
                    file_sha256=sha256.result() if sha256 else file_sha256(path),
                    encoding=enc,
                    rows_read=result.rows_read,
                    inserted=result.inserted,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    rejected=result.rejected,
                )
                if conn.dialect.insert_returning:
                    returning = batch.returning(import_batches.c.batch_id)
                    result.batch_id = conn.execute(returning).scalar_one()
                else:  # Spark: the dialect numbers the row from the table's largest id
                    conn.execute(batch)
                    newest_batch = sa.select(sa.func.max(import_batches.c.batch_id))
                    result.batch_id = conn.execute(newest_batch).scalar_one()
    finally:
        rejects.close()
        hasher.shutdown(cancel_futures=True)
    if refresh and not dry_run and (result.inserted or result.updated) and result.data_as_of:
        from data_access.refresh import configured_standards, refresh_after_import

        progress("refreshing the marts", 0.92)
        result.marts = refresh_after_import(
            engine,
            configured_standards(),
            date.fromisoformat(result.data_as_of),
            table,
            oldest,
            old_as_of,
            progress=lambda text, _: progress(text, 0.95),
        )
        result.refreshed = True
    result.seconds = time.monotonic() - t0
    progress("done", 1.0)
    return result


def _process_chunk(
    chunk: Chunk,
    tm: TableMapping,
    validator: RowValidator,
    tracker: KeyTracker,
    rejects: RejectsWriter,
    result: ImportResult,
    lang: str,
    m: Mapping,
) -> pl.DataFrame:
    """Convert and check one chunk; write its rejects; return the good rows (our columns)."""
    raw = chunk.frame
    result.rows_read += raw.height + len(chunk.bad_lines)
    if chunk.bad_lines:
        texts = [
            reason("field_count", lang, expected=b.expected, actual=b.actual)
            for b in chunk.bad_lines
        ]
        rejects.write_bad_lines(chunk.bad_lines, texts)
        result.rejected += len(chunk.bad_lines)
        result.rejects_by_column["(line)"] = result.rejects_by_column.get("(line)", 0) + len(texts)
    if raw.height == 0:
        return pl.DataFrame(schema={c: pl.Null for c in tm.columns}).head(0)
    typed, parse_reasons = convert(raw, tm, lang)
    reasons = pl.concat([parse_reasons, validator.reasons(typed, parse_reasons)])
    ok = np.ones(raw.height, dtype=bool)
    ok[reasons["row"].to_numpy()] = False
    dup = duplicate_reasons(tracker, typed, chunk.lines, ok, lang)
    if dup.height:
        reasons = pl.concat([reasons, dup])
        ok[dup["row"].to_numpy()] = False
    if reasons.height:
        _reject(raw, chunk.lines, reasons, rejects, result, m.delimiter)
    return typed.filter(pl.Series(ok))


def _reject(
    raw: pl.DataFrame,
    lines: np.ndarray,
    reasons: pl.DataFrame,
    rejects: RejectsWriter,
    result: ImportResult,
    delimiter: str,
) -> None:
    for col, n in reasons.group_by("column").len().iter_rows():
        name = col or "(key)"
        result.rejects_by_column[name] = result.rejects_by_column.get(name, 0) + n
    per_row = (
        reasons.group_by("row", maintain_order=True)
        .agg(pl.col("reason").str.join("; ").alias("reasons"))
        .sort("row")
    )
    rows = per_row["row"]
    originals = raw[rows.to_numpy()].select(original_line(raw.columns, delimiter).alias("original"))
    out = pl.DataFrame(
        {"line": lines[rows.to_numpy()], "reasons": per_row["reasons"]},
        schema={"line": pl.Int64, "reasons": pl.String},
    ).with_columns(originals["original"])
    rejects.write(out)
    result.rejected += out.height


def preview(
    path: Path | str,
    mapping: Mapping | str | Path,
    table: str,
    *,
    encoding: str | None = None,
    rows: int = 20,
) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """The first ``rows`` rows as written and as mapped (nulls where a value does not parse), and
    the encoding used; InvalidImport / MappingError as the import would raise them."""
    path = Path(path)
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    tm = m.table(table)
    header, chunks, enc = open_source(path, (encoding or m.encoding or "auto").lower(), m.delimiter)
    check_header(path, header, tm, enc)
    first = next(iter(chunks), None)
    raw = first.frame.head(rows) if first is not None else pl.DataFrame(schema=header)
    typed, _ = convert(raw, tm, "en") if raw.height else (pl.DataFrame(), None)
    return raw, typed, enc
