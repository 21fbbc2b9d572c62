"""Masking of personal data: exact examples, and the column versions agree with the scalar ones."""

from __future__ import annotations

from collections.abc import Callable

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
    ("mask", "value", "expected"),
    [
        pytest.param(mask_name, "张三", "张*", id="name-two-chars"),
        pytest.param(mask_name, "张三丰", "张**", id="name-three-chars"),
        pytest.param(mask_name, "欧阳娜娜", "欧***", id="name-four-chars"),
        pytest.param(mask_name, "李", "李*", id="name-one-char-still-masked"),
        pytest.param(mask_name, " 王五 ", "王*", id="name-stripped"),
        pytest.param(mask_name, "", "", id="name-empty"),
        pytest.param(mask_name, None, None, id="name-none"),
        pytest.param(mask_phone, "13812341234", "138****1234", id="phone-mobile"),
        pytest.param(mask_phone, "057188881234", "05******1234", id="phone-landline-with-area"),
        pytest.param(mask_phone, "88881234", "****1234", id="phone-eight-digits-half-hidden"),
        pytest.param(mask_phone, "881234", "***234", id="phone-short-half-hidden"),
        pytest.param(mask_phone, "1234", "**34", id="phone-four-digits-half-hidden"),
        pytest.param(mask_phone, None, None, id="phone-none"),
        pytest.param(mask_id_number, "330102199001011234", "3301**********1234", id="id-18-digit"),
        pytest.param(mask_id_number, "33010219900101123X", "3301**********123X", id="id-x-check-digit"),
        pytest.param(mask_id_number, "330102900101123", "330********1123", id="id-15-digit-half-hidden"),
        pytest.param(mask_id_number, "E12345678", "*****5678", id="id-passport-half-hidden"),
        pytest.param(mask_id_number, "12345678", "****5678", id="id-short-half-hidden"),
        pytest.param(mask_id_number, None, None, id="id-none"),
    ],
)  # fmt: skip
def test_mask_scalar(
    mask: Callable[[str | None], str | None], value: str | None, expected: str | None
) -> None:
    assert mask(value) == expected


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
