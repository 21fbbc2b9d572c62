"""Data import (IT desk): upload a bank export, preview it as mapped, dry-run, import, get the rejects."""

from __future__ import annotations

import hashlib

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from dashboard.errors import friendly_errors
from dashboard.export import export_button
from dashboard.format import count
from dashboard.i18n import t
from dashboard.state import page_context
from data_access.errors import InvalidImport
from data_access.importing import (
    IMPORT_ORDER,
    ImportResult,
    available_mappings,
    import_file,
    load_mapping,
    preview,
)
from data_access.importing.quality import TableQuality, quality_report
from data_access.settings import DATA_DIR

ENCODINGS = ("auto", "utf-8", "gbk", "gb18030")
UPLOADS = DATA_DIR / "imports"


def _show_quality(report: list[TableQuality]) -> None:
    """The data-quality report as one table: rows, newest date, missing values, orphans."""
    rows = [
        {
            t("data_import.q_table"): q.table,
            t("data_import.q_rows"): q.rows,
            t("data_import.q_newest"): q.newest.isoformat() if q.newest else "",
            t("data_import.q_missing"): "、".join(
                f"{c} {n / max(q.rows, 1):.0%}"
                for c, n in sorted(q.missing.items(), key=lambda kv: -kv[1])
            ),
            t("data_import.q_orphans"): "、".join(
                f"{t('data_import.' + k)} {n:,}" for k, n in q.orphans.items()
            ),
        }
        for q in report
    ]
    st.dataframe(pl.DataFrame(rows), hide_index=True)


ctx = page_context()
st.title(t("data_import.title"))
st.caption(t("data_import.intro"))

c1, c2, c3 = st.columns(3)
# each choice by its name in the user's language (the Chinese UI showed core_banking, branches, auto)
with friendly_errors():
    shipped = {m: load_mapping(m) for m in available_mappings()}
mapping_names = {m: (x.label if ctx.lang == "zh" else x.label_en) for m, x in shipped.items()}
name = c1.selectbox(
    t("data_import.mapping"), list(shipped), format_func=mapping_names.get, key="imp_mapping"
)
mapping = shipped[name]
tables = [x for x in IMPORT_ORDER if x in mapping.tables]
table_names = {x: t(f"data_import.table_{x}") for x in tables}
table = c2.selectbox(t("data_import.table"), tables, format_func=table_names.get, key="imp_table")
encoding_names = {
    e: t("data_import.encoding_auto") if e == "auto" else e.upper() for e in ENCODINGS
}
encoding = c3.selectbox(
    t("data_import.encoding"), ENCODINGS, format_func=encoding_names.get, key="imp_encoding"
)
st.caption(
    t(
        "data_import.expects",
        file=mapping.tables[table].file_hint,
        label=mapping.label if ctx.lang == "zh" else mapping.label_en,
    )
)
with st.expander(t("data_import.quality_all")):
    if st.button(t("data_import.quality_run"), key="imp_quality"):
        with friendly_errors():
            _show_quality(quality_report(get_engine()))
upload = st.file_uploader(
    t("data_import.file"), type=["csv", "txt", "xlsx", "parquet"], key="imp_file"
)
if upload is None:
    st.info(t("data_import.pick"))
    st.stop()

# the upload is kept on disk (the import streams it in chunks), named by its content
data = upload.getvalue()
folder = UPLOADS / hashlib.sha256(data).hexdigest()[:16]
folder.mkdir(parents=True, exist_ok=True)
path = folder / upload.name
if not path.exists():
    path.write_bytes(data)
rejects = folder / f"{path.stem}.rejects.csv"


def _file_error(exc: InvalidImport) -> None:
    st.error(t("data_import.err_file", detail=str(exc)))
    st.stop()


chosen = None if encoding == "auto" else encoding
try:
    raw, typed, used = preview(path, mapping, table, encoding=chosen)
except InvalidImport as exc:
    _file_error(exc)
st.subheader(t("data_import.preview"))
st.caption(t("data_import.preview_note", encoding=used or "—", rows=count(raw.height)))
st.dataframe(typed, hide_index=True)

b1, b2 = st.columns(2)
dry = b1.button(t("data_import.dry_run"), key="imp_dry")
go = b2.button(t("data_import.run"), type="primary", key="imp_go")
if dry or go:
    bar = st.progress(0.0, text=t("data_import.reading"))
    with friendly_errors():
        try:
            result = import_file(
                get_engine(),
                path,
                mapping,
                table,
                encoding=chosen,
                dry_run=dry,
                rejects_path=rejects,
                lang=ctx.lang,
                username="dashboard",
                progress=lambda stage, frac: bar.progress(min(frac, 1.0), text=stage),
            )
        except InvalidImport as exc:
            _file_error(exc)
    st.session_state["imp_result"] = result
    if not dry:
        st.cache_data.clear()  # every page reads the new rows and marts

result: ImportResult | None = st.session_state.get("imp_result")
if result is None or result.file != path.name or result.table != table:
    st.stop()
st.subheader(t("data_import.result_dry" if result.dry_run else "data_import.result"))
k = st.columns(5)
k[0].metric(t("data_import.read"), count(result.rows_read))
k[1].metric(t("data_import.rejected"), count(result.rejected))
k[2].metric(t("data_import.inserted"), count(result.inserted))
k[3].metric(t("data_import.updated"), count(result.updated))
k[4].metric(t("data_import.unchanged"), count(result.unchanged))
if result.ignored_columns:
    st.caption(t("data_import.ignored", columns="、".join(result.ignored_columns)))
if result.dry_run:
    st.info(t("data_import.nothing_written"))
else:
    st.success(t("data_import.done", batch=result.batch_id, as_of=result.data_as_of or "—"))
    with friendly_errors():
        _show_quality(quality_report(get_engine(), [result.table]))
if result.rejected:
    by_column = pl.DataFrame(
        {
            t("data_import.column"): list(result.rejects_by_column),
            t("data_import.rejected"): list(result.rejects_by_column.values()),
        }
    ).sort(t("data_import.rejected"), descending=True)
    st.dataframe(by_column, hide_index=True)
    st.dataframe(pl.read_csv(rejects, n_rows=200, infer_schema=False), hide_index=True)
    export_button(  # the one exporter: masked, neutralised, named with who and when, audited
        t("data_import.download"),
        pl.read_csv(rejects, infer_schema=False),
        "csv",
        rejects.stem,
        {"table": result.table, "batch": result.batch_id, "rejected": result.rejected},
        key="imp_download",
    )
