"""Masking of personal data on screen and in exports: name 张*, phone 138****1234, ID 3301**********1234.

Pure functions (no Streamlit), usable by every page and by exports. Each masker works on one
value (``mask_name``) and on a polars column (``name_expr``) with identical results; ``mask_frame``
masks the personal columns of a frame in place of the originals. ``None`` stays ``None``.
"""

from __future__ import annotations

import polars as pl

_STARS = "*" * 32  # longer than any masked run (ID numbers are 18 characters)


def mask_name(name: str | None) -> str | None:
    """Keep the surname (first character), one '*' per other character: 张三 → 张*, 张三丰 → 张**."""
    if name is None:
        return None
    name = name.strip()
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    """Keep the first 3 and last 4 digits: 13812341234 → 138****1234; short numbers keep the last 4."""
    if phone is None:
        return None
    phone = phone.strip()
    n = len(phone)
    if n >= 8:
        return phone[:3] + "*" * (n - 7) + phone[-4:]
    if n > 4:
        return "*" * (n - 4) + phone[-4:]
    return "*" * n


def mask_id_number(id_number: str | None) -> str | None:
    """Keep the first 4 and last 4 characters: 330102199001011234 → 3301**********1234."""
    if id_number is None:
        return None
    id_number = id_number.strip()
    n = len(id_number)
    if n > 8:
        return id_number[:4] + "*" * (n - 8) + id_number[-4:]
    return "*" * n


def _stars(n: pl.Expr) -> pl.Expr:
    return pl.lit(_STARS).str.slice(0, n)


def _keep_null(s: pl.Expr, masked: pl.Expr) -> pl.Expr:
    """A missing value stays missing (never a run of stars)."""
    return pl.when(s.is_null()).then(pl.lit(None, pl.String)).otherwise(masked)


def name_expr(col: str | pl.Expr) -> pl.Expr:
    """Column version of ``mask_name``."""
    s = (pl.col(col) if isinstance(col, str) else col).str.strip_chars()
    n = s.str.len_chars()
    masked = pl.concat_str([s.str.slice(0, 1), _stars(pl.max_horizontal(n - 1, pl.lit(1)))])
    return _keep_null(s, pl.when(n == 0).then(s).otherwise(masked))


def phone_expr(col: str | pl.Expr) -> pl.Expr:
    """Column version of ``mask_phone``."""
    s = (pl.col(col) if isinstance(col, str) else col).str.strip_chars()
    n = s.str.len_chars()
    return _keep_null(
        s,
        pl.when(n >= 8)
        .then(pl.concat_str([s.str.slice(0, 3), _stars(n - 7), s.str.slice(-4)]))
        .when(n > 4)
        .then(pl.concat_str([_stars(n - 4), s.str.slice(-4)]))
        .otherwise(_stars(n)),
    )


def id_number_expr(col: str | pl.Expr) -> pl.Expr:
    """Column version of ``mask_id_number``."""
    s = (pl.col(col) if isinstance(col, str) else col).str.strip_chars()
    n = s.str.len_chars()
    return _keep_null(
        s,
        pl.when(n > 8)
        .then(pl.concat_str([s.str.slice(0, 4), _stars(n - 8), s.str.slice(-4)]))
        .otherwise(_stars(n)),
    )


PERSONAL_COLUMNS = {"name": name_expr, "phone": phone_expr, "id_number": id_number_expr}


def mask_frame(df: pl.DataFrame, columns: dict[str, str] | None = None) -> pl.DataFrame:
    """Mask the personal columns present in ``df``; ``columns`` maps column name → kind
    ('name' / 'phone' / 'id_number'), by default the columns named ``name``, ``phone``, ``id_number``."""
    columns = columns or {c: c for c in PERSONAL_COLUMNS}
    exprs = []
    for col, kind in columns.items():
        if kind not in PERSONAL_COLUMNS:
            raise ValueError(f"unknown personal-data kind {kind!r} for column {col!r}")
        if col in df.columns:
            exprs.append(PERSONAL_COLUMNS[kind](pl.col(col).cast(pl.String)).alias(col))
    return df.with_columns(exprs) if exprs else df
