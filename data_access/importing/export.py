"""Write a table in a mapping's layout (the inverse of an import), streamed in chunks.

Used to hand a bank an example of what its export should look like, for the round-trip test
(demo bank → core-banking files → empty database) and for the import benchmark.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import sqlalchemy as sa

from data_access.importing.mapping import ColumnSpec, Mapping, load_mapping
from data_access.importing.rules import TABLE_RULES, kind_of

CHUNK_ROWS = 200_000


def with_thousands(value: pl.Expr) -> pl.Expr:
    """1234567.5 → '1,234,567.50' (two decimals, comma every three digits)."""
    cents = (value * 100).round(0).cast(pl.Int64)
    whole = (cents.abs() // 100).cast(pl.String)
    grouped = whole.str.reverse().str.extract_all(r"\d{1,3}").list.join(",").str.reverse()
    frac = (cents.abs() % 100).cast(pl.String).str.zfill(2)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, grouped, pl.lit("."), frac])


def _out_columns(spec: ColumnSpec, kind: str, thousands: bool) -> list[pl.Expr]:
    col = pl.col(spec.column)
    if spec.codes is not None:
        reverse: dict = {}
        for bank, ours in spec.codes.items():
            reverse.setdefault(ours, bank)
        text = col.replace_strict(list(reverse), list(reverse.values()), default=None)
    elif kind == "number":
        if spec.unit != 1.0:
            text = (col / spec.unit).round(6).map_elements(lambda v: f"{v:.6f}", pl.String)
        elif thousands:
            text = with_thousands(col)
        else:
            text = col.round(2).cast(pl.String)
    elif kind in ("date", "datetime"):
        text = col.dt.strftime(spec.formats[0])
    elif kind == "bool":
        text = col.cast(pl.Int8).cast(pl.String)
    else:
        text = col.cast(pl.String)
    if len(spec.sources) == 1:
        return [text.alias(spec.sources[0])]
    parts = text.str.splitn(" ", len(spec.sources))
    return [parts.struct.field(f"field_{i}").alias(s) for i, s in enumerate(spec.sources)]


def export_table(
    engine: sa.Engine,
    table: str,
    mapping: Mapping | str | Path,
    out: Path | str,
    *,
    encoding: str = "utf-8",
    thousands: bool = False,
) -> int:
    """Write ``table`` to ``out`` (CSV) as ``mapping`` lays it out; rows written."""
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    tm = m.table(table)
    rules = TABLE_RULES[table]
    t = rules.table
    exprs: list[pl.Expr] = []
    for spec in tm.columns.values():
        if spec.sources:
            exprs.extend(_out_columns(spec, kind_of(t.c[spec.column]), thousands))
    codec = "gb18030" if encoding.lower() in ("gbk", "gb18030", "gb2312") else encoding
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stmt = sa.select(*(t.c[c] for c in tm.columns)).order_by(*(t.c[k] for k in rules.key))
    written = 0
    with engine.connect() as conn, out.open("wb") as fh:
        result = conn.execution_options(yield_per=CHUNK_ROWS).execute(stmt)
        schema = {c: _dtype(kind_of(t.c[c])) for c in tm.columns}
        first = True
        for rows in result.partitions():
            frame = pl.DataFrame(rows, schema=schema, orient="row").select(exprs)
            fh.write(frame.write_csv(include_header=first).encode(codec))
            first = False
            written += frame.height
        if first:  # an empty table still gets its header
            empty = pl.DataFrame(schema=schema).select(exprs)
            fh.write(empty.write_csv(include_header=True).encode(codec))
    return written


def _dtype(kind: str) -> pl.DataType:
    return {
        "int": pl.Int64(),
        "number": pl.Float64(),
        "date": pl.Date(),
        "datetime": pl.Datetime("us"),
        "bool": pl.Boolean(),
        "text": pl.String(),
    }[kind]


def export_bank(
    engine: sa.Engine,
    mapping: Mapping | str | Path,
    folder: Path | str,
    *,
    encoding: str = "utf-8",
    thousands: bool = False,
) -> dict[str, Path]:
    """Every table the mapping describes, one file each (named as the mapping says)."""
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    files: dict[str, Path] = {}
    for name in m.tables:
        path = Path(folder) / m.tables[name].file_hint
        export_table(engine, name, m, path, encoding=encoding, thousands=thousands)
        files[name] = path
    return files
