"""Check typed rows with pandera (on polars): required values, codes, ranges, data period, text, references.

The schema is built per table from the schema, the code lists and the mapping; every failure
becomes a reason in the user's language. Duplicate keys across the whole file (read in chunks)
are found by ``KeyTracker``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import sqlalchemy as sa

from data_access.importing.convert import DTYPES, REASON_SCHEMA, label, message_expr
from data_access.importing.mapping import ColumnSpec, TableMapping
from data_access.importing.messages import reason
from data_access.importing.rules import EVENT_DATES, TABLE_RULES, code_list, kind_of, value_range

if TYPE_CHECKING:
    import pandera.polars as pa

CONTROL_CHARS = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
# What a spreadsheet would run as a formula when the text is opened (CSV injection).
FORMULA = r"^(?:[=@]|[+\-][^0-9.\s])"
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class DataWindow:
    """The dates an imported event may carry (the mapping's data period, both ends included);
    life dates (birth, opening) only need to be after 1900 and not after ``end``. Not the query
    ``data_access.selection.Period``, which a page asks for."""

    start: date
    end: date


@dataclass(frozen=True)
class _Meta:
    key: str
    params: dict


# true where a (non-null) value is valid; value by value (a row's outcome depends on its value only)
Rule = Callable[[pl.Expr], pl.Expr]


def _pandera() -> ModuleType:
    """pandera's polars API, imported when first needed: only a chunk with failing rows needs it
    (its import, which loads pandas, is a good part of a command-line import's start-up)."""
    with warnings.catch_warnings():
        # pandera looks at every dataframe library installed; pyspark warns about pandas 3 on import
        warnings.simplefilter("ignore", FutureWarning)
        import pandera.polars

    return pandera.polars


def _check(rule: Rule, name: str) -> pa.Check:
    """A pandera check that runs ``rule`` on its column."""
    pa = _pandera()

    def check(data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(rule(pl.col(data.key)))

    return pa.Check(check, name=name)


class RowValidator:
    """The pandera schema for one mapped table and the translation of its failures."""

    def __init__(
        self,
        tm: TableMapping,
        window: DataWindow,
        references: dict[str, pl.Series],
        lang: str,
    ) -> None:
        self.tm = tm
        self.lang = lang
        table = TABLE_RULES[tm.table].table
        self.meta: dict[str, list[_Meta]] = {}
        self.rules: dict[str, list[Rule]] = {}
        for col in tm.columns:
            self.rules[col], self.meta[col] = self._checks(table, table.c[col], window, references)
        self.nullable = {col: table.c[col].nullable for col in tm.columns}
        # the rules ``failing`` runs on every row: not those that hold for every value a column
        # can take (a code table's codes, a constant), which no row can fail
        self.row_rules = {
            col: [r for r in rules if not _holds_for_all(r, tm.columns[col], table.c[col])]
            for col, rules in self.rules.items()
        }

    @cached_property
    def schema(self) -> pa.DataFrameSchema:
        """The pandera schema: the same rules, each column's checks in order."""
        pa = _pandera()
        columns = {
            col: pa.Column(
                None,
                checks=[_check(r, m.key) for r, m in zip(rules, self.meta[col], strict=True)],
                nullable=self.nullable[col],
            )
            for col, rules in self.rules.items()
        }
        return pa.DataFrameSchema(columns)

    def _checks(
        self,
        table: sa.Table,
        column: sa.Column,
        window: DataWindow,
        references: dict[str, pl.Series],
    ) -> tuple[list[Rule], list[_Meta]]:
        kind = kind_of(column)
        checks: list[Rule] = []
        meta: list[_Meta] = []
        codes = code_list(table.name, column.name)
        if codes is not None:
            allowed = list(codes)
            checks.append(lambda c: c.is_in(allowed))
            meta.append(_Meta("not_in_codes", {}))
        bounds = value_range(table.name, column)
        if bounds is not None and kind in ("int", "number"):
            low_n, high_n = bounds
            checks.append(lambda c: c.is_between(low_n, high_n))
            meta.append(_Meta("range", {"low": f"{bounds[0]:,.0f}", "high": f"{bounds[1]:,.0f}"}))
        if kind in ("date", "datetime"):
            low = window.start if column.name in EVENT_DATES else EARLIEST
            lo, hi = (
                (datetime.combine(low, time.min), datetime.combine(window.end, time.max))
                if kind == "datetime"
                else (low, window.end)
            )
            checks.append(lambda c: c.is_between(lo, hi))
            meta.append(
                _Meta("date_range", {"low": low.isoformat(), "high": window.end.isoformat()})
            )
        if kind == "text":
            length = getattr(column.type, "length", None)
            if length:
                checks.append(lambda c: c.str.len_chars() <= length)
                meta.append(_Meta("too_long", {"high": length}))
            if codes is None:  # a coded value is one of our codes: no text of the bank's
                checks.append(lambda c: ~c.str.contains(CONTROL_CHARS))
                meta.append(_Meta("control_chars", {}))
                checks.append(lambda c: ~c.str.contains(FORMULA))
                meta.append(_Meta("formula", {}))
        target = TABLE_RULES[table.name].references.get(column.name)
        if target is not None and target in references:
            ids = references[target].implode()
            checks.append(lambda c: c.is_in(ids))
            meta.append(_Meta("reference", {"target": target}))
        return checks, meta

    def failing(self, typed: pl.DataFrame) -> np.ndarray:
        """Positions of the rows that fail any check, every check of the schema in one pass.

        The same rules pandera runs, with its treatment of missing values (a check passes on
        a null; a non-nullable column fails on null or NaN): one polars select over the chunk
        instead of a query per check, so pandera sees only the rows that fail.
        """
        if typed.height == 0:
            return np.empty(0, dtype=np.int64)
        holds: list[pl.Expr] = []
        for col, rules in self.row_rules.items():
            c = pl.col(col)
            holds += [rule(c).fill_null(True) for rule in rules]
            if not self.nullable[col]:
                present = c.is_not_null()
                holds.append(present & c.is_not_nan() if typed.schema[col].is_float() else present)
        if not holds:
            return np.empty(0, dtype=np.int64)
        ok = typed.select(pl.all_horizontal(holds)).to_series()
        return (~ok).arg_true().to_numpy().astype(np.int64)

    def reasons(self, typed: pl.DataFrame, parse_reasons: pl.DataFrame) -> pl.DataFrame:
        """(row, column, reason) for every failure in ``typed`` not already explained by a parse failure."""
        failing = self.failing(typed)
        if len(failing) == 0:
            return pl.DataFrame(schema=REASON_SCHEMA)
        schema = self.schema  # imports pandera (quietly) before its errors module
        from pandera.errors import SchemaErrors

        try:  # pandera names the failures of the failing rows only
            schema.validate(typed[failing], lazy=True)
            return pl.DataFrame(schema=REASON_SCHEMA)
        except SchemaErrors as exc:
            cases = exc.failure_cases
        cases = cases.filter(pl.col("index").is_not_null() & pl.col("column").is_not_null())
        at = failing[cases["index"].cast(pl.Int64).to_numpy()]  # the chunk's rows, not the subset's
        cases = cases.with_columns(pl.Series("index", at, dtype=pl.Int64))
        parts: list[pl.DataFrame] = []
        for (col, check, number), group in cases.group_by(
            ["column", "check", "check_number"], maintain_order=True
        ):
            spec = self.tm.columns[col]
            if check == "not_nullable":
                m = _Meta("missing", {})
            elif number is not None and number < len(self.meta[col]):
                m = self.meta[col][number]
            else:
                m = _Meta("invalid", {})
            text = message_expr(
                m.key, self.lang, pl.col("failure_case"), col=label(spec), **m.params
            )
            parts.append(
                group.select(
                    pl.col("index").cast(pl.UInt32).alias("row"),
                    pl.lit(col).alias("column"),
                    text.alias("reason"),
                )
            )
        found = pl.concat(parts) if parts else pl.DataFrame(schema=REASON_SCHEMA)
        # a value that did not parse is null: its parse reason says more than 'must not be empty'
        return found.join(parse_reasons.select("row", "column"), on=["row", "column"], how="anti")


def _holds_for_all(rule: Rule, spec: ColumnSpec, column: sa.Column) -> bool:
    """Whether ``rule`` holds for every value the mapped column can take: the codes of its code
    table, or its constant (the converted values are those or missing); False for free values."""
    if spec.codes is not None:
        values = list(spec.codes.values())
    elif not spec.sources:
        values = [spec.value]
    else:
        return False
    dtype = DTYPES[kind_of(column)]
    possible = pl.Series(column.name, values).cast(dtype, strict=False).to_frame()
    return bool(possible.select(rule(pl.col(column.name)).fill_null(True).all()).item())


class KeyTracker:
    """Finds rows whose natural key already appeared earlier in the file (across chunks).

    Keys are kept as sorted int64 arrays (a composite key as its 64-bit hash): memory is 16 bytes
    per row and a lookup a binary search. Arrays whose ranges overlap are merged so that only a
    few exist; arrays apart (ids numbered on, chunk after chunk) stay apart, since a chunk is
    searched only in the arrays its range meets, and merging them would copy every key again.
    """

    def __init__(self, key: tuple[str, ...]) -> None:
        self.key = key
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted keys, first lines)

    def _codes(self, frame: pl.DataFrame) -> np.ndarray:
        if len(self.key) == 1 and frame.schema[self.key[0]].is_integer():
            return frame[self.key[0]].cast(pl.Int64).to_numpy()
        hashed = frame.select(pl.struct(list(self.key)).hash(seed=0)).to_series()
        return hashed.to_numpy().view(np.int64)

    def check(self, frame: pl.DataFrame, lines: np.ndarray) -> np.ndarray:
        """For each row, the line of the earlier row with its key, or 0; remembers the new keys."""
        n = frame.height
        first = np.zeros(n, dtype=np.int64)
        if n == 0:
            return first
        keys = self._codes(frame)
        # sorted first: the searches below then walk each part in order (numpy's binary search
        # starts from the previous hit), instead of jumping about it for keys in random order
        order = np.argsort(keys, kind="stable")
        ks, ls = keys[order], lines[order]
        prior = np.zeros(n, dtype=np.int64)  # the earlier chunks' line for each sorted key
        for sorted_keys, sorted_lines in self.parts:
            if sorted_keys[0] > ks[-1] or sorted_keys[-1] < ks[0]:
                continue  # no key of the chunk in this part's range (ids numbered on)
            idx = np.searchsorted(sorted_keys, ks)
            idx_c = np.minimum(idx, len(sorted_keys) - 1)
            hit = (sorted_keys[idx_c] == ks) & (prior == 0)
            prior[hit] = sorted_lines[idx_c[hit]]
        run_start = np.ones(n, dtype=bool)
        run_start[1:] = ks[1:] != ks[:-1]
        start_idx = np.maximum.accumulate(np.where(run_start, np.arange(n), 0))
        # later rows of a run point at the earliest line: in an earlier chunk, else the run's first
        earliest = np.where(prior[start_idx] > 0, prior[start_idx], ls[start_idx])
        within = np.where(run_start, 0, earliest)
        found = np.where(prior == 0, within, prior)
        self._add(ks[run_start & (found == 0)], ls[run_start & (found == 0)])
        first = np.empty(n, dtype=np.int64)
        first[order] = found
        return first

    def _add(self, keys: np.ndarray, lines: np.ndarray) -> None:
        if len(keys) == 0:
            return
        self.parts.append((keys, lines))
        while len(self.parts) > 1 and len(self.parts[-1][0]) * 2 >= len(self.parts[-2][0]):
            (k2, l2), (k1, l1) = self.parts[-1], self.parts[-2]
            if k1[-1] < k2[0] or k2[-1] < k1[0]:  # apart (ids numbered on): left so
                return
            del self.parts[-2:]
            k, ln = np.concatenate([k1, k2]), np.concatenate([l1, l2])
            order = np.argsort(k, kind="stable")
            self.parts.append((k[order], ln[order]))


def duplicate_reasons(
    tracker: KeyTracker, typed: pl.DataFrame, lines: np.ndarray, ok: np.ndarray, lang: str
) -> pl.DataFrame:
    """(row, column, reason) for good rows whose key already appeared in the file."""
    rows = np.flatnonzero(ok)
    if len(rows) == 0:
        return pl.DataFrame(schema=REASON_SCHEMA)
    keys = typed.select(tracker.key)  # only the key columns are gathered
    first = tracker.check(keys if len(rows) == typed.height else keys[rows], lines[rows])
    dup = first > 0
    if not dup.any():
        return pl.DataFrame(schema=REASON_SCHEMA)
    shown = (
        typed[rows[dup]]
        .select(pl.concat_str([pl.col(k).cast(pl.String) for k in tracker.key], separator="/"))
        .to_series()
    )
    texts = [
        reason("duplicate", lang, line=int(line), value=value)
        for line, value in zip(first[dup], shown, strict=True)
    ]
    return pl.DataFrame(
        {"row": rows[dup].astype(np.uint32), "column": [""] * len(texts), "reason": texts},
        schema=REASON_SCHEMA,
    )
