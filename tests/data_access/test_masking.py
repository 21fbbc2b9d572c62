"""Masking of personal data: exact examples, and the column versions agree with the scalar ones."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from data_access.masking import (
    account_expr,
    address_expr,
    id_number_expr,
    mask_account,
    mask_address,
    mask_frame,
    mask_id_number,
    mask_name,
    mask_phone,
    name_expr,
    phone_expr,
    protect,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("张三", "张*", id="two-chars"),
        pytest.param("张三丰", "张**", id="three-chars"),
        pytest.param("欧阳娜娜", "欧***", id="four-chars"),
        pytest.param("李", "李*", id="one-char-still-masked"),
        pytest.param(" 王五 ", "王*", id="stripped"),
        pytest.param("", "", id="empty"),
        pytest.param(None, None, id="none"),
    ],
)
def test_mask_name(value: str | None, expected: str | None) -> None:
    assert mask_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("13812341234", "138****1234", id="mobile"),
        pytest.param("057188881234", "05******1234", id="landline-with-area"),
        pytest.param("88881234", "****1234", id="eight-digits-half-hidden"),
        pytest.param("881234", "***234", id="short-half-hidden"),
        pytest.param("1234", "**34", id="four-digits-half-hidden"),
        pytest.param(None, None, id="none"),
    ],
)
def test_mask_phone(value: str | None, expected: str | None) -> None:
    assert mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("330102199001011234", "3301**********1234", id="18-digit"),
        pytest.param("33010219900101123X", "3301**********123X", id="x-check-digit"),
        pytest.param("330102900101123", "330********1123", id="15-digit-half-hidden"),
        pytest.param("E12345678", "*****5678", id="passport-half-hidden"),
        pytest.param("12345678", "****5678", id="short-half-hidden"),
        pytest.param(None, None, id="none"),
    ],
)
def test_mask_id_number(value: str | None, expected: str | None) -> None:
    assert mask_id_number(value) == expected


def test_mask_frame_masks_present_columns_only() -> None:
    df = pl.DataFrame(
        {
            "customer_id": [1, 2],
            "name": ["张三", None],
            "phone": ["13812341234", "13900000000"],
        }
    )
    out = mask_frame(df)
    assert out.to_dicts() == [
        {"customer_id": 1, "name": "张*", "phone": "138****1234"},
        {"customer_id": 2, "name": None, "phone": "139****0000"},
    ]


def test_missing_values_stay_missing_in_columns() -> None:
    df = pl.DataFrame(
        {"name": [None], "phone": [None], "id_number": [None]},
        schema={"name": pl.String, "phone": pl.String, "id_number": pl.String},
    )
    assert mask_frame(df).row(0) == (None, None, None)


def test_mask_frame_with_column_map() -> None:
    df = pl.DataFrame({"holder": ["李四"], "idno": ["330102199001011234"]})
    out = mask_frame(df, {"holder": "name", "idno": "id_number"})
    assert out.row(0) == ("李*", "3301**********1234")


def test_mask_frame_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown personal-data kind"):
        mask_frame(pl.DataFrame({"x": ["a"]}), {"x": "email"})


_text = st.text(alphabet="张王李三丰0123456789X", max_size=20) | st.none()


@given(st.lists(_text, min_size=1, max_size=10))
def test_column_versions_agree_with_scalars(values: list[str | None]) -> None:
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    out = df.select(
        name_expr("v").alias("n"), phone_expr("v").alias("p"), id_number_expr("v").alias("i")
    )
    assert out["n"].to_list() == [mask_name(v) for v in values]
    assert out["p"].to_list() == [mask_phone(v) for v in values]
    assert out["i"].to_list() == [mask_id_number(v) for v in values]


@given(st.text(alphabet="0123456789", min_size=5, max_size=20))
def test_masked_phone_keeps_length_and_hides_something(value: str) -> None:
    masked = mask_phone(value)
    assert masked is not None
    assert len(masked) == len(value)
    assert masked.count("*") >= (4 if len(value) == 11 else (len(value) + 1) // 2)


def test_address_and_account() -> None:
    assert mask_address("浙江省杭州市西湖区文三路1号") == "浙江省杭州市********"
    assert mask_address("城关镇") == "城**"
    assert mask_account("6222021234567890123") == "62220**********0123"
    assert mask_account(None) is None


@given(st.lists(st.text(alphabet="浙江省0123456789", max_size=30) | st.none(), min_size=1))
def test_address_and_account_columns_agree(values: list[str | None]) -> None:
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    out = df.select(address_expr("v").alias("a"), account_expr("v").alias("c"))
    assert out["a"].to_list() == [mask_address(v) for v in values]
    assert out["c"].to_list() == [mask_account(v) for v in values]


def test_protect_reveals_only_the_scope_kinds() -> None:
    df = pl.DataFrame({"name": ["张三"], "phone": ["13812341234"]})
    cols = {"name": "name", "phone": "phone"}
    assert protect(df, (), cols).row(0) == ("张*", "138****1234")
    assert protect(df, ("phone",), cols).row(0) == ("张*", "13812341234")
