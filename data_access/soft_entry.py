"""Validation of a soft footprint before anything is written (pydantic): every problem at once.

Each problem is (field, code, params); the dashboard turns the code into a sentence in the
user's language (``customer.err_<code>``). Codes are pydantic's own where they fit
(``less_than_equal``, ``string_too_long``, ``finite_number`` …) and ours for the rules of the
trade (``future_date``, ``needs_detail`` …).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from data_access.errors import InvalidImport
from metrics.codes import SOFT_KINDS, SOFT_SOURCES

FUEL_GRADES = (92, 95, 97, 98)  # 97# is still sold in some provinces
MAX_LITRES = 300.0  # a lorry's tank; a car's is 40-80 L
MAX_AMOUNT = 100_000_000.0  # CNY: a house or a wedding, not 1e300
MAX_DETAIL = 2_000
MAX_PLACE = 64
EARLIEST = date(2000, 1, 1)
MAX_ID = 2**63 - 1
DETAIL_KINDS_NEED = tuple(k for k in SOFT_KINDS if k != "fuel_receipt")
_CHOICES: dict[str, tuple[object, ...]] = {
    "kind": SOFT_KINDS,
    "source": SOFT_SOURCES,
    "fuel_grade": FUEL_GRADES,
}


@dataclass(frozen=True)
class Problem:
    """One field's problem: a code the dashboard translates, with its numbers."""

    field: str
    code: str
    params: dict[str, Any]


class InvalidSoftFootprint(InvalidImport):
    """The entry breaks one or more rules; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        text = "; ".join(f"{p.field}: {p.code} {p.params or ''}".strip() for p in problems)
        super().__init__(text)


def _no_control(text: str | None, allow: str = "") -> str | None:
    if text is not None and any(
        unicodedata.category(ch) == "Cc" and ch not in allow for ch in text
    ):
        raise PydanticCustomError("control_chars", "contains control characters")
    return text


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: int = Field(gt=0, le=MAX_ID)
    kind: str
    captured_at: datetime
    source: str
    confidence: float = Field(ge=0, le=1, allow_inf_nan=False)
    officer_id: int | None = Field(default=None, gt=0, le=2**31 - 1)
    fuel_grade: int | None = None
    litres: float | None = Field(default=None, gt=0, le=MAX_LITRES, allow_inf_nan=False)
    amount: float | None = Field(default=None, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    place: str | None = Field(default=None, max_length=MAX_PLACE)
    detail: str | None = Field(default=None, max_length=MAX_DETAIL)

    @field_validator("kind", "source", "fuel_grade")
    @classmethod
    def _choice(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and value not in _CHOICES[info.field_name]:
            raise PydanticCustomError("not_a_choice", f"unknown {info.field_name}")
        return value

    @field_validator("place")
    @classmethod
    def _place(cls, value: str | None) -> str | None:
        return _no_control(value)

    @field_validator("detail")
    @classmethod
    def _detail(cls, value: str | None) -> str | None:
        return _no_control(value, allow="\n\t\r")

    @field_validator("captured_at")
    @classmethod
    def _when(cls, value: datetime, info: ValidationInfo) -> datetime:
        today: date = (info.context or {}).get("today") or date.today()
        if value.date() > today:
            raise PydanticCustomError("future_date", "after today", {"today": today.isoformat()})
        if value.date() < EARLIEST:
            raise PydanticCustomError(
                "too_old", "before the earliest day", {"earliest": EARLIEST.isoformat()}
            )
        return value


def soft_footprint_problems(entry: object, today: date) -> list[Problem]:
    """Every rule ``entry`` (a SoftFootprintEntry) breaks, field by field; [] when it may be saved."""
    data = asdict(entry)  # type: ignore[call-overload]
    problems: list[Problem] = []
    try:
        _Entry.model_validate(data, context={"today": today})
    except ValidationError as exc:
        for err in exc.errors(include_url=False, include_input=False):
            field = str(err["loc"][0]) if err["loc"] else "entry"
            params = {k: v for k, v in (err.get("ctx") or {}).items() if k != "error"}
            problems.append(Problem(field, err["type"], params))
    bad = {p.field for p in problems}
    if data["kind"] == "fuel_receipt":
        if data["fuel_grade"] is None and "fuel_grade" not in bad:
            problems.append(Problem("fuel_grade", "fuel_needs_grade", {}))
        if data["litres"] is None and "litres" not in bad:
            problems.append(Problem("litres", "fuel_needs_litres", {}))
    elif (
        data["kind"] in DETAIL_KINDS_NEED
        and "detail" not in bad
        and len((data["detail"] or "").strip()) < 2
        and not data["amount"]
    ):  # an empty observation says nothing, yet it would switch a signal on
        problems.append(Problem("detail", "needs_detail", {}))
    return problems


def check_soft_footprint(entry: object, today: date) -> None:
    """Raise InvalidSoftFootprint naming every problem; return when the entry may be saved."""
    problems = soft_footprint_problems(entry, today)
    if problems:
        raise InvalidSoftFootprint(problems)
