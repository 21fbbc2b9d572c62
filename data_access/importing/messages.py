"""The reasons a row is rejected, in Chinese and English (the rejects file is read by the bank's IT desk)."""

from __future__ import annotations

REASONS: dict[str, dict[str, str]] = {
    "missing": {"zh": "{col}：不能为空", "en": "{col}: must not be empty"},
    "not_int": {"zh": "{col}：不是整数（{value}）", "en": "{col}: not a whole number ({value})"},
    "not_number": {"zh": "{col}：不是金额/数字（{value}）", "en": "{col}: not a number ({value})"},
    "not_date": {
        "zh": "{col}：日期格式不对（{value}），应为 {formats}",
        "en": "{col}: not a date ({value}); expected {formats}",
    },
    "not_bool": {"zh": "{col}：不是是/否（{value}）", "en": "{col}: not yes/no ({value})"},
    "unknown_code": {
        "zh": "{col}：未知代码（{value}），请在映射文件的代码表中补充",
        "en": "{col}: unknown code ({value}); add it to the mapping's code table",
    },
    "not_in_codes": {
        "zh": "{col}：不是允许的取值（{value}）",
        "en": "{col}: not one of the allowed values ({value})",
    },
    "range": {
        "zh": "{col}：数值超出合理范围 {low}–{high}（{value}）",
        "en": "{col}: outside the believable range {low}–{high} ({value})",
    },
    "date_range": {
        "zh": "{col}：日期不在数据期间 {low} 至 {high} 内（{value}）",
        "en": "{col}: date outside the data period {low} to {high} ({value})",
    },
    "too_long": {
        "zh": "{col}：超过 {high} 个字符",
        "en": "{col}: longer than {high} characters",
    },
    "control_chars": {
        "zh": "{col}：含有控制字符",
        "en": "{col}: contains control characters",
    },
    "formula": {
        "zh": "{col}：看起来是电子表格公式（{value}）",
        "en": "{col}: looks like a spreadsheet formula ({value})",
    },
    "reference": {
        "zh": "{col}：引用的{target}不存在（{value}），请先导入{target}",
        "en": "{col}: refers to a {target} row that does not exist ({value}); import {target} first",
    },
    "duplicate": {
        "zh": "主键重复：与第 {line} 行相同（{value}）",
        "en": "duplicate key: same as line {line} ({value})",
    },
    "field_count": {
        "zh": "字段数不对：应为 {expected} 个，实际 {actual} 个（行被截断或多了分隔符？）",
        "en": "wrong number of fields: {expected} expected, {actual} found (truncated line or stray delimiter?)",
    },
    "invalid": {"zh": "{col}：校验未通过（{value}）", "en": "{col}: failed a check ({value})"},
}

TABLE_LABELS = {
    "branches": {"zh": "网点", "en": "branch"},
    "officers": {"zh": "客户经理", "en": "officer"},
    "customers": {"zh": "客户", "en": "customer"},
    "campaigns": {"zh": "营销活动", "en": "campaign"},
    "trainings": {"zh": "培训", "en": "training"},
}

REJECT_HEADERS = {
    "line": {"zh": "行号", "en": "line"},
    "reasons": {"zh": "拒绝原因", "en": "reasons"},
}


def reason(key: str, lang: str, **params: object) -> str:
    """One reason in 'zh' or 'en'."""
    lang = "zh" if lang.startswith("zh") else "en"
    if "target" in params:
        target = str(params["target"])
        params["target"] = TABLE_LABELS.get(target, {}).get(lang, target)
    return REASONS[key][lang].format(**params)
