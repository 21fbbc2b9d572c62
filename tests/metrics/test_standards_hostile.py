"""Hostile standards files: each is refused at load with the entry named — none reaches a page."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from metrics.standards import DEFAULT_STANDARDS, StandardsError, load_standards, parse_standards


@pytest.fixture(scope="module")
def raw() -> dict:
    with DEFAULT_STANDARDS.open("rb") as fh:
        return tomllib.load(fh)


def _signal(code: str) -> dict:
    return {"code": code, "label_zh": "新信号", "label_en": "New", "description": "x"}


def _rename_engagement(d: dict) -> None:
    comps = d["engagement"]["components"]
    comps["field_visits"] = comps.pop("visits")


def _rename_loyalty(d: dict) -> None:
    comps = d["loyalty"]["components"]
    comps["depth"] = comps.pop("product_depth")


EDITS = [
    pytest.param(lambda d: d["signals"].append(_signal("lottery_winner")), "signals", id="signal"),
    pytest.param(
        lambda d: d["profile"]["fields"].append("shoe_size"), "profile.fields", id="profile-field"
    ),
    pytest.param(
        lambda d: d["profile"]["fields"].append("gender"), "profile.fields", id="profile-twice"
    ),
    pytest.param(_rename_engagement, "engagement.components", id="engagement-renamed"),
    pytest.param(_rename_loyalty, "loyalty.components", id="loyalty-renamed"),
    pytest.param(
        lambda d: d["loyalty"].update(churn_risk_below="high"),
        "loyalty.churn_risk_below",
        id="churn-text",
    ),
    pytest.param(
        lambda d: d["loyalty"].update(churn_risk_below=400),
        "loyalty.churn_risk_below",
        id="churn-400",
    ),
    pytest.param(
        lambda d: d["loyalty"].update(lookback_days=-5), "loyalty.lookback_days", id="lookback-neg"
    ),
    pytest.param(
        lambda d: d["loyalty"].update(lookback_dayz=5), "loyalty.lookback_dayz", id="typo-param"
    ),
    pytest.param(
        lambda d: d["alerts"].update(kpi_history_weeks=1_000_000),
        "alerts.kpi_history_weeks",
        id="history-million",
    ),
    pytest.param(
        lambda d: d["alerts"].update(kpi_z_score=float("inf")), "alerts.kpi_z_score", id="z-inf"
    ),
    pytest.param(
        lambda d: d["alerts"].update(outflow_share=float("nan")),
        "alerts.outflow_share",
        id="share-nan",
    ),
    pytest.param(
        lambda d: d["loyalty"]["components"]["tenure"].update(saturation=0),
        "loyalty.components.tenure.saturation",
        id="saturation-zero",
    ),
    pytest.param(
        lambda d: d["loyalty"]["components"]["tenure"].update(saturation="ten"),
        "loyalty.components.tenure.saturation",
        id="saturation-text",
    ),
    pytest.param(
        lambda d: d["clv"].update(horizon_months=10**9), "clv.horizon_months", id="horizon-huge"
    ),
    pytest.param(lambda d: d["rfm"].update(bands=10**6), "rfm.bands", id="bands-huge"),
    pytest.param(
        lambda d: d["funnel"].update(default_window_days=0),
        "funnel.default_window_days",
        id="window-zero",
    ),
    pytest.param(
        lambda d: d["tiers"]["levels"][0].update(downgrade_after_months=10**7),
        "tiers.levels[0].downgrade_after_months",
        id="downgrade-huge",
    ),
    pytest.param(lambda d: d.update(signals="car_owner"), "document.signals", id="signals-text"),
    pytest.param(lambda d: d.update(profile=[1, 2]), "document.profile", id="profile-list"),
    pytest.param(
        lambda d: d["tiers"]["levels"][1].update(min_aum=True),
        "tiers.levels[1].min_aum",
        id="bar-bool",
    ),
]


@pytest.mark.parametrize(("edit", "entry"), EDITS)
def test_a_bad_value_is_refused_naming_the_entry(raw: dict, edit, entry: str) -> None:
    data = copy.deepcopy(raw)
    edit(data)
    with pytest.raises(StandardsError) as err:
        parse_standards(data)
    assert str(err.value).startswith(entry), str(err.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"\xff\xfe[standard]\nversion = 1\n", "not UTF-8", id="utf16-bytes"),
        pytest.param(
            "[standard]\nversion = '1'".encode("gbk") + "标准".encode("gbk"), "not UTF-8", id="gbk"
        ),
        pytest.param(b"[standard\n", "not valid TOML", id="toml"),
        pytest.param(b"", "document.standard: missing", id="empty"),
        pytest.param(b"x = " + b"[" * 5000 + b"]" * 5000, "", id="deep-nesting"),
        pytest.param(b"# " + b"a" * 1_100_000, "larger than", id="huge"),
    ],
)
def test_unreadable_files_are_refused(tmp_path: Path, content: bytes, expected: str) -> None:
    file = tmp_path / "bank.toml"
    file.write_bytes(content)
    with pytest.raises(StandardsError) as err:
        load_standards(file)
    assert expected in str(err.value)
    assert str(tmp_path) not in str(err.value)  # the file's name, not the server's folders


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StandardsError, match="is a folder"):
        load_standards(tmp_path)


def test_the_default_edition_fingerprint_names_version_and_content() -> None:
    std = load_standards()
    assert std.fingerprint.startswith(std.version + " ") and len(std.digest) == 64
