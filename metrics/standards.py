"""Load and validate the bank's standard (a versioned TOML file) into frozen dataclasses.

Any problem raises ``StandardsError`` naming the entry, e.g. ``tiers.levels[2].min_aum``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from metrics.codes import (
    PRODUCTS,
    PROFILE_FIELDS,  # the fields a standard may count
)

DEFAULT_STANDARDS = Path(__file__).with_name("standards.toml")
MAX_FILE_BYTES = 1_000_000  # the default edition is ~15 kB; anything near this is not a standard
# Loyalty parameters: name -> (low, high); a TOML value outside is refused at load.
LOYALTY_PARAMS = {
    "churn_risk_below": (0.0, 100.0),
    "churn_min_aum": (0.0, 1e12),
    "lookback_days": (1.0, 3650.0),
}
COMPONENT_PARAMS = {"saturation": (1e-9, 1e6)}


class StandardsError(ValueError):
    """The standards file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Label:
    """The readable part of every entry."""

    code: str
    label_zh: str
    label_en: str
    description: str

    def label(self, lang: str) -> str:
        """Label in 'zh' or 'en'."""
        return self.label_zh if lang.startswith("zh") else self.label_en


@dataclass(frozen=True)
class Coded:
    """An entry with its label (``info``), known by the label's code: a tier, an RFM segment, a
    component, a signal, and each section of the standard."""

    info: Label

    @property
    def code(self) -> str:
        """The entry's code."""
        return self.info.code


@dataclass(frozen=True)
class Listing(Coded):
    """A section that lists coded entries in order: ``entries`` names the field holding them, and
    ``codes`` are their codes in that order (tiers lowest first, RFM segments in rule order, score
    components, funnel stages)."""

    entries: ClassVar[str]

    @property
    def codes(self) -> tuple[str, ...]:
        """The entries' codes, in order."""
        return tuple(entry.code for entry in getattr(self, self.entries))


@dataclass(frozen=True)
class TierLevel(Coded):
    """One value tier: the AUM bar and how many months below it before a downgrade."""

    min_aum: float
    downgrade_after_months: int


@dataclass(frozen=True)
class Tiers(Listing):
    """Tier ladder, lowest first."""

    entries = "levels"
    levels: tuple[TierLevel, ...]
    upgrade_delay_months: int


@dataclass(frozen=True)
class EffectiveCustomer(Coded):
    """Conditions of which any one makes a customer effective in a month."""

    min_month_avg_aum: float | None
    counts_loan_holders: bool
    min_self_initiated_transactions: int | None


@dataclass(frozen=True)
class RfmSegment(Coded):
    """One rule of the RFM rule table: inclusive ranges of R score and FM score."""

    r: tuple[int, int]
    fm: tuple[int, int]


@dataclass(frozen=True)
class Rfm(Listing):
    """RFM scoring and the segment rule table (first match wins)."""

    entries = "segments"
    lookback_days: int
    bands: int
    segments: tuple[RfmSegment, ...]


@dataclass(frozen=True)
class Clv(Coded):
    """Customer lifetime value settings: the bank's margin on balances and fees (annual rates)."""

    horizon_months: int
    monthly_discount_rate: float
    time_unit: str  # of the BG/NBD fit that gives P(alive) and expected transactions
    transfer_price: float  # the bank's internal funds transfer price (FTP)
    demand_deposit_rate: float
    time_deposit_rate: float
    wealth_fee_rate: float  # fee income on wealth-product balances
    loan_rate: float
    loan_loss_rate: float  # expected credit loss on loan balances
    monthly_attrition: float  # share of surviving customers who leave each month
    annual_fees: dict[str, float]  # fee income per product held, a year


@dataclass(frozen=True)
class Component(Coded):
    """A weighted component of a composite score."""

    weight: float
    params: dict[str, Any]


@dataclass(frozen=True)
class Composite(Listing):
    """A 0-100 score made of weighted components (weights sum to 1)."""

    entries = "components"
    components: tuple[Component, ...]
    params: dict[str, Any]

    def weights(self) -> dict[str, float]:
        """Component code -> weight."""
        return {c.code: c.weight for c in self.components}


@dataclass(frozen=True)
class Funnel(Listing):
    """Ordered funnel stages and the default conversion window."""

    entries = "stages"
    stages: tuple[Label, ...]
    default_window_days: int


# Audit entries are kept six months at the least (Cybersecurity Law art. 21): a standard may keep
# them longer, never shorter; PostgreSQL refuses to delete younger ones (data_access/audit_guard.py).
AUDIT_RETENTION_FLOOR_DAYS = 183


