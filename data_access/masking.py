"""Masking of personal data, applied in the data layer before a frame leaves it (GB/T 35273 §7.2).

Names 张* / 欧阳** (surname kept); mobile phones 138****1234; every other number (landlines, ID
numbers, account numbers) keeps at most a few leading and the last 4 characters and hides at least
half: ID first 4 / last 4 at most (``88881234`` → ``****1234``, ``E12345678`` → ``*****5678``);
addresses keep the first few characters (province, city). Each masker works on one value
(``mask_phone``) and on a polars column (``phone_expr``) with identical results. ``protect`` masks
the personal columns of a frame for a scope: only the kinds in ``scope.reveal`` stay clear.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import polars as pl

_STARS = "*" * 64  # longer than any masked run

# (head kept at most, tail kept at most) for numbers; at least half is always hidden
_NUMBER_RULES = {"phone": (3, 4), "id_number": (4, 4), "account": (6, 4)}
_ADDRESS_HEAD = 6


def _keep(n: int, head: int, tail: int) -> tuple[int, int]:
    """Leading and trailing characters to keep: at most head / tail, and at most half of n."""
    shown = min(head + tail, n // 2)
    tail_k = min(tail, shown)
    return min(head, shown - tail_k), tail_k


def _partial(value: str | None, kind: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    n = len(value)
    if kind == "phone" and n == 11:
        return value[:3] + "****" + value[-4:]  # a mobile number: national practice
    head, tail = _keep(n, *_NUMBER_RULES[kind])
    return value[:head] + "*" * (n - head - tail) + (value[n - tail :] if tail else "")


def mask_name(name: str | None) -> str | None:
    """Keep the surname (first character), one '*' per other character: 张三 → 张*, 张三丰 → 张**."""
    if name is None:
        return None
    name = name.strip()
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    """Mobile 13812341234 → 138****1234; other numbers keep at most 3 + last 4, hiding half."""
    return _partial(phone, "phone")


def mask_id_number(id_number: str | None) -> str | None:
    """330102199001011234 → 3301**********1234; shorter numbers hide at least half."""
    return _partial(id_number, "id_number")


def mask_account(account: str | None) -> str | None:
    """Card / account numbers: at most first 6 and last 4, at least half hidden."""
    return _partial(account, "account")


def mask_address(address: str | None) -> str | None:
    """Keep the first characters (province, city; at most half), hide the rest."""
    if address is None:
        return None
    address = address.strip()
    keep = min(_ADDRESS_HEAD, len(address) // 2)
    return address[:keep] + "*" * (len(address) - keep)


def _stars(n: pl.Expr) -> pl.Expr:
    return pl.lit(_STARS).str.slice(0, n)


def _col(col: str | pl.Expr) -> pl.Expr:
    return (pl.col(col) if isinstance(col, str) else col).cast(pl.String).str.strip_chars()


def _keep_null(s: pl.Expr, masked: pl.Expr) -> pl.Expr:
    """A missing value stays missing (never a run of stars)."""
    return pl.when(s.is_null()).then(pl.lit(None, pl.String)).otherwise(masked)


def name_expr(col: str | pl.Expr) -> pl.Expr:
    """Column version of ``mask_name``."""
    s = _col(col)
    n = s.str.len_chars()
    masked = pl.concat_str([s.str.slice(0, 1), _stars(pl.max_horizontal(n - 1, pl.lit(1)))])
    return _keep_null(s, pl.when(n == 0).then(s).otherwise(masked))


def _partial_expr(col: str | pl.Expr, kind: str) -> pl.Expr:
    s = _col(col)
    n = s.str.len_chars().cast(pl.Int64)
    head, tail = _NUMBER_RULES[kind]
    shown = pl.min_horizontal(pl.lit(head + tail), n // 2)
    tail_k = pl.min_horizontal(pl.lit(tail), shown)
    head_k = pl.min_horizontal(pl.lit(head), shown - tail_k)
    general = pl.concat_str(
        [s.str.slice(0, head_k), _stars(n - head_k - tail_k), s.str.slice(n - tail_k, tail_k)]
    )
    if kind == "phone":
        mobile = pl.concat_str([s.str.slice(0, 3), pl.lit("****"), s.str.slice(-4)])
        general = pl.when(n == 11).then(mobile).otherwise(general)
    return _keep_null(s, general)


def phone_expr(col: str | pl.Expr) -> pl.Expr:
    """Column version of ``mask_phone``."""
    return _partial_expr(col, "phone")


def id_number_expr(col: str | pl.Expr) -> pl.Expr:
    """Column version of ``mask_id_number``."""
    return _partial_expr(col, "id_number")


def account_expr(col: str | pl.Expr) -> pl.Expr:
    """Column version of ``mask_account``."""
    return _partial_expr(col, "account")


def address_expr(col: str | pl.Expr) -> pl.Expr:
    """Column version of ``mask_address``."""
    s = _col(col)
    n = s.str.len_chars().cast(pl.Int64)
    keep = pl.min_horizontal(pl.lit(_ADDRESS_HEAD), n // 2)
    return _keep_null(s, pl.concat_str([s.str.slice(0, keep), _stars(n - keep)]))


PERSONAL_COLUMNS: dict[str, Callable[[str | pl.Expr], pl.Expr]] = {
    "name": name_expr,
    "phone": phone_expr,
    "id_number": id_number_expr,
    "address": address_expr,
    "account": account_expr,
}
KINDS = tuple(PERSONAL_COLUMNS)

# Column names that hold personal data in any frame the queries return, and their kind.
PERSONAL_COLUMN_NAMES = {
    "name": "name",
    "customer_name": "name",
    "phone": "phone",
    "id_number": "id_number",
    "address": "address",
    "account_no": "account",
}


def mask_frame(df: pl.DataFrame, columns: dict[str, str] | None = None) -> pl.DataFrame:
    """Mask the personal columns present in ``df``; ``columns`` maps column name → kind
    (``KINDS``), by default the columns named ``name``, ``phone``, ``id_number``, ``address``."""
    columns = columns or {c: c for c in ("name", "phone", "id_number", "address")}
    exprs = []
    for col, kind in columns.items():
        if kind not in PERSONAL_COLUMNS:
            raise ValueError(f"unknown personal-data kind {kind!r} for column {col!r}")
        if col in df.columns:
            exprs.append(PERSONAL_COLUMNS[kind](pl.col(col)).alias(col))
    return df.with_columns(exprs) if exprs else df


def protect(df: pl.DataFrame, reveal: tuple[str, ...], columns: dict[str, str]) -> pl.DataFrame:
    """Mask ``columns`` (name → kind) of a customer frame except the kinds in ``reveal``."""
    hidden = {c: k for c, k in columns.items() if k not in reveal}
    return mask_frame(df, hidden) if hidden else df


def personal(fetch: Callable[..., pl.DataFrame]) -> Callable[..., pl.DataFrame]:
    """Mark a fetch that returns customers' personal columns: its frame leaves masked for the
    ``scope`` argument it was called with, or its ``selection``'s scope (only the kinds in
    ``scope.reveal`` stay clear)."""
    signature = inspect.signature(fetch)
    if "scope" not in signature.parameters and "selection" not in signature.parameters:
        raise TypeError(f"{fetch.__qualname__} takes no scope: cannot mask for its caller")

    @functools.wraps(fetch)
    def masked_fetch(*args: object, **kwargs: object) -> pl.DataFrame:
        bound = signature.bind(*args, **kwargs).arguments
        scope = bound["scope"] if "scope" in bound else bound["selection"].scope
        return protect(fetch(*args, **kwargs), scope.reveal, PERSONAL_COLUMN_NAMES)

    masked_fetch.personal = True  # type: ignore[attr-defined]  (the meta-test looks for it)
    return masked_fetch
