"""Display formats on literal values."""

from __future__ import annotations

import pytest

from dashboard.format import pct, place


@pytest.mark.parametrize(
    ("name", "lang_code", "expected"),
    [
        pytest.param("城关镇", "en", "城关镇 (Chengguan Zhen)", id="town"),
        pytest.param("柳溪村", "en", "柳溪村 (Liuxi Cun)", id="village"),
        pytest.param("河口乡", "en", "河口乡 (Hekou Xiang)", id="township"),
        pytest.param("东城街道", "en", "东城街道 (Dongcheng Jiedao)", id="subdistrict"),
        pytest.param("镇", "en", "镇 (Zhen)", id="suffix-only"),
        pytest.param("城关镇", "zh", "城关镇", id="chinese-ui"),
        pytest.param("Riverside", "en", "Riverside", id="already-latin"),
        pytest.param(None, "en", "—", id="missing"),
    ],
)
def test_place_names_get_a_reading_in_english(name, lang_code, expected) -> None:  # type: ignore[no-untyped-def]
    assert place(name, lang_code=lang_code) == expected


@pytest.mark.parametrize(
    ("value", "signed", "expected"),
    [
        pytest.param(-0.00001, True, "0.0%", id="tiny-fall"),
        pytest.param(0.00001, True, "0.0%", id="tiny-rise"),
        pytest.param(-0.0004, False, "0.0%", id="tiny-fall-unsigned"),
        pytest.param(-0.0006, True, "-0.1%", id="a-fall"),
        pytest.param(0.0006, True, "+0.1%", id="a-rise"),
        pytest.param(None, True, "—", id="missing"),
    ],
)
def test_a_change_that_rounds_to_nothing_has_no_sign(value, signed, expected) -> None:  # type: ignore[no-untyped-def]
    """The branch ranking read "-0.0%" for a deposit balance that barely moved."""
    assert pct(value, signed=signed) == expected
