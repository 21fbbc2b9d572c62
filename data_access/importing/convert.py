"""Turn a chunk of raw text columns into our typed columns, as a mapping says; note what does not parse.

Amounts lose thousands separators (``1,234.50``) and are scaled by the unit (万元 × 10,000,
rounded to the fen); dates are tried against the mapping's formats in order; code tables turn
the bank's codes into ours. A value that does not parse becomes null and gives a reason.
"""

from __future__ import annotations

import polars as pl

from data_access.importing.mapping import DEFAULT_DATE_FORMATS, ColumnSpec, TableMapping
from data_access.importing.messages import reason
from data_access.importing.rules import TABLE_RULES, kind_of

_TRUE = ("1", "true", "t", "y", "yes", "是", "真")
_FALSE = ("0", "false", "f", "n", "no", "否", "假")
_NUMBER_NOISE = r"[,，\s¥￥]|元$"
REASON_SCHEMA = {"row": pl.UInt32, "column": pl.String, "reason": pl.String}


def label(spec: ColumnSpec) -> str:
    """How a column is named in messages: the bank's header, else ours."""
    return "+".join(spec.sources) if spec.sources else spec.column


def message_expr(key: str, lang: str, value: pl.Expr, **params: object) -> pl.Expr:
    """A reason text per row, with the row's value put in at {value}."""
    template = reason(key, lang, value="\x00", **params)
    pre, _, post = template.partition("\x00")
    shown = value.cast(pl.String).fill_null("").str.slice(0, 40)
    return pl.concat_str([pl.lit(pre), shown, pl.lit(post)])


def _text(spec: ColumnSpec) -> pl.Expr:
    if len(spec.sources) == 1:
        expr = pl.col(spec.sources[0])
    else:
        expr = pl.concat_str([pl.col(s).str.strip_chars() for s in spec.sources], separator=" ")
    expr = expr.str.strip_chars()
    return pl.when(expr == "").then(None).otherwise(expr)


def _parse(spec: ColumnSpec, kind: str, text: pl.Expr) -> tuple[pl.Expr, str]:
    """(typed expression, reason key when a present value gives null)."""
    if spec.codes is not None:
        dtype = pl.Boolean if kind == "bool" else pl.String
        return (
            text.replace_strict(
                list(spec.codes), list(spec.codes.values()), default=None, return_dtype=dtype
            ),
            "unknown_code",
        )
    if kind == "int":
        cleaned = text.str.replace_all(r"[,，\s]", "")
        return cleaned.cast(pl.Int64, strict=False), "not_int"
    if kind == "number":
        value = text.str.replace_all(_NUMBER_NOISE, "").cast(pl.Float64, strict=False)
        value = pl.when(value.is_finite()).then(value)
        if spec.unit != 1.0:
            value = (value * spec.unit).round(2)
        return value, "not_number"
    if kind == "date":
        tries = [text.str.strptime(pl.Date, f, strict=False) for f in spec.formats]
        return pl.coalesce(tries), "not_date"
    if kind == "datetime":
        tries = [text.str.strptime(pl.Datetime("us"), f, strict=False) for f in spec.formats]
        tries += [
            text.str.strptime(pl.Date, f, strict=False).cast(pl.Datetime("us"))
            for f in DEFAULT_DATE_FORMATS
        ]
        return pl.coalesce(tries), "not_date"
    if kind == "bool":
        lowered = text.str.to_lowercase()
        return (
            pl.when(lowered.is_in(_TRUE))
            .then(True)
            .when(lowered.is_in(_FALSE))
            .then(False)
            .otherwise(None),
            "not_bool",
        )
    return text, ""


_DTYPES = {
    "int": pl.Int64,
    "number": pl.Float64,
    "date": pl.Date,
    "datetime": pl.Datetime("us"),
    "bool": pl.Boolean,
    "text": pl.String,
}


def convert(raw: pl.DataFrame, tm: TableMapping, lang: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(typed frame with our columns, reasons frame (row, column, reason)) for one chunk."""
    table = TABLE_RULES[tm.table].table
    typed: list[pl.Expr] = []
    failed: list[pl.Expr] = []
    for col, spec in tm.columns.items():
        kind = kind_of(table.c[col])
        if not spec.sources:
            typed.append(pl.lit(spec.value, dtype=_DTYPES[kind]).alias(col))
            continue
        text = _text(spec)
        value, key = _parse(spec, kind, text)
        typed.append(value.cast(_DTYPES[kind]).alias(col))
        if key:
            fmt = " / ".join(spec.formats)
            failed.append(
                pl.when(text.is_not_null() & value.is_null())
                .then(message_expr(key, lang, text, col=label(spec), formats=fmt))
                .alias(f"\x00{col}")
            )
    frame = raw.select(typed) if typed else pl.DataFrame()
    if not failed:
        return frame, pl.DataFrame(schema=REASON_SCHEMA)
    fails = raw.select(failed).with_row_index("row")
    reasons = (
        fails.unpivot(index="row", variable_name="column", value_name="reason")
        .drop_nulls("reason")
        .with_columns(pl.col("column").str.strip_prefix("\x00"))
    )
    return frame, reasons.cast(REASON_SCHEMA)
