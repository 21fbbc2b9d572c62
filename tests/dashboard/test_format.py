"""Display formats on literal values."""

from __future__ import annotations

import pytest

from dashboard.format import place


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
