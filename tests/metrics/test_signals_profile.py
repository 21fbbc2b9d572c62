"""Profile completeness and the fallback tier used on the customer page."""

from __future__ import annotations

import polars as pl
import pytest

from metrics.profile import profile_completeness, tier_for_aum
from metrics.standards import load_standards

STD = load_standards()


def test_completeness_counts_blank_strings_as_missing() -> None:
    df = pl.DataFrame(
        {
            "customer_id": [1, 2],
            "occupation": ["farmer", " "],
            "birth_year": [1970, None],
            "phone": [None, "139"],
        }
    )
    out = profile_completeness(df, ("occupation", "birth_year", "phone"))
    assert out.rows() == [
        (1, 2, 3, 2 / 3, ["phone"]),
        (2, 1, 3, 1 / 3, ["occupation", "birth_year"]),
    ]


def test_completeness_names_missing_columns() -> None:
    with pytest.raises(ValueError, match="education"):
        profile_completeness(pl.DataFrame({"customer_id": [1]}), ("education",))


@pytest.mark.parametrize(
    ("aum", "tier"),
    [
        pytest.param(None, None, id="unknown"),
        pytest.param(-100.0, "mass", id="overdrawn"),
        pytest.param(49_999.0, "mass", id="below-affluent"),
        pytest.param(50_000.0, "affluent", id="at-affluent-bar"),
        pytest.param(6_000_000.0, "private", id="private"),
    ],
)
def test_tier_for_aum(aum: float | None, tier: str | None) -> None:
    assert tier_for_aum(aum, STD.tiers) == tier
