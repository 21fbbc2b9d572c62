"""Officer engagement metrics on tiny literal frames with answers worked by hand."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import officers as m
from metrics.calendar import weeks_ending
from metrics.standards import Component, Composite, Label, load_standards

W0 = date(2026, 10, 12)  # Monday of the training week (training on Wednesday 14th)
BEFORE = [W0 - timedelta(weeks=2), W0 - timedelta(weeks=1)]
AFTER = [W0 + timedelta(weeks=1), W0 + timedelta(weeks=2)]
T_CRIT_3 = 3.182446305284263  # t(0.975, df=3)


def _label(code: str) -> Label:
    return Label(code, code, code, code)


def _composite(**weights: float) -> Composite:
    comps = tuple(Component(_label(c), w, {}) for c, w in weights.items())
    return Composite(_label("engagement"), comps, {})


def _panel(values: dict[int, list[float]], weeks: list[date]) -> pl.DataFrame:
    rows = [
        (oid, week, float(v))
        for oid, vs in values.items()
        for week, v in zip(weeks, vs, strict=True)
    ]
    return pl.DataFrame(
        rows, schema={"officer_id": pl.Int64, "week_start": pl.Date, "value": pl.Float64},
        orient="row",
    )  # fmt: skip


# before, before, training week, after, after
FOUR = {
    1: [2, 2, 100, 5, 5],  # attendee: +3
    2: [1, 3, 100, 6, 8],  # attendee: +5
    3: [2, 2, 0, 3, 3],  # not trained: +1
    4: [4, 2, 0, 2, 2],  # not trained: -1
}
WEEKS5 = [*BEFORE, W0, *AFTER]
TRAININGS = pl.DataFrame({"training_id": [1], "held_on": [date(2026, 10, 14)]})
ATTENDANCE = pl.DataFrame(
    {"training_id": [1, 1, 1], "officer_id": [1, 2, 3], "attended": [True, True, False]}
)


def _four(as_of: date = date(2026, 11, 1), window_weeks: int = 2) -> m.TrainingEffect:
    """What training 1 changed for the four officers of FOUR."""
    return m.training_effect(
        _panel(FOUR, WEEKS5), ATTENDANCE, TRAININGS, window_weeks=window_weeks, as_of=as_of
    )


def test_did_four_officers_by_hand() -> None:
    got = _four().per_training.row(0, named=True)
    # attendees change 3 and 5 (mean 4); others +1 and -1 (mean 0): DiD = 4.
    # Residuals ±1 each; X'X = [[4,2],[2,2]] so (X'X)^-1 = [[.5,-.5],[-.5,1]]; the meat equals X'X;
    # CR1 factor G/(G-1)·(n-1)/(n-k) = 4/3·3/2 = 2, so var = 2·1 = 2 and SE = √2; t with 3 df.
    assert got["n_treated"] == 2 and got["n_control"] == 2
    assert got["treated_change"] == pytest.approx(4.0)
    assert got["control_change"] == pytest.approx(0.0)
    assert got["did"] == pytest.approx(4.0)
    assert got["se"] == pytest.approx(2**0.5)
    assert got["df"] == 3
    assert got["ci_low"] == pytest.approx(4.0 - T_CRIT_3 * 2**0.5)
    assert got["ci_high"] == pytest.approx(4.0 + T_CRIT_3 * 2**0.5)


def test_did_leaves_out_officers_trained_nearby() -> None:
    values = FOUR | {5: [0, 0, 0, 50, 50]}  # trained in another session 1 week later
    trainings = pl.concat(
        [TRAININGS, pl.DataFrame({"training_id": [2], "held_on": [date(2026, 10, 21)]})]
    )
    attendance = pl.concat(
        [ATTENDANCE, pl.DataFrame({"training_id": [2], "officer_id": [5], "attended": [True]})]
    )
    got = m.training_effect(
        _panel(values, WEEKS5), attendance, trainings, window_weeks=2, as_of=date(2026, 11, 1)
    ).per_training
    # training 2's after-window (up to 11-02) is not over on 11-01: left out
    assert got["training_id"].to_list() == [1]
    assert got.row(0, named=True)["did"] == pytest.approx(4.0)
    assert got.row(0, named=True)["n_control"] == 2


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param(date(2026, 11, 1), [1], id="sunday-after-window"),
        pytest.param(date(2026, 10, 31), [], id="window-not-over"),
    ],
)
def test_did_waits_for_the_window_to_end(as_of: date, expected: list[int]) -> None:
    got = _four(as_of).per_training
    assert got["training_id"].to_list() == expected


def test_did_needs_the_panel_to_cover_the_window() -> None:
    got = _four(date(2026, 12, 1), window_weeks=3).per_training
    assert got.is_empty()


def test_pooled_did_two_trainings() -> None:
    w1 = W0 + timedelta(weeks=10)
    weeks = sorted({*WEEKS5, *[w1 + timedelta(weeks=k) for k in range(-2, 3)]})
    values: dict[int, list[float]] = {}
    for oid, vs in FOUR.items():  # officers 1-4 move around the first training only
        values[oid] = [dict(zip(WEEKS5, vs, strict=True)).get(w, 0) for w in weeks]
        values[oid + 4] = [  # officers 5-8 move the same way around the second
            dict(zip([w1 + timedelta(weeks=k) for k in range(-2, 3)], vs, strict=True)).get(w, 0)
            for w in weeks
        ]
    trainings = pl.DataFrame(
        {"training_id": [1, 2], "held_on": [date(2026, 10, 14), w1 + timedelta(days=2)]}
    )
    attendance = pl.DataFrame(
        {"training_id": [1, 1, 2, 2], "officer_id": [1, 2, 5, 6], "attended": [True] * 4}
    )
    kwargs = dict(window_weeks=2, as_of=date(2027, 1, 31))
    per, pooled, _ = m.training_effect(_panel(values, weeks), attendance, trainings, **kwargs)
    # each training: attendees +3/+5 against six others with changes +1, -1, 0, 0, 0, 0
    assert per["did"].to_list() == pytest.approx([4.0, 4.0])
    assert per["n_control"].to_list() == [6, 6]
    assert pooled["did"] == pytest.approx(4.0)
    assert pooled["n_trainings"] == 2 and pooled["n_treated"] == 4
    assert pooled["ci_low"] < 4.0 < pooled["ci_high"]
    assert pooled["df"] == 7  # eight officers (clusters)


def test_pooled_did_with_one_training_matches_it() -> None:
    per, pooled, _ = _four()
    assert pooled["did"] == pytest.approx(per["did"][0])
    assert pooled["se"] == pytest.approx(per["se"][0])


def test_pooled_did_without_comparison_is_empty() -> None:
    panel = _panel({1: FOUR[1], 2: FOUR[2]}, WEEKS5)
    pooled = m.training_effect(
        panel, ATTENDANCE, TRAININGS, window_weeks=2, as_of=date(2026, 11, 1)
    ).pooled
    assert pooled["did"] is None and pooled["n_trainings"] == 0


def test_weekly_panel_fills_zeros_and_picks_kinds() -> None:
    counts = pl.DataFrame(
        {
            "officer_id": [1, 1, 2],
            "week_start": [BEFORE[0], BEFORE[0], BEFORE[1]],
            "kind": ["visit", "call", "visit"],
            "n": [2, 7, 1],
        }
    )
    got = m.weekly_panel(counts, [1, 2, 3], BEFORE, kinds=("visit",))
    assert got.rows() == [
        (1, BEFORE[0], 2.0),
        (1, BEFORE[1], 0.0),
        (2, BEFORE[0], 0.0),
        (2, BEFORE[1], 1.0),
        (3, BEFORE[0], 0.0),
        (3, BEFORE[1], 0.0),
    ]


@pytest.mark.parametrize(
    ("last", "n", "expected"),
    [
        pytest.param(date(2026, 11, 22), 2, [date(2026, 11, 9), date(2026, 11, 16)], id="sunday"),
        pytest.param(date(2026, 11, 16), 1, [date(2026, 11, 16)], id="monday"),
    ],
)
def test_weeks_ending(last: date, n: int, expected: list[date]) -> None:
    assert weeks_ending(last, n) == expected


def test_officer_rates_per_week() -> None:
    officers = pl.DataFrame({"officer_id": [1, 2], "branch_id": [10, 10], "name": ["张三", "李四"]})
    activity = pl.DataFrame(
        {"officer_id": [1, 1, 1, 2], "kind": ["visit", "call", "follow_up", "counter_service"],
         "n": [8, 2, 2, 5]}
    )  # fmt: skip
    soft = pl.DataFrame({"officer_id": [2], "n": [4]})
    conversions = pl.DataFrame({"officer_id": [1], "n": [1]})
    completeness = pl.DataFrame({"officer_id": [1], "completeness": [0.5]})
    got = m.officer_rates(officers, activity, soft, conversions, completeness, n_weeks=4)
    assert got.select(*m.RATE_COLUMNS, "profile_completeness").rows() == [
        (2.0, 1.0, 0.0, 0.25, 0.5),
        (0.0, 0.0, 1.0, 0.0, 0.0),  # counter service is not a visit or a contact
    ]


def test_engagement_score_by_hand() -> None:
    rates = pl.DataFrame({"officer_id": [1, 2, 3], "a": [10.0, 5.0, 0.0], "b": [0.0, 2.0, 4.0]})
    got = m.engagement_scores(rates, _composite(a=0.6, b=0.4))
    # p90 (linear) of a: 5 + 0.8·5 = 9; of b: 2 + 0.8·2 = 3.6
    assert got["officer_id"].to_list() == [1, 2, 3]
    assert got["c_a"].to_list() == pytest.approx([1.0, 5 / 9, 0.0])
    assert got["c_b"].to_list() == pytest.approx([0.0, 2 / 3.6, 1.0])
    assert got["score"].to_list() == pytest.approx(
        [60.0, 100 * (0.6 * 5 / 9 + 0.4 * 2 / 3.6), 40.0]
    )


def test_engagement_score_against_a_wider_benchmark() -> None:
    bench = pl.DataFrame({"officer_id": [1, 2, 3], "a": [10.0, 5.0, 0.0], "b": [0.0, 0.0, 0.0]})
    standard = _composite(a=0.6, b=0.4)
    benchmark = m.engagement_benchmark(bench, standard)
    assert benchmark == pytest.approx({"a": 9.0, "b": 0.0})
    got = m.engagement_scores(bench.filter(pl.col("officer_id") == 2), standard, benchmark)
    assert got["score"].to_list() == pytest.approx([100 * 0.6 * 5 / 9])  # b counts 0
    assert got["c_b"].to_list() == [None]  # nobody did b: not measurable, not a weakness


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.floats(0, 1e4, allow_nan=False) for _ in range(5)]), min_size=1, max_size=30
    )
)
def test_engagement_scores_stay_in_bounds(rows: list[tuple[float, ...]]) -> None:
    standard = load_standards().engagement
    codes = [c.code for c in standard.components]
    rates = pl.DataFrame(
        [(i, *r) for i, r in enumerate(rows)], schema=["officer_id", *codes], orient="row"
    )
    got = m.engagement_scores(rates, standard)
    assert got["score"].is_between(0, 100).all()
    for code in codes:
        assert got[f"c_{code}"].is_between(0, 1).all()


def test_attendance_and_officer_trainings() -> None:
    trainings = pl.DataFrame(
        {"training_id": [1, 2, 3], "title": ["甲", "乙", "丙"], "title_en": ["A", "B", "C"],
         "held_on": [date(2026, 3, 1), date(2026, 6, 1), date(2026, 12, 1)]}
    )  # fmt: skip
    attendance = pl.DataFrame(
        {"training_id": [1, 1, 2, 3], "officer_id": [1, 2, 1, 2],
         "attended": [True, False, True, True]}
    )  # fmt: skip
    summary = m.attendance_summary(attendance, trainings)
    assert summary.select("training_id", "invited", "attended", "attendance_rate").rows() == [
        (1, 2, 1, 0.5),
        (2, 1, 1, 1.0),
        (3, 1, 1, 1.0),
    ]
    per = m.officer_trainings(attendance, trainings, as_of=date(2026, 11, 22))
    assert per.rows() == [(1, 2, date(2026, 6, 1))]  # officer 2's only session is in the future


def test_coaching_list_names_the_weakest_component() -> None:
    rates = pl.DataFrame(
        {"officer_id": [1, 2, 3], "branch_id": [10, 10, 20], "name": ["甲", "乙", "丙"],
         "a": [10.0, 5.0, 0.0], "b": [0.0, 2.0, 4.0]}
    )  # fmt: skip
    standard = _composite(a=0.6, b=0.4)
    scores = m.engagement_scores(rates, standard)
    trained = pl.DataFrame(
        {"officer_id": [3], "trainings_attended": [2], "last_training_on": [date(2026, 6, 1)]}
    )
    got = m.coaching_list(scores, trained, standard, below=58.0)
    assert got.select("officer_id", "weakest", "trainings_attended").rows() == [
        (3, "a", 2),
        (2, "a", 0),
    ]


@settings(max_examples=40, deadline=None)
@given(
    base=st.lists(st.lists(st.integers(0, 20), min_size=5, max_size=5), min_size=4, max_size=4),
    shift=st.integers(-5, 5),
    common=st.integers(-3, 3),
)
def test_did_moves_with_the_attendees_only(base: list[list[int]], shift: int, common: int) -> None:
    """Adding c after training to everyone leaves the DiD alone; adding s to attendees adds s."""
    values = dict(zip([1, 2, 3, 4], base, strict=True))
    kwargs = dict(window_weeks=2, as_of=date(2026, 11, 1))
    before = m.training_effect(
        _panel(values, WEEKS5), ATTENDANCE, TRAININGS, **kwargs
    ).per_training.row(0, named=True)
    moved = {
        oid: vs[:3] + [v + common + (shift if oid in (1, 2) else 0) for v in vs[3:]]
        for oid, vs in values.items()
    }
    after = m.training_effect(
        _panel(moved, WEEKS5), ATTENDANCE, TRAININGS, **kwargs
    ).per_training.row(0, named=True)
    assert after["did"] == pytest.approx(before["did"] + shift, abs=1e-9)
    assert after["se"] == pytest.approx(before["se"], abs=1e-9)  # residuals are unchanged
    assert after["ci_low"] <= after["did"] <= after["ci_high"]


def test_coaching_skips_a_component_nobody_achieved() -> None:
    rates = pl.DataFrame(
        {"officer_id": [1, 2], "branch_id": [10, 10], "name": ["甲", "乙"],
         "a": [10.0, 1.0], "b": [0.0, 0.0]}
    )  # fmt: skip
    standard = _composite(a=0.6, b=0.4)
    scores = m.engagement_scores(rates, standard)
    got = m.coaching_list(scores, pl.DataFrame(schema={"officer_id": pl.Int64,
                          "trainings_attended": pl.Int64, "last_training_on": pl.Date}),
                          standard, below=50.0)  # fmt: skip
    # p90 of a = 1 + 0.9·9 = 9.1; officer 2: a = 1/9.1; b is null for all, so a is the weakest
    assert got.select("officer_id", "weakest", "weakest_value").rows() == [
        (2, "a", pytest.approx(1 / 9.1))
    ]


T_CRIT_1 = 12.706204736174698  # t(0.975, df=1)


def test_group_levels_four_officers_by_hand() -> None:
    got = _four().levels
    rows = {(r["group"], r["period"]): r for r in got.iter_rows(named=True)}
    assert set(rows) == {(g, p) for g in ("trained", "untrained") for p in ("before", "after")}
    # trained: officer 1 (2, 2 → 5, 5) and 2 (1, 3 → 6, 8): before 2 and 2, after 5 and 7
    assert rows["trained", "before"]["mean"] == pytest.approx(2.0)
    assert rows["trained", "before"]["ci_low"] == pytest.approx(2.0)  # no spread
    assert rows["trained", "after"]["mean"] == pytest.approx(6.0)
    # after: 5 and 7, sd √2, se 1, t(1 df) = 12.706
    assert rows["trained", "after"]["ci_high"] == pytest.approx(6.0 + T_CRIT_1 * 1.0)
    # untrained: officer 3 (2, 2 → 3, 3) and 4 (4, 2 → 2, 2): before 2 and 3, after 3 and 2
    assert rows["untrained", "before"]["mean"] == pytest.approx(2.5)
    assert rows["untrained", "after"]["mean"] == pytest.approx(2.5)
    assert all(r["n"] == 2 for r in rows.values())
    # the levels are what the estimate compares: (6 − 2) − (2.5 − 2.5) = the DiD of 4
    did = _four().pooled["did"]
    assert did == pytest.approx(
        (rows["trained", "after"]["mean"] - rows["trained", "before"]["mean"])
        - (rows["untrained", "after"]["mean"] - rows["untrained", "before"]["mean"])
    )


def test_group_levels_without_a_comparison_is_empty() -> None:
    only_trained = {k: v for k, v in FOUR.items() if k in (1, 2)}
    got = m.training_effect(
        _panel(only_trained, WEEKS5), ATTENDANCE, TRAININGS, window_weeks=2, as_of=date(2026, 11, 1)
    ).levels
    assert got.is_empty()
