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
        return text.cast(pl.Int64, strict=False), "not_int"
    if kind == "number":
        value = text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
        value = pl.when(value.is_finite()).then(value)
        if spec.unit != 1.0:
            value = (value * spec.unit).round(2)
        return value, "not_number"
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


def _dates(text: pl.Series, dtype: pl.DataType, formats: tuple[str, ...]) -> pl.Series:
    """Try each format only on the values the earlier ones could not read (usually none)."""
    out = text.str.strptime(dtype, formats[0], strict=False)
    for fmt in formats[1:]:
        missing = (out.is_null() & text.is_not_null()).arg_true()
        if missing.len() == 0:
            break
        out = out.scatter(missing, text.gather(missing).str.strptime(dtype, fmt, strict=False))
    return out


def _column(raw: pl.DataFrame, spec: ColumnSpec, kind: str) -> tuple[pl.Series, pl.Series, str]:
    """(text as written, typed value, reason key when a present value gives null) of one column."""
    text = raw.select(_text(spec).alias(spec.column)).to_series()
    if spec.codes is None and kind == "date":
        return text, _dates(text, pl.Date(), spec.formats), "not_date"
    if spec.codes is None and kind == "datetime":
        fallback = tuple(f for f in DEFAULT_DATE_FORMATS if f not in spec.formats)
        value = _dates(text, pl.Datetime("us"), spec.formats)
        if value.null_count() > text.null_count() and fallback:  # date-only values: midnight
            dates = _dates(text, pl.Date(), fallback).cast(pl.Datetime("us"))
            value = value.fill_null(dates)
        return text, value, "not_date"
    expr, key = _parse(spec, kind, pl.col(spec.column))
    value = text.to_frame().select(expr.cast(_DTYPES[kind]).alias(spec.column)).to_series()
    if kind in ("int", "number") and spec.codes is None:
        missing = (value.is_null() & text.is_not_null()).arg_true()
        if missing.len():  # rare: full-width commas, spaces, ¥, a trailing 元
            cleaned = text.gather(missing).str.replace_all(_NUMBER_NOISE, "").alias(spec.column)
            again = cleaned.to_frame().select(expr.cast(_DTYPES[kind])).to_series()
            value = value.scatter(missing, again)
    return text, value, key


def convert(raw: pl.DataFrame, tm: TableMapping, lang: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(typed frame with our columns, reasons frame (row, column, reason)) for one chunk."""
    table = TABLE_RULES[tm.table].table
    typed: list[pl.Series] = []
    reasons: list[pl.DataFrame] = []
    for col, spec in tm.columns.items():
        kind = kind_of(table.c[col])
        if not spec.sources:
            typed.append(
                pl.repeat(spec.value, raw.height, dtype=_DTYPES[kind], eager=True).alias(col)
            )
            continue
        text, value, key = _column(raw, spec, kind)
        typed.append(value.cast(_DTYPES[kind]).alias(col))
        if not key:
            continue
        bad = (text.is_not_null() & value.is_null()).arg_true()
        if bad.len():
            fmt = " / ".join(spec.formats)
            reasons.append(
                pl.DataFrame({"row": bad, "text": text.gather(bad)}).select(
                    pl.col("row").cast(pl.UInt32),
                    pl.lit(col).alias("column"),
                    message_expr(key, lang, pl.col("text"), col=label(spec), formats=fmt).alias(
                        "reason"
                    ),
                )
            )
    frame = pl.DataFrame(typed) if typed else pl.DataFrame()
    if not reasons:
        return frame, pl.DataFrame(schema=REASON_SCHEMA)
    return frame, pl.concat(reasons).cast(REASON_SCHEMA)
