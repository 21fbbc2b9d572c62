"""Mapping files: how one source's export (its headers, codes, units, date formats) maps to our tables.

A mapping is a TOML file (see ``mappings/core_banking.toml``). Loading it checks every entry
against the schema and the code lists and raises ``MappingError`` naming the entry, e.g.
``core_banking.toml: tables.footprints.columns.amount.unit``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from data_access.errors import InvalidImport
from data_access.importing.rules import TABLE_RULES, code_list, kind_of

MAPPINGS_DIR = Path(__file__).with_name("mappings")
UNITS = {"元": 1.0, "yuan": 1.0, "万元": 10_000.0, "wan": 10_000.0}
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "gbk", "gb18030", "gb2312")
DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d")
DEFAULT_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y%m%d %H%M%S", "%Y/%m/%d %H:%M:%S")


class MappingError(InvalidImport):
    """A mapping file is malformed; the message names the entry."""


@dataclass(frozen=True)
class ColumnSpec:
    """Where one of our columns comes from in the source file."""

    column: str
    sources: tuple[str, ...] = ()  # source headers, joined with a space when several
    value: Any = None  # a constant when the source has no such column
    unit: float = 1.0  # multiply the number by this (万元 → 10000)
    formats: tuple[str, ...] = ()  # strftime formats tried in order
    codes: dict[str, str] | None = None  # bank code → our code
    codes_name: str | None = None


@dataclass(frozen=True)
class TableMapping:
    """One of our tables as the source exports it."""

    table: str
    file_hint: str
    columns: dict[str, ColumnSpec]

    @property
    def source_headers(self) -> list[str]:
        """Every source header the file must carry, in mapping order."""
        seen: dict[str, None] = {}
        for spec in self.columns.values():
            for s in spec.sources:
                seen.setdefault(s, None)
        return list(seen)


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file."""

    name: str
    label: str  # in Chinese
    label_en: str
    path: Path
    encoding: str
    delimiter: str
    period_start: date | None
    period_end: date | None
    tables: dict[str, TableMapping] = field(default_factory=dict)

    def table(self, name: str) -> TableMapping:
        """The mapping of one of our tables; MappingError when the file has none."""
        if name not in self.tables:
            raise MappingError(
                f"{self.path.name}: no [tables.{name}] entry (it maps {', '.join(self.tables)})"
            )
        return self.tables[name]


def available_mappings() -> dict[str, Path]:
    """The mappings shipped with Footprint, by name."""
    return {p.stem: p for p in sorted(MAPPINGS_DIR.glob("*.toml"))}


def resolve(name_or_path: str | Path) -> Path:
    """A shipped mapping's name or a path to a TOML file."""
    shipped = available_mappings()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    path = Path(name_or_path)
    if not path.is_file():
        raise MappingError(
            f"no mapping {str(name_or_path)!r}: give a TOML file or one of {', '.join(shipped)}"
        )
    return path


def load_mapping(name_or_path: str | Path) -> Mapping:
    """Read and check a mapping file; MappingError names the first bad entry."""
    path = resolve(name_or_path)
    where = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{where}: not valid TOML: {exc}") from exc
    source = _table(raw, "source", where)
    encoding = str(source.get("encoding", "auto")).lower()
    if encoding not in ENCODINGS:
        raise MappingError(f"{where}: source.encoding {encoding!r} unknown (use {ENCODINGS})")
    delimiter = str(source.get("delimiter", ","))
    if len(delimiter) != 1:
        raise MappingError(f"{where}: source.delimiter must be one character")
    period = raw.get("period", {})
    codes = raw.get("codes", {})
    if not isinstance(codes, dict):
        raise MappingError(f"{where}: [codes] must be a table of code tables")
    tables_raw = _table(raw, "tables", where)
    tables = {
        name: _table_mapping(name, spec, codes, source, f"{where}: tables.{name}")
        for name, spec in tables_raw.items()
    }
    return Mapping(
        name=str(source.get("name", path.stem)),
        label=str(source.get("label", path.stem)),
        label_en=str(source.get("label_en", source.get("label", path.stem))),
        path=path,
        encoding=encoding,
        delimiter=delimiter,
        period_start=_date(period.get("start"), f"{where}: period.start"),
        period_end=_date(period.get("end"), f"{where}: period.end"),
        tables=tables,
    )


def _table(raw: dict, key: str, where: str) -> dict:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise MappingError(f"{where}: missing [{key}] table")
    return value


def _date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise MappingError(f"{where}: not a date (YYYY-MM-DD): {value!r}") from exc