@dataclass(frozen=True)
class Alerts(Coded):
    """Thresholds for flags and watch lists."""

    kpi_z_score: float
    kpi_history_weeks: int
    outflow_share: float
    stale_profile_days: int
    income_contradiction_ratio: float
    contradiction_min_inflows: int  # credits seen in the year before, to judge a declaration
    kpi_count_p_value: float = 0.001  # Poisson tail probability that flags a weekly count
    kpi_count_min_change: int = 3  # and the count must differ from its usual level by this much
    kpi_min_change_share: float = 0.05  # a balance flag needs a change of this share of the balance
    export_approval_rows: int = 5000  # an export of more rows waits for an admin's approval
    audit_retention_days: int = AUDIT_RETENTION_FLOOR_DAYS  # audit entries kept at least this long


@dataclass(frozen=True)
class Credit(Coded):
    """How the credit desk rates an application: penalties per mismatch severity, the capped
    adjustment for internet-platform limits, and what counts as business and repayment evidence."""

    penalty_high: float
    penalty_medium: float
    penalty_low: float
    platform_points_per_10k: float
    platform_adjustment_cap: float
    repayment_lookback_days: int
    instalment_lookback_days: int


# The shipped credit section: a standard written before it (1.1) gets these values.
CREDIT_DEFAULTS: dict[str, Any] = {
    "label_zh": "贷前足迹核查",
    "label_en": "Pre-loan footprint checks",
    "description": "Each declaration that footprints contradict lowers the internal rating (0-100) "
    "by its severity's penalty; internet-platform limits shown with consent add at most the cap.",
    "penalty_high": 30.0,
    "penalty_medium": 15.0,
    "penalty_low": 5.0,
    "platform_points_per_10k": 1.0,
    "platform_adjustment_cap": 5.0,
    "repayment_lookback_days": 365,
    "instalment_lookback_days": 90,
}


@dataclass(frozen=True)
class Standards:
    """The whole standard, as the metrics read it."""

    version: str
    info: Label
    tiers: Tiers
    effective_customer: EffectiveCustomer
    rfm: Rfm
    clv: Clv
    loyalty: Composite
    funnel: Funnel
    engagement: Composite
    alerts: Alerts
    profile_fields: tuple[str, ...]
    signals: tuple[Label, ...]
    credit: Credit
    source: str
    digest: str = ""  # sha256 of the file's bytes: tells two editions with one version apart

    @property
    def fingerprint(self) -> str:
        """'version digest' — what the marts record as the standard they follow."""
        return f"{self.version} {self.digest[:12]}".strip()

    def all_labels(self) -> list[tuple[str, Label]]:
        """Every labelled entry with its path (for meta-tests and the standard's own page)."""
        out: list[tuple[str, Label]] = [("standard", self.info)]
        out += [("tiers", self.tiers.info)] + [
            (f"tiers.{t.code}", t.info) for t in self.tiers.levels
        ]
        out += [("effective_customer", self.effective_customer.info), ("rfm", self.rfm.info)]
        out += [(f"rfm.segments.{s.code}", s.info) for s in self.rfm.segments]
        out += [("clv", self.clv.info), ("loyalty", self.loyalty.info)]
        out += [(f"loyalty.{c.code}", c.info) for c in self.loyalty.components]
        out += [("funnel", self.funnel.info)] + [
            (f"funnel.{s.code}", s) for s in self.funnel.stages
        ]
        out += [("engagement", self.engagement.info)]
        out += [(f"engagement.{c.code}", c.info) for c in self.engagement.components]
        out += [("alerts", self.alerts.info)] + [(f"signals.{s.code}", s) for s in self.signals]
        out += [("credit", self.credit.info)]
        return out


# --- parsing helpers --------------------------------------------------------------------------


