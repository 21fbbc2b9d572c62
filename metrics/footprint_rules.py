"""Footprint rules as data (metrics/rules.toml): load and validate, and evaluate them in polars.

The file defines *measures* (what is counted per customer from one kind of footprint, with
filters, a time window and an optional decay), *signals* (conditions on measures) and *offers*
(next best products from signals, tier, occupation, season and holdings). This module is the
loader and the polars path (rows of footprints in, measures and signals out);
``data_access.queries.signals`` compiles the same rules to SQL for the signals mart. Any problem
raises ``RulesError`` naming the rule, e.g. ``signals.car_owner.when[0].measure``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from metrics.recommend import Rule
from metrics.standards import Coded, Label, Standards

DEFAULT_RULES = Path(__file__).with_name("rules.toml")
RULES_FILE_NAME = "rules.toml"

AGGREGATES = ("count", "sum", "max", "count_distinct")
OPS = (">", ">=", "<", "<=", "==", "!=")
MATCHES = ("any", "all")
DECAY_STEP_DAYS = 7  # decay is applied by whole weeks of age: the same weights in SQL and polars
DECAY_HORIZON = 10  # half-lives after which a footprint no longer counts


@dataclass(frozen=True)
class Source:
    """One kind of footprint a measure can read: its table's time column and filterable columns."""

    time: str
    text: tuple[str, ...]
    numbers: tuple[str, ...]
    flags: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column a rule may name."""
        return self.text + self.numbers + self.flags


SOURCES: dict[str, Source] = {
    "hard": Source(
        "occurred_at",
        ("kind", "direction", "channel", "counterparty_type", "merchant_category", "place"),
        ("amount",),
        ("self_initiated",),
    ),
    "soft": Source(
        "captured_at", ("kind", "source", "place"), ("fuel_grade", "litres", "amount", "confidence")
    ),
    "holding": Source("opened_on", ("product",), ("balance", "credit_limit")),
    "external": Source("as_of", ("platform",), ("credit_limit",)),
}


class RulesError(ValueError):
    """The rules file is malformed; the message names the rule."""


@dataclass(frozen=True)
class Filter:
    """Keep rows whose ``column`` is one of ``values``, or within [lo, hi]."""

    column: str
    values: tuple[str | bool, ...] = ()
    lo: float | None = None
    hi: float | None = None


@dataclass(frozen=True)
class Measure:
    """A per-customer aggregate over one kind of footprint."""

    code: str
    description: str
    source: str
    aggregate: str
    field: str | None
    where: tuple[Filter, ...]
    window_days: int | None = None
    window_months: int | None = None
    half_life_days: float | None = None

    @property
    def dtype(self) -> pl.DataType:
        """Int64 for plain counts, Float64 otherwise."""
        plain_count = self.aggregate in ("count", "count_distinct") and not self.half_life_days
        return pl.Int64() if plain_count else pl.Float64()

    @property
    def zero_when_none(self) -> bool:
        """Counts and sums read 0 for a customer with no rows; a max stays null."""
        return self.aggregate != "max"


@dataclass(frozen=True)
class Condition:
    """``measure`` (or measure / ``per``) compared with a number, with its evidence template."""

    measure: str
    op: str
    value: float | None
    value_from: str | None
    per: str | None
    show: str
    evidence_zh: str
    evidence_en: str


@dataclass(frozen=True)
class Signal(Coded):  # its code is a column of the signals mart
    """A named signal: on when any / all of its conditions hold."""

    match: str
    when: tuple[Condition, ...]


@dataclass(frozen=True)
class FootprintRules:
    """The whole rules file."""

    version: str
    info: Label
    tier_boost: dict[str, float]
    measures: tuple[Measure, ...]
    signals: tuple[Signal, ...]
    offers: tuple[Rule, ...]
    source: str

    def measure(self, code: str) -> Measure:
        """The measure with this code."""
        for m in self.measures:
            if m.code == code:
                return m
        raise KeyError(code)

    def signal(self, code: str) -> Signal:
        """The signal with this code."""
        for s in self.signals:
            if s.code == code:
                return s
        raise KeyError(code)


# --- loading and validation -------------------------------------------------------------------


def _get(d: dict[str, Any], key: str, path: str, kind: type | tuple[type, ...], default: Any = ...):
    if key not in d:
        if default is ...:
            raise RulesError(f"{path}.{key}: missing")
        return default
    value = d[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise RulesError(f"{path}.{key}: expected {_kind_name(kind)}, got {value!r}")
    if not isinstance(value, kind):
        raise RulesError(f"{path}.{key}: expected {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _label(d: dict[str, Any], path: str) -> Label:
    return Label(
        code=_get(d, "code", path, str, default=path),
        label_zh=_get(d, "label_zh", path, str),
        label_en=_get(d, "label_en", path, str),
        description=_get(d, "description", path, str),
    )


def _str_list(d: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
    items = _get(d, key, path, list, default=[])
    if not all(isinstance(i, str) and i for i in items):
        raise RulesError(f"{path}.{key}: expected a list of codes")
    return tuple(items)


def _code(raw: Any, section: str, i: int) -> tuple[dict[str, Any], str]:
    if not isinstance(raw, dict):
        raise RulesError(f"{section}[{i}]: expected a table")
    code = raw.get("code")
    if not isinstance(code, str) or not code.isidentifier():
        raise RulesError(f"{section}[{i}].code: expected an identifier, got {code!r}")
    return raw, f"{section}.{code}"


def _filters(raw: Any, path: str, source: Source) -> tuple[Filter, ...]:
    if not isinstance(raw, dict):
        raise RulesError(f"{path}: expected a table of column = list or {{min, max}}")
    out = []
    for column, cond in raw.items():
        p = f"{path}.{column}"
        if column not in source.columns:
            raise RulesError(f"{p}: this source has no such column (one of {list(source.columns)})")
        if isinstance(cond, list):
            kinds = (bool,) if column in source.flags else (str,)
            if not cond or not all(isinstance(v, kinds) for v in cond):
                raise RulesError(f"{p}: expected a non-empty list of {kinds[0].__name__} values")
            out.append(Filter(column, values=tuple(cond)))
        elif isinstance(cond, dict):
            if column not in source.numbers:
                raise RulesError(f"{p}: a {{min, max}} range needs a number column")
            unknown = set(cond) - {"min", "max"}
            if unknown or not cond:
                raise RulesError(f"{p}: expected min and/or max, got {sorted(cond)}")
            lo, hi = (_number(cond, k, p) if k in cond else None for k in ("min", "max"))
            if lo is not None and hi is not None and lo > hi:
                raise RulesError(f"{p}: min {lo} is above max {hi}")
            out.append(Filter(column, lo=lo, hi=hi))
        else:
            raise RulesError(f"{p}: expected a list of values or {{min, max}}")
    return tuple(out)


def _number(d: dict[str, Any], key: str, path: str) -> float:
    value = _get(d, key, path, (int, float))
    if not math.isfinite(value):
        raise RulesError(f"{path}.{key}: expected a finite number, got {value!r}")
    return float(value)


def _positive_int(d: dict[str, Any], key: str, path: str) -> int | None:
    value = _get(d, key, path, int, default=None)
    if value is not None and value < 1:
        raise RulesError(f"{path}.{key}: must be at least 1, got {value}")
    return value


def _measure(raw: dict[str, Any], path: str) -> Measure:
    source_name = _get(raw, "source", path, str)
    if source_name not in SOURCES:
        raise RulesError(f"{path}.source: expected one of {list(SOURCES)}, got {source_name!r}")
    source = SOURCES[source_name]
    aggregate = _get(raw, "aggregate", path, str)
    if aggregate not in AGGREGATES:
        raise RulesError(f"{path}.aggregate: expected one of {list(AGGREGATES)}, got {aggregate!r}")
    field = _get(raw, "field", path, str, default=None)
    if aggregate == "count":
        if field is not None:
            raise RulesError(f"{path}.field: a count takes no field")
    elif field is None:
        raise RulesError(f"{path}.field: missing (needed by {aggregate})")
    elif field not in source.columns:
        raise RulesError(f"{path}.field: {source_name} footprints have no column {field!r}")
    elif aggregate in ("sum", "max") and field not in source.numbers:
        raise RulesError(f"{path}.field: {aggregate} needs a number column, {field!r} is not")
    window_days = _positive_int(raw, "window_days", path)
    window_months = _positive_int(raw, "window_months", path)
    if window_days and window_months:
        raise RulesError(f"{path}: give window_days or window_months, not both")
    half_life = raw.get("half_life_days")
    if half_life is not None:
        half_life = _number(raw, "half_life_days", path)
        if half_life <= 0:
            raise RulesError(f"{path}.half_life_days: must be more than 0, got {half_life}")
        if aggregate not in ("count", "sum"):
            raise RulesError(f"{path}.half_life_days: decay applies to count and sum only")
    known = {"code", "description", "source", "aggregate", "field", "where"}
    known |= {"window_days", "window_months", "half_life_days"}
    _no_unknown(raw, known, path)
    return Measure(
        code=raw["code"],
        description=_get(raw, "description", path, str),
        source=source_name,
        aggregate=aggregate,
        field=field,
        where=_filters(raw.get("where", {}), f"{path}.where", source),
        window_days=window_days,
        window_months=window_months,
        half_life_days=half_life,
    )


def _no_unknown(raw: dict[str, Any], known: set[str], path: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise RulesError(f"{path}: unknown keys {unknown}")


_PLACEHOLDER_TEST = 1234.5


def _template(text: str, path: str, names: set[str]) -> str:
    try:
        text.format(**{n: _PLACEHOLDER_TEST for n in names})
    except (KeyError, IndexError) as exc:
        raise RulesError(f"{path}: unknown name {exc} in the template") from exc
    except ValueError as exc:
        raise RulesError(f"{path}: bad template ({exc})") from exc
    return text


def _condition(raw: Any, path: str, measures: dict[str, Measure]) -> Condition:
    if not isinstance(raw, dict):
        raise RulesError(f"{path}: expected a table")
    measure = _get(raw, "measure", path, str)
    if measure not in measures:
        raise RulesError(f"{path}.measure: unknown measure {measure!r}")
    per = _get(raw, "per", path, str, default=None)
    if per is not None and per not in measures:
        raise RulesError(f"{path}.per: unknown measure {per!r}")
    op = _get(raw, "op", path, str)
    if op not in OPS:
        raise RulesError(f"{path}.op: expected one of {list(OPS)}, got {op!r}")
    has_value, has_from = "value" in raw, "value_from" in raw
    if has_value == has_from:
        raise RulesError(f"{path}: give exactly one of value and value_from")
    value = _number(raw, "value", path) if has_value else None
    value_from = _get(raw, "value_from", path, str) if has_from else None
    if value_from is not None and value_from.count(".") != 1:
        raise RulesError(f"{path}.value_from: expected section.name of the standard")
    show = _get(raw, "show", path, str, default="met")
    if show not in ("met", "observed"):
        raise RulesError(f"{path}.show: expected 'met' or 'observed', got {show!r}")
    names = set(measures) | {"ratio"}
    _no_unknown(
        raw,
        {"measure", "per", "op", "value", "value_from", "show", "evidence_zh", "evidence_en"},
        path,
    )
    return Condition(
        measure=measure,
        op=op,
        value=value,
        value_from=value_from,
        per=per,
        show=show,
        evidence_zh=_template(_get(raw, "evidence_zh", path, str), f"{path}.evidence_zh", names),
        evidence_en=_template(_get(raw, "evidence_en", path, str), f"{path}.evidence_en", names),
    )


def _signal(raw: dict[str, Any], path: str, measures: dict[str, Measure]) -> Signal:
    match = _get(raw, "match", path, str, default="any")
    if match not in MATCHES:
        raise RulesError(f"{path}.match: expected one of {list(MATCHES)}, got {match!r}")
    when = _get(raw, "when", path, list)
    if not when:
        raise RulesError(f"{path}.when: a signal needs at least one condition")
    _no_unknown(raw, {"code", "label_zh", "label_en", "description", "match", "when"}, path)
    return Signal(
        _label(raw, path),
        match,
        tuple(_condition(c, f"{path}.when[{i}]", measures) for i, c in enumerate(when)),
    )


_OFFER_TEXT = ("label_zh", "label_en", "reason_zh", "reason_en", "talk_zh", "talk_en")


def _offer(raw: dict[str, Any], path: str, signals: set[str], tiers: set[str]) -> Rule:
    weight = _number(raw, "weight", path)
    if not 0 < weight <= 1:
        raise RulesError(f"{path}.weight: {weight} is outside (0, 1]")
    needs = _str_list(raw, "signals", path)
    unknown = [s for s in needs if s not in signals]
    if unknown:
        raise RulesError(f"{path}.signals: unknown signals {unknown}")
    offer_tiers = _str_list(raw, "tiers", path)
    bad_tiers = [t for t in offer_tiers if t not in tiers]
    if bad_tiers:
        raise RulesError(f"{path}.tiers: not in [tier_boost]: {bad_tiers}")
    months = _get(raw, "months", path, list, default=[])
    if not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in months):
        raise RulesError(f"{path}.months: expected month numbers 1..12")
    _no_unknown(
        raw,
        {"code", "product", "weight", "signals", "not_held", "tiers", "occupations", "months"}
        | set(_OFFER_TEXT),
        path,
    )
    return Rule(
        code=raw["code"],
        product=_get(raw, "product", path, str),
        weight=weight,
        **{k: _get(raw, k, path, str) for k in _OFFER_TEXT},
        signals=needs,
        not_held=_str_list(raw, "not_held", path),
        tiers=offer_tiers,
        occupations=_str_list(raw, "occupations", path),
        months=tuple(months),
    )


def _entries(data: dict[str, Any], section: str) -> list[tuple[dict[str, Any], str]]:
    raw = data.get(section, [])
    if not isinstance(raw, list):
        raise RulesError(f"{section}: expected [[{section}]] entries")
    out = [_code(r, section, i) for i, r in enumerate(raw)]
    seen: set[str] = set()
    for _, path in out:
        if path in seen:
            raise RulesError(f"{path}: appears twice")
        seen.add(path)
    return out


def parse_rules(data: dict[str, Any], source: str = "<dict>") -> FootprintRules:
    """Validate a parsed rules document and build the FootprintRules."""
    meta = _get(data, "rules", "document", dict)
    boost_raw = _get(data, "tier_boost", "document", dict)
    boost = {k: _number(boost_raw, k, "tier_boost") for k in boost_raw}
    if any(v <= 0 for v in boost.values()):
        raise RulesError("tier_boost: every boost must be more than 0")
    measures = {path.split(".", 1)[1]: _measure(r, path) for r, path in _entries(data, "measures")}
    signals = [_signal(r, path, measures) for r, path in _entries(data, "signals")]
    codes = {s.code for s in signals}
    offers = tuple(_offer(r, path, codes, set(boost)) for r, path in _entries(data, "offers"))
    _no_unknown(data, {"rules", "tier_boost", "measures", "signals", "offers"}, "document")
    return FootprintRules(
        version=_get(meta, "version", "rules", str),
        info=_label(meta | {"code": "rules"}, "rules"),
        tier_boost=boost,
        measures=tuple(measures.values()),
        signals=tuple(signals),
        offers=offers,
        source=source,
    )


def load_rules(path: str | Path | None = None) -> FootprintRules:
    """Read a rules file (the default edition when ``path`` is None or empty)."""
    file = Path(path) if path else DEFAULT_RULES
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise RulesError(f"rules file not found: {file}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{file}: not valid TOML: {exc}") from exc
    return parse_rules(data, str(file))


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> FootprintRules:
    return load_rules(path)


def rules_for(standards: Standards) -> FootprintRules:
    """The rules beside the standard's file (its folder's rules.toml), else the default edition."""
    beside = Path(standards.source).with_name(RULES_FILE_NAME)
    file = beside if beside.is_file() else DEFAULT_RULES
    return _cached(str(file), file.stat().st_mtime)


def threshold(cond: Condition, standards: Standards, path: str = "") -> float:
    """The number a condition compares with: its value, or the standard's ``value_from``."""
    if cond.value is not None:
        return cond.value
    section, name = str(cond.value_from).split(".")
    value = getattr(getattr(standards, section, None), name, None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(
            f"{path or cond.measure}.value_from: the standard has no number {cond.value_from!r}"
        )
    return float(value)


# --- time windows and decay (the SQL compiler uses the same bounds) ---------------------------


def months_back(day: date, months: int) -> date:
    """The same day ``months`` months earlier (clamped to the month's last day)."""
    import calendar

    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def window_start(measure: Measure, as_of: date) -> date | None:
    """First day a windowed measure counts (the window ends on ``as_of``, inclusive)."""
    if measure.window_days:
        return as_of - timedelta(days=measure.window_days - 1)
    if measure.window_months:
        return months_back(as_of, measure.window_months) + timedelta(days=1)
    return None


def decay_steps(measure: Measure, as_of: date) -> list[tuple[date, float]]:
    """(first day, weight) per week of age, newest first: a footprint ``k`` whole weeks old on
    ``as_of`` weighs 0.5 ** (7k / half-life); none after ``DECAY_HORIZON`` half-lives."""
    hl = float(measure.half_life_days or 0)
    steps = []
    k = 0
    while k * DECAY_STEP_DAYS < DECAY_HORIZON * hl:
        first = as_of - timedelta(days=k * DECAY_STEP_DAYS + DECAY_STEP_DAYS - 1)
        steps.append((first, 0.5 ** (k * DECAY_STEP_DAYS / hl)))
        k += 1
    return steps


# --- the polars path --------------------------------------------------------------------------


def _day(col: str, source: str) -> pl.Expr:
    expr = pl.col(col)
    return expr.dt.date() if SOURCES[source].time in ("occurred_at", "captured_at") else expr


def _row_filter(measure: Measure, as_of: date) -> pl.Expr:
    cond = pl.col("customer_id").is_not_null()  # a column, not a literal: counted per row
    for f in measure.where:
        col = pl.col(f.column)
        if f.values:
            cond = cond & col.is_in(list(f.values)).fill_null(False)
        if f.lo is not None:
            cond = cond & (col >= f.lo).fill_null(False)
        if f.hi is not None:
            cond = cond & (col <= f.hi).fill_null(False)
    start = window_start(measure, as_of)
    if start is not None:
        cond = cond & (_day(SOURCES[measure.source].time, measure.source) >= start)
    return cond


def _weight(measure: Measure, as_of: date) -> pl.Expr:
    steps = decay_steps(measure, as_of)
    age = (pl.lit(as_of) - _day(SOURCES[measure.source].time, measure.source)).dt.total_days()
    weeks = age // DECAY_STEP_DAYS
    return weeks.replace_strict(
        {k: w for k, (_, w) in enumerate(steps)}, default=0.0, return_dtype=pl.Float64
    )


def _aggregate(measure: Measure, as_of: date) -> pl.Expr:
    cond = _row_filter(measure, as_of)
    decayed = measure.half_life_days is not None
    if measure.aggregate == "count":
        expr = (
            pl.when(cond).then(_weight(measure, as_of)).otherwise(0.0).sum()
            if decayed
            else cond.cast(pl.Int64).sum()
        )
    elif measure.aggregate == "sum":
        value = pl.col(str(measure.field)).cast(pl.Float64)
        if decayed:
            value = value * _weight(measure, as_of)
        expr = pl.when(cond).then(value).otherwise(0.0).sum()
    elif measure.aggregate == "max":
        expr = pl.col(str(measure.field)).cast(pl.Float64).filter(cond).max()
    else:
        col = pl.col(str(measure.field))
        expr = col.filter(cond & col.is_not_null()).n_unique()
    return expr.cast(measure.dtype).alias(measure.code)


def _base_rows(source: str, rows: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """What every measure of a source reads: rows up to ``as_of`` (holdings open on it, limits
    shown with consent)."""
    if source == "holding":
        return rows.filter(
            (pl.col("opened_on") <= as_of)
            & (pl.col("closed_on").is_null() | (pl.col("closed_on") > as_of))
        )
    if source == "external":
        return rows.filter(pl.col("consent") & (pl.col("as_of") <= as_of))
    return rows.filter(_day(SOURCES[source].time, source) <= as_of)


def compute_measures(
    rules: FootprintRules,
    customers: pl.DataFrame,
    rows: dict[str, pl.DataFrame],
    as_of: date,
) -> pl.DataFrame:
    """Every measure per customer, from raw footprint rows (the polars path of the compiler).

    In: ``customers`` (customer_id, any other columns kept), ``rows`` by source ('hard', 'soft',
    'holding', 'external') with customer_id and the columns the rules name (plus ``closed_on``
    for holdings, ``consent`` for limits). Out: ``customers`` plus one column per measure.
    """
    out = customers.with_columns(pl.col("customer_id").cast(pl.Int64))
    for source in SOURCES:
        measures = [m for m in rules.measures if m.source == source]
        if not measures:
            continue
        if source not in rows:
            raise ValueError(f"measures {[m.code for m in measures]} need {source} footprint rows")
        base = _base_rows(source, rows[source], as_of).with_columns(
            pl.col("customer_id").cast(pl.Int64)
        )
        agg = base.group_by("customer_id").agg([_aggregate(m, as_of) for m in measures])
        out = out.join(agg, on="customer_id", how="left")
    return fill_measures(rules, out)


def fill_measures(rules: FootprintRules, measures: pl.DataFrame) -> pl.DataFrame:
    """Cast the measure columns and read a missing count or sum as 0 (a missing max stays null)."""
    missing = [m.code for m in rules.measures if m.code not in measures.columns]
    if missing:
        raise ValueError(f"measures frame lacks columns {missing}")
    return measures.with_columns(
        [
            (pl.col(m.code).cast(m.dtype).fill_null(0) if m.zero_when_none else pl.col(m.code))
            .cast(m.dtype)
            .alias(m.code)
            for m in rules.measures
        ]
    )


def _compare(left: pl.Expr, op: str, right: float) -> pl.Expr:
    return {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
        "==": left == right,
        "!=": left != right,
    }[op]


def _left(cond: Condition) -> pl.Expr:
    if cond.per is None:
        return pl.col(cond.measure)
    per = pl.col(cond.per)
    return pl.when(per > 0).then(pl.col(cond.measure) / per).otherwise(None)


def condition_expr(cond: Condition, standards: Standards) -> pl.Expr:
    """True where the condition holds (null measures never hold)."""
    return _compare(_left(cond), cond.op, threshold(cond, standards)).fill_null(False)


def signal_expr(signal: Signal, standards: Standards) -> pl.Expr:
    """The signal's Boolean, aliased to its code."""
    parts = [condition_expr(c, standards) for c in signal.when]
    combined = pl.any_horizontal(parts) if signal.match == "any" else pl.all_horizontal(parts)
    return combined.alias(signal.code)


def evaluate_signals(
    measures: pl.DataFrame, rules: FootprintRules, standards: Standards
) -> pl.DataFrame:
    """One Boolean column per signal of the rules, per customer (keeps branch_id / officer_id)."""
    keep = [c for c in ("customer_id", "branch_id", "officer_id") if c in measures.columns]
    return fill_measures(rules, measures).select(
        *keep, *[signal_expr(s, standards) for s in rules.signals]
    )


def _values(row: dict[str, Any], cond: Condition) -> dict[str, float]:
    values = {k: (float(v) if isinstance(v, int | float) else 0.0) for k, v in row.items()}
    num, per = values.get(cond.measure, 0.0), values.get(cond.per or "", 0.0)
    values["ratio"] = num / per if cond.per and per > 0 else 0.0
    return values


def _shown(cond: Condition, row: dict[str, Any], holds: bool) -> bool:
    if holds:
        return True
    if cond.show != "observed":
        return False
    value = row.get(cond.measure) or 0
    return value > 0 and (cond.per is None or (row.get(cond.per) or 0) > 0)


def condition_evidence(
    measures: pl.DataFrame, rules: FootprintRules, standards: Standards
) -> pl.DataFrame:
    """For one customer: each signal's conditions, whether each holds, and its evidence text.

    Out: code, condition (index), holds, shown, evidence_zh, evidence_en — one row per condition.
    """
    if measures.height != 1:
        raise ValueError(f"evidence needs one customer's measures, got {measures.height} rows")
    filled = fill_measures(rules, measures)
    flags = filled.select(
        [
            condition_expr(c, standards).alias(f"{s.code}#{i}")
            for s in rules.signals
            for i, c in enumerate(s.when)
        ]
    ).row(0, named=True)
    row = filled.row(0, named=True)
    out = []
    for s in rules.signals:
        for i, c in enumerate(s.when):
            holds = bool(flags[f"{s.code}#{i}"])
            shown = _shown(c, row, holds)
            values = _values(row, c)
            out.append(
                {
                    "code": s.code,
                    "condition": i,
                    "holds": holds,
                    "shown": shown,
                    "evidence_zh": c.evidence_zh.format(**values) if shown else "",
                    "evidence_en": c.evidence_en.format(**values) if shown else "",
                }
            )
    return pl.DataFrame(
        out,
        schema={
            "code": pl.String,
            "condition": pl.Int64,
            "holds": pl.Boolean,
            "shown": pl.Boolean,
            "evidence_zh": pl.String,
            "evidence_en": pl.String,
        },
    )
