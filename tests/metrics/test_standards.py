"""The standards file: the default edition loads, every entry is labelled, bad files name the entry."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from metrics.standards import DEFAULT_STANDARDS, StandardsError, load_standards, parse_standards
from tests.metrics.toml_files import assert_unreadable_named


@pytest.fixture(scope="module")
def raw() -> dict:
    with DEFAULT_STANDARDS.open("rb") as fh:
        return tomllib.load(fh)


def test_default_edition_loads_with_the_documented_thresholds() -> None:
    std = load_standards()
    assert std.tiers.codes == ("mass", "affluent", "vip", "private")
    assert [t.min_aum for t in std.tiers.levels] == [0, 50_000, 500_000, 6_000_000]
    assert [t.downgrade_after_months for t in std.tiers.levels] == [3, 3, 3, 6]
    assert len(std.rfm.segments) == 11
    assert std.funnel.codes == ("targeted", "contacted", "interested", "applied", "converted")
    assert sum(std.loyalty.weights().values()) == pytest.approx(1.0)
    assert sum(std.engagement.weights().values()) == pytest.approx(1.0)


def test_every_entry_has_both_labels_and_a_description() -> None:
    for path, label in load_standards().all_labels():
        assert label.label_zh and label.label_en and label.description, path
        assert any("\u4e00" <= ch <= "\u9fff" for ch in label.label_zh), (
            f"{path}: zh label not Chinese"
        )


def _broken(raw: dict, edit) -> dict:
    data = copy.deepcopy(raw)
    edit(data)
    return data


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            lambda d: d["tiers"]["levels"][2].pop("min_aum"),
            "tiers.levels[2].min_aum: missing",
            id="missing-bar",
        ),
        pytest.param(
            lambda d: d["tiers"]["levels"][1].update(min_aum="lots"),
            "tiers.levels[1].min_aum: expected",
            id="bar-not-number",
        ),
        pytest.param(
            lambda d: d["tiers"]["levels"][3].update(min_aum=1000),
            "tiers.levels[3].min_aum: tiers must be listed with rising bars",
            id="bars-not-rising",
        ),
        pytest.param(
            lambda d: d["rfm"]["segments"].pop(0),
            "rfm.segments: no rule covers R=4, FM=4",
            id="rfm-gap",
        ),
        pytest.param(
            lambda d: d["loyalty"]["components"]["tenure"].update(weight=0.5),
            "loyalty.components: weights sum to 1.4",
            id="weights",
        ),
        pytest.param(
            lambda d: d["funnel"]["stages"][1].update(label_en=""),
            "funnel.stages[1].label_en: empty",
            id="empty-label",
        ),
        pytest.param(
            lambda d: d["clv"].update(time_unit="M"),
            "clv.time_unit: expected 'D' or 'W'",
            id="time-unit",
        ),
        pytest.param(lambda d: d.pop("alerts"), "document.alerts: missing", id="missing-section"),
        pytest.param(
            lambda d: d["alerts"].update(contradiction_min_inflows=-1),
            "alerts.contradiction_min_inflows: -1 must be at least 0",
            id="negative-minimum",
        ),
        pytest.param(
            lambda d: d["credit"].update(instalment_lookback_days=400),
            "credit.instalment_lookback_days: 400 must be at most 365",
            id="instalment-look-back",
        ),
        pytest.param(
            lambda d: d["signals"].append(dict(d["signals"][0])),
            "signals: code 'car_owner' appears twice",
            id="duplicate-code",
        ),
    ],
)
def test_malformed_standards_name_the_entry(raw: dict, edit, message: str) -> None:
    with pytest.raises(
        StandardsError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
    ):
        parse_standards(_broken(raw, edit))


def test_a_standard_written_before_the_evidence_minimum_still_loads(raw: dict) -> None:
    older = _broken(raw, lambda d: d["alerts"].pop("contradiction_min_inflows"))
    assert parse_standards(older).alerts.contradiction_min_inflows == 3  # the shipped value
    stricter = _broken(raw, lambda d: d["alerts"].update(contradiction_min_inflows=6))
    assert parse_standards(stricter).alerts.contradiction_min_inflows == 6


def test_a_standard_written_before_the_instalment_look_back_still_loads(raw: dict) -> None:
    older = _broken(raw, lambda d: d["credit"].pop("instalment_lookback_days"))
    assert parse_standards(older).credit.instalment_lookback_days == 90  # the shipped value


def test_unreadable_files_get_a_clear_message(tmp_path: Path) -> None:
    assert_unreadable_named(load_standards, StandardsError, tmp_path, "bad.toml", "[tiers")