def _table(data: Any, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise StandardsError(f"{path}: expected a table, found {type(data).__name__}")
    return data


def _get(data: dict[str, Any], key: str, path: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise StandardsError(f"{path}.{key}: missing")
    value = data[key]
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise StandardsError(f"{path}.{key}: expected a number, found {value!r}")
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise StandardsError(f"{path}.{key}: expected {names}, found {value!r}")
    return value


def _number(
    data: dict[str, Any], key: str, path: str, *, lo: float | None = None, hi: float | None = None
) -> float:
    value = float(_get(data, key, path, (int, float)))
    if not math.isfinite(value):
        raise StandardsError(f"{path}.{key}: expected a finite number, found {value}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise StandardsError(f"{path}.{key}: {value} is outside [{lo}, {hi}]")
    return value


def _int(
    data: dict[str, Any],
    key: str,
    path: str,
    *,
    lo: int = 0,
    hi: int = 100_000,
    default: int | None = None,
) -> int:
    value = default if default is not None and key not in data else _get(data, key, path, int)
    if value < lo:
        raise StandardsError(f"{path}.{key}: {value} must be at least {lo}")
    if value > hi:
        raise StandardsError(f"{path}.{key}: {value} must be at most {hi}")
    return value


def _label(data: dict[str, Any], path: str, code: str | None = None) -> Label:
    code = code if code is not None else _get(data, "code", path, str)
    texts = [_get(data, key, path, str).strip() for key in ("label_zh", "label_en", "description")]
    for key, text in zip(("label_zh", "label_en", "description"), texts, strict=True):
        if not text:
            raise StandardsError(f"{path}.{key}: empty")
    return Label(code, *texts)


def _entries(data: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    items = _get(data, key, path, list)
    if not items:
        raise StandardsError(f"{path}.{key}: needs at least one entry")
    return [_table(item, f"{path}.{key}[{i}]") for i, item in enumerate(items)]


def _range(data: dict[str, Any], key: str, path: str, bands: int) -> tuple[int, int]:
    value = _get(data, key, path, list)
    if (
        len(value) != 2
        or not all(isinstance(v, int) for v in value)
        or not 1 <= value[0] <= value[1] <= bands
    ):
        raise StandardsError(f"{path}.{key}: expected [low, high] with 1 <= low <= high <= {bands}")
    return value[0], value[1]


_LABEL_KEYS = ("label_zh", "label_en", "description")


def _params(
    data: dict[str, Any], path: str, known: dict[str, tuple[float, float]], skip: tuple[str, ...]
) -> dict[str, Any]:
    """The numeric parameters of an entry: each known by name and inside its range."""
    params: dict[str, Any] = {}
    for key in data:
        if key in skip or key in _LABEL_KEYS:
            continue
        if key not in known:
            allowed = ", ".join(known) or "none"
            raise StandardsError(f"{path}.{key}: unknown setting (allowed here: {allowed})")
        lo, hi = known[key]
        params[key] = _number(data, key, path, lo=lo, hi=hi)
    return params


def _composite(
    data: dict[str, Any], path: str, known_params: dict[str, tuple[float, float]]
) -> Composite:
    comps_raw = _table(_get(data, "components", path, dict), f"{path}.components")
    comps = []
    for code, raw in comps_raw.items():
        cpath = f"{path}.components.{code}"
        raw = _table(raw, cpath)
        weight = _number(raw, "weight", cpath, lo=0, hi=1)
        params = _params(raw, cpath, COMPONENT_PARAMS, ("weight",))
        comps.append(Component(_label(raw, cpath, code), weight, params))
    total = sum(c.weight for c in comps)
    if abs(total - 1.0) > 1e-9:
        raise StandardsError(f"{path}.components: weights sum to {total:g}, not 1")
    params = _params(data, path, known_params, ("components",))
    return Composite(_label(data, path, path), tuple(comps), params)


def _unique(codes: list[str], path: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise StandardsError(f"{path}: code {code!r} appears twice")
        seen.add(code)


# --- sections ---------------------------------------------------------------------------------


def _tiers(data: dict[str, Any]) -> Tiers:
    path = "tiers"
    levels = []
    for i, raw in enumerate(_entries(data, "levels", path)):
        lpath = f"{path}.levels[{i}]"
        levels.append(
            TierLevel(
                _label(raw, lpath),
                _number(raw, "min_aum", lpath, lo=0),
                _int(raw, "downgrade_after_months", lpath, lo=1, hi=120),
            )
        )
    _unique([t.code for t in levels], f"{path}.levels")
    if levels[0].min_aum != 0:
        raise StandardsError(f"{path}.levels[0].min_aum: the lowest tier must start at 0")
    for i in range(1, len(levels)):
        if levels[i].min_aum <= levels[i - 1].min_aum:
            raise StandardsError(
                f"{path}.levels[{i}].min_aum: tiers must be listed with rising bars"
            )
    return Tiers(
        _label(data, path, path), tuple(levels), _int(data, "upgrade_delay_months", path, hi=24)
    )


def _effective(data: dict[str, Any]) -> EffectiveCustomer:
    path = "effective_customer"
    aum = data.get("min_month_avg_aum")
    tx = data.get("min_self_initiated_transactions")
    rule = EffectiveCustomer(
        _label(data, path, path),
        _number(data, "min_month_avg_aum", path, lo=0) if aum is not None else None,
        bool(_get(data, "counts_loan_holders", path, bool)),
        _int(data, "min_self_initiated_transactions", path, lo=1, hi=10_000)
        if tx is not None
        else None,
    )
    if (
        rule.min_month_avg_aum is None
        and not rule.counts_loan_holders
        and rule.min_self_initiated_transactions is None
    ):
        raise StandardsError(f"{path}: enable at least one condition")
    return rule


def _rfm(data: dict[str, Any]) -> Rfm:
    path = "rfm"
    bands = _int(data, "bands", path, lo=2, hi=10)
    segments = []
    for i, raw in enumerate(_entries(data, "segments", path)):
        spath = f"{path}.segments[{i}]"
        segments.append(
            RfmSegment(
                _label(raw, spath), _range(raw, "r", spath, bands), _range(raw, "fm", spath, bands)
            )
        )
    _unique([s.code for s in segments], f"{path}.segments")
    for r in range(1, bands + 1):
        for fm in range(1, bands + 1):
            if not any(s.r[0] <= r <= s.r[1] and s.fm[0] <= fm <= s.fm[1] for s in segments):
                raise StandardsError(f"{path}.segments: no rule covers R={r}, FM={fm}")
    return Rfm(
        _label(data, path, path),
        _int(data, "lookback_days", path, lo=1, hi=3650),
        bands,
        tuple(segments),
    )


def _clv(data: dict[str, Any]) -> Clv:
    path = "clv"
    unit = _get(data, "time_unit", path, str)
    if unit not in ("D", "W"):
        raise StandardsError(f"{path}.time_unit: expected 'D' or 'W', found {unit!r}")
    fees = _table(_get(data, "annual_fees", path, dict), f"{path}.annual_fees")
    for product in fees:
        if product not in PRODUCTS:
            raise StandardsError(f"{path}.annual_fees.{product}: not a product code")
        _number(fees, product, f"{path}.annual_fees", lo=0, hi=1e9)
    rate = lambda key: _number(data, key, path, lo=0, hi=1)  # noqa: E731
    return Clv(
        _label(data, path, path),
        _int(data, "horizon_months", path, lo=1, hi=240),
        rate("monthly_discount_rate"),
        unit,
        rate("transfer_price"),
        rate("demand_deposit_rate"),
        rate("time_deposit_rate"),
        rate("wealth_fee_rate"),
        rate("loan_rate"),
        rate("loan_loss_rate"),
        rate("monthly_attrition"),
        {k: float(v) for k, v in fees.items()},
    )


def _funnel(data: dict[str, Any]) -> Funnel:
    path = "funnel"
    stages = [
        _label(raw, f"{path}.stages[{i}]") for i, raw in enumerate(_entries(data, "stages", path))
    ]
    _unique([s.code for s in stages], f"{path}.stages")
    if len(stages) < 2:
        raise StandardsError(f"{path}.stages: a funnel needs at least two stages")
    return Funnel(
        _label(data, path, path),
        tuple(stages),
        _int(data, "default_window_days", path, lo=1, hi=3650),
    )


def _alerts(data: dict[str, Any]) -> Alerts:
    path = "alerts"
    return Alerts(
        _label(data, path, path),
        _number(data, "kpi_z_score", path, lo=0, hi=100),
        _int(data, "kpi_history_weeks", path, lo=2, hi=104),
        _number(data, "outflow_share", path, lo=0, hi=1),
        _int(data, "stale_profile_days", path, lo=1, hi=36_500),
        _number(data, "income_contradiction_ratio", path, lo=1, hi=1000),
        # added in 1.1; a standard written before it gets the shipped value
        _int(data, "contradiction_min_inflows", path, lo=0, hi=10_000, default=3),
        # added in 1.2 (flags fit for counts); a standard written before it gets the shipped values
        _number(data, "kpi_count_p_value", path, lo=0, hi=0.5)
        if "kpi_count_p_value" in data
        else 0.001,
        _int(data, "kpi_count_min_change", path, lo=0, hi=10_000, default=3),
        _number(data, "kpi_min_change_share", path, lo=0, hi=1)
        if "kpi_min_change_share" in data
        else 0.05,
        _int(data, "export_approval_rows", path, lo=1, hi=10_000_000, default=5000),
        _int(
            data,
            "audit_retention_days",
            path,
            lo=AUDIT_RETENTION_FLOOR_DAYS,
            hi=36_500,
            default=AUDIT_RETENTION_FLOOR_DAYS,
        ),
    )


def _credit(data: dict[str, Any]) -> Credit:
    path = "credit"
    data = CREDIT_DEFAULTS | _table(data, path)
    return Credit(
        _label(data, path, path),
        _number(data, "penalty_high", path, lo=0, hi=100),
        _number(data, "penalty_medium", path, lo=0, hi=100),
        _number(data, "penalty_low", path, lo=0, hi=100),
        _number(data, "platform_points_per_10k", path, lo=0, hi=100),
        _number(data, "platform_adjustment_cap", path, lo=0, hi=100),
        _int(data, "repayment_lookback_days", path, lo=30, hi=3_650),
        _int(data, "instalment_lookback_days", path, lo=30, hi=365),
    )


def parse_standards(data: dict[str, Any], source: str = "<dict>") -> Standards:
    """Validate a parsed TOML document and build the Standards."""
    data = _table(data, "document")

    def section(name: str) -> dict[str, Any]:
        return _table(_get(data, name, "document", dict), name)

    meta = section("standard")
    profile = section("profile")
    fields = _get(profile, "fields", "profile", list)
    if not fields or not all(isinstance(f, str) for f in fields):
        raise StandardsError("profile.fields: expected a list of field names")
    unknown = [f for f in fields if f not in PROFILE_FIELDS]
    if unknown:
        raise StandardsError(
            f"profile.fields: unknown fields {unknown} (known: {', '.join(PROFILE_FIELDS)})"
        )
    _unique(fields, "profile.fields")
    signals = [
        _label(raw, f"signals[{i}]") for i, raw in enumerate(_entries(data, "signals", "document"))
    ]
    _unique([s.code for s in signals], "signals")
    standards = Standards(
        version=_get(meta, "version", "standard", str),
        info=_label(meta, "standard", "standard"),
        tiers=_tiers(section("tiers")),
        effective_customer=_effective(section("effective_customer")),
        rfm=_rfm(section("rfm")),
        clv=_clv(section("clv")),
        loyalty=_composite(section("loyalty"), "loyalty", LOYALTY_PARAMS),
        funnel=_funnel(section("funnel")),
        engagement=_composite(section("engagement"), "engagement", {}),
        alerts=_alerts(section("alerts")),
        profile_fields=tuple(fields),
        signals=tuple(signals),
        source=source,
        credit=_credit(data.get("credit", {})),
    )
    _check_references(standards)
    return standards


def _check_references(standards: Standards) -> None:
    """Every code the standard names must be one the metrics know how to compute."""
    from metrics.footprint_rules import rules_for
    from metrics.loyalty import COMPONENTS as LOYALTY_COMPONENTS  # lazy: they import this module
    from metrics.officers import RATE_COLUMNS

    known: list[tuple[str, list[str] | tuple[str, ...], tuple[str, ...]]] = [
        (
            "signals",
            [s.code for s in standards.signals],
            tuple(s.code for s in rules_for(standards).signals),
        ),
        (
            "loyalty.components",
            standards.loyalty.codes,
            LOYALTY_COMPONENTS,
        ),
        (
            "engagement.components",
            standards.engagement.codes,
            (*RATE_COLUMNS, "profile_completeness"),
        ),
    ]
    for path, codes, allowed in known:
        unknown = [c for c in codes if c not in allowed]
        if unknown:
            raise StandardsError(
                f"{path}: no rule computes {unknown} (known: {', '.join(allowed)})"
            )


def load_standards(path: str | Path | None = None) -> Standards:
    """Read a standards file (the default edition when ``path`` is None or empty)."""
    file = Path(path) if path else DEFAULT_STANDARDS
    name = file.name or str(file)  # messages name the file, not the server's folders
    try:
        if file.is_dir():
            raise StandardsError(f"standards file {name}: is a folder, not a file")
        with file.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as exc:
        raise StandardsError(f"standards file not found: {name}") from exc
    except OSError as exc:
        raise StandardsError(f"standards file {name}: cannot be read ({exc.strerror})") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise StandardsError(f"standards file {name}: larger than {MAX_FILE_BYTES:,} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StandardsError(f"standards file {name}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise StandardsError(f"standards file {name}: not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise StandardsError(f"standards file {name}: nested too deeply") from exc
    standards = parse_standards(data, str(file))
    return dataclasses.replace(standards, digest=hashlib.sha256(raw).hexdigest())