def _table_mapping(name: str, spec: Any, codes: dict, source: dict, where: str) -> TableMapping:
    if name not in TABLE_RULES:
        raise MappingError(f"{where}: not a table Footprint imports ({', '.join(TABLE_RULES)})")
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: must be a table")
    table = TABLE_RULES[name].table
    cols_raw = spec.get("columns", {})
    if not isinstance(cols_raw, dict):
        raise MappingError(f"{where}.columns: must be a table")
    same_names = bool(spec.get("same_names", False))
    columns: dict[str, ColumnSpec] = {}
    for col, entry in cols_raw.items():
        columns[col] = _column(table, col, entry, codes, source, f"{where}.columns.{col}")
    if same_names:
        for col in table.columns:
            if col.name not in columns:
                columns[col.name] = _column(
                    table, col.name, col.name, codes, source, f"{where}.columns.{col.name}"
                )
    for col in table.columns:
        if col.name not in columns and not col.nullable:
            raise MappingError(
                f"{where}.columns: {col.name} is required and not mapped "
                f"(give a source header or a constant value)"
            )
    ordered = {c.name: columns[c.name] for c in table.columns if c.name in columns}
    return TableMapping(table=name, file_hint=str(spec.get("file", name)), columns=ordered)


def _column(
    table: sa.Table, col: str, entry: Any, codes: dict, source: dict, where: str
) -> ColumnSpec:
    if col not in table.c:
        raise MappingError(f"{where}: {table.name} has no column {col!r}")
    if isinstance(entry, str | list):
        entry = {"from": entry}
    if not isinstance(entry, dict):
        raise MappingError(f"{where}: give a header name or a table with 'from' or 'value'")
    unknown = set(entry) - {"from", "value", "unit", "formats", "codes"}
    if unknown:
        raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
    sources = entry.get("from", ())
    sources = (sources,) if isinstance(sources, str) else tuple(sources)
    if not sources and "value" not in entry:
        raise MappingError(f"{where}: give 'from' (source header) or 'value' (a constant)")
    if sources and "value" in entry:
        raise MappingError(f"{where}: give either 'from' or 'value', not both")
    if any(not isinstance(s, str) or not s.strip() for s in sources):
        raise MappingError(f"{where}.from: header names must be non-empty text")
    kind = kind_of(table.c[col])
    unit = entry.get("unit", "元")
    if unit not in UNITS:
        raise MappingError(f"{where}.unit: {unit!r} unknown (use 元 or 万元)")
    if UNITS[unit] != 1.0 and kind != "number":
        raise MappingError(f"{where}.unit: only amounts have a unit ({col} is a {kind})")
    formats = entry.get("formats")
    if formats is None:
        key = "datetime_formats" if kind == "datetime" else "date_formats"
        formats = source.get(
            key, DEFAULT_DATETIME_FORMATS if kind == "datetime" else DEFAULT_DATE_FORMATS
        )
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    if kind in ("date", "datetime"):
        for f in formats:
            _check_format(f, kind, f"{where}.formats")
    elif "formats" in entry:
        raise MappingError(f"{where}.formats: only dates have formats ({col} is a {kind})")
    code_table = None
    codes_name = entry.get("codes")
    if codes_name is not None:
        if codes_name not in codes or not isinstance(codes[codes_name], dict):
            raise MappingError(f"{where}.codes: no code table [codes.{codes_name}]")
        code_table = {str(k): v for k, v in codes[codes_name].items()}
        file = where.split(": ", 1)[0]
        allowed = code_list(table.name, col)
        for bank_code, ours in code_table.items():
            if kind == "bool":
                if not isinstance(ours, bool):
                    raise MappingError(
                        f"{file}: codes.{codes_name}.{bank_code}: give true or false"
                    )
            elif allowed is not None and ours not in allowed:
                raise MappingError(
                    f"{file}: codes.{codes_name}.{bank_code}: {ours!r} is not one of our {col} codes "
                    f"({', '.join(allowed)})"
                )
    return ColumnSpec(
        column=col,
        sources=sources,
        value=entry.get("value"),
        unit=UNITS[unit],
        formats=formats if kind in ("date", "datetime") else (),
        codes=code_table,
        codes_name=codes_name,
    )


def _check_format(fmt: str, kind: str, where: str) -> None:
    """A format polars can both write and read back (chrono's strftime, as the import uses)."""
    if not isinstance(fmt, str) or "%" not in fmt:
        raise MappingError(f"{where}: {fmt!r} is not a strftime format such as %Y%m%d")
    if "%Y" not in fmt and "%y" not in fmt:
        raise MappingError(f"{where}: {fmt!r} has no year (%Y)")
    sample = pl.Series([datetime(2026, 11, 22, 15, 30, 12)])
    dtype = pl.Datetime("us") if kind == "datetime" else pl.Date
    try:
        text = sample.dt.strftime(fmt)
        back = text.str.strptime(dtype, fmt, strict=True)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise MappingError(f"{where}: {fmt!r} is not a usable format: {exc}") from exc
    if back.is_null().any():
        raise MappingError(f"{where}: {fmt!r} cannot be read back")
