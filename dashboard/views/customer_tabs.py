"""The four tabs of one customer's page: overview, footprints, soft footprints, credit.

The page script (`dashboard/pages/customer.py`) finds the customer (search, book, leads), reads
their record once into a :class:`CustomerView`, and each tab renders from it, reading only what it
alone needs. Code labels are resolved per run (:meth:`CodeLabels.now`), in the run's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl
import streamlit as st

from dashboard.charts import customer as charts
from dashboard.db import get_engine
from dashboard.errors import friendly_errors
from dashboard.format import money, pct
from dashboard.i18n import t, t_map
from dashboard.loaders.common import load_officers
from dashboard.loaders.customer import (
    correct_soft,
    load_customer_feedback,
    load_footprints,
    load_peer_shares,
    now,
    record_feedback,
    record_soft,
    withdraw_soft,
)
from dashboard.problems import problem_text
from dashboard.state import PageContext
from dashboard.tables import money_column, show_coded_table, show_table
from data_access import audit
from data_access.auth import User
from data_access.errors import InvalidImport
from data_access.filters import Scope
from data_access.queries.customer import (
    SoftFootprintEntry,
)
from data_access.queries.feedback import FeedbackEntry, InvalidFeedback
from data_access.schema import (
    CHANNELS,
    COUNTERPARTY_TYPES,
    FEEDBACK_DECISIONS,
    FEEDBACK_REASONS,
    FOOTPRINT_KINDS,
    PLATFORMS,
    PRODUCTS,
    SOFT_KINDS,
)
from data_access.soft_entry import FUEL_GRADES, InvalidSoftFootprint, Problem
from metrics.codes import EDUCATION, MARITAL, OCCUPATIONS, SOFT_SOURCES
from metrics.footprint_rules import rules_for
from metrics.nbp import rank_next_products
from metrics.profile import profile_completeness
from metrics.recommend import held_products, next_best_products
from metrics.signals import compute_signals, signal_evidence
from metrics.standards import Standards

# the columns of the footprint, soft-footprint and loan-application tables, in the order shown,
# each headed by its customer.* text
FOOTPRINT_COLUMNS = (
    "occurred_at", "kind", "direction", "channel", "amount", "place", "counterparty_type",
)  # fmt: skip
SOFT_COLUMNS = (
    "captured_at", "kind", "source", "fuel_grade", "litres", "amount", "place", "detail",
    "confidence", "officer_name",
)  # fmt: skip
APPLICATION_COLUMNS = (
    "applied_on", "product", "amount", "status", "declared_income", "observed_inflow",
    "income_flag", "declared_business", "declared_place", "places_seen", "place_flag",
)  # fmt: skip
SUGGESTED = tuple(p for p in PRODUCTS if p != "demand_deposit")  # everyone holds one


def _labels(prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
    """Code → translated label for one code list (computed once per run, not in a format_func)."""
    return {c: t(f"customer.{prefix}_{c}") for c in codes}


@dataclass(frozen=True)
class CodeLabels:
    """The code lists' labels in the language of this run."""

    kind: dict[str, str]
    channel: dict[str, str]
    product: dict[str, str]
    answer: dict[str, str]  # "decision:reason" of suggestion feedback
    soft: dict[str, str]
    source: dict[str, str]
    platform: dict[str, str]
    counterparty: dict[str, str]
    direction: dict[str, str]
    status: dict[str, str]

    @classmethod
    def now(cls) -> CodeLabels:
        """Every list's labels, translated now."""
        return cls(
            kind=_labels("kind", FOOTPRINT_KINDS),
            channel=_labels("channel", CHANNELS),
            product={p: t(f"codes.product_{p}") for p in PRODUCTS}
            | {"retention_call": t("customer.product_retention_call")},
            answer={
                f"{d}:{r}": t(f"customer.fb_{d}") + " · " + t(f"customer.fb_reason_{r}")
                for d in FEEDBACK_DECISIONS
                for r in FEEDBACK_REASONS[d]
            },
            soft=_labels("soft", SOFT_KINDS),
            source=_labels("src", SOFT_SOURCES),
            platform=_labels("platform", PLATFORMS),
            counterparty=_labels("cp", COUNTERPARTY_TYPES),
            direction=_labels("dir", ("in", "out")),
            status=_labels("status", ("submitted", "approved", "rejected", "disbursed")),
        )


@dataclass(frozen=True)
class CustomerView:
    """One customer as the page read them, shared by the tabs."""

    ctx: PageContext
    standard: Standards
    user: User
    labels: CodeLabels
    customer_id: int
    record: dict  # profile, marts, balances … (dashboard.loaders.customer.load_record)
    profile_df: pl.DataFrame
    profile: dict
    marts: dict
    value: dict | None  # the value mart's row
    balances: pl.DataFrame
    last_aum: float | None
    tier: str | None
    tier_label: dict[str, str]
    features: pl.DataFrame  # live footprint features (a soft footprint recorded today counts)
    soft: pl.DataFrame
    signal_day: date

    @property
    def lang(self) -> str:
        """The page's language."""
        return self.ctx.lang

    @property
    def zh(self) -> bool:
        """Whether the page is in Chinese."""
        return self.ctx.lang == "zh"

    @property
    def unit(self) -> float:
        """Money shown in 万元 in Chinese, in yuan in English."""
        return 10_000.0 if self.zh else 1.0


FORM_FIELDS = {
    "customer_id": "customer.customer_id",
    "kind": "customer.form_kind",
    "source": "customer.form_source",
    "captured_at": "customer.form_observed_on",
    "fuel_grade": "customer.form_grade",
    "litres": "customer.form_litres",
    "amount": "customer.form_amount",
    "place": "customer.form_place",
    "detail": "customer.form_detail",
    "confidence": "customer.form_confidence",
    "officer_id": "customer.form_officer",
}


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def form_problems(problems: list[Problem]) -> str:
    """All of an entry's problems as one message, each naming its field, in the user's language."""
    lines = [t("customer.form_problems")]
    for p in problems:
        key = f"customer.err_{p.code}"
        params = {k: _number(v) for k, v in p.params.items()}
        try:
            message = t(key, **params)
        except (KeyError, IndexError):  # a rule without its own sentence yet
            message = t("customer.err_invalid")
        field = t(FORM_FIELDS.get(p.field, "customer.form_detail"))
        lines.append("- " + t("customer.form_problem", field=field, message=message))
    return "\n".join(lines)


def _prefill(row: dict) -> None:
    """Put an entry into the form to correct it (a callback: runs before the form is drawn)."""
    ss = st.session_state
    ss.cu_correcting = row["soft_id"]
    ss.cu_kind, ss.cu_source = row["kind"], row["source"]
    ss.cu_on = row["captured_at"].date()
    ss.cu_grade = row["fuel_grade"]
    ss.cu_litres = float(row["litres"] or 0.0)
    ss.cu_amount = float(row["amount"] or 0.0)
    ss.cu_place, ss.cu_detail = row["place"] or "", row["detail"] or ""
    ss.cu_confidence = float(row["confidence"])


def _empty_form() -> None:
    """The form's fields back to their defaults. Setting them (before the form is drawn) is what
    the browser shows; deleting their keys would leave it showing, and sending again, the last
    entry's values."""
    ss = st.session_state
    ss.cu_kind, ss.cu_source = next(iter(SOFT_KINDS)), next(iter(SOFT_SOURCES))
    ss.cu_on = now().date()
    ss.cu_grade = None
    ss.cu_litres = ss.cu_amount = 0.0
    ss.cu_place = ss.cu_detail = ""
    ss.cu_confidence = 0.8
    ss.pop("cu_recorder", None)


def _stop_correcting() -> None:
    st.session_state.pop("cu_correcting", None)
    _empty_form()


def _withdraw(scope: Scope, soft_id: int) -> None:
    st.session_state.pop("cu_confirm_withdraw", None)
    try:
        withdraw_soft(scope, soft_id)
    except InvalidImport as exc:
        st.session_state.cu_change_error = str(exc)
        return
    st.session_state.cu_withdrawn = soft_id


def _change_own_entries(mine: pl.DataFrame, scope: Scope, soft_labels: dict[str, str]) -> None:
    """Pick one of one's own entries: correct it in the form below, or withdraw it (asked first)."""
    rows = {r["soft_id"]: r for r in mine.iter_rows(named=True)}
    with st.expander(t("customer.change_header")):
        st.caption(t("customer.change_caption"))
        labels = {  # resolved now: a format_func runs later, perhaps in another language
            i: t(
                "customer.change_option",
                id=i,
                day=f"{r['captured_at']:%Y-%m-%d}",
                kind=soft_labels.get(r["kind"], r["kind"]),
                detail=(r["detail"] or "")[:30],
            )
            for i, r in rows.items()
        }
        pick = st.selectbox(
            t("customer.change_pick"), list(rows), format_func=labels.get, key="cu_change_pick"
        )
        c1, c2, _ = st.columns([1, 1, 3])
        c1.button(t("customer.correct"), key="cu_correct", on_click=_prefill, args=(rows[pick],))
        c2.button(
            t("customer.withdraw"),
            key="cu_withdraw",
            on_click=lambda: st.session_state.update(cu_confirm_withdraw=pick),
        )
        if st.session_state.get("cu_confirm_withdraw") == pick:
            st.warning(t("customer.withdraw_confirm", id=pick))
            y, n, _ = st.columns([1, 1, 3])
            y.button(
                t("customer.withdraw_yes"),
                key="cu_withdraw_yes",
                on_click=_withdraw,
                args=(scope, pick),
                type="primary",
            )
            n.button(
                t("segments.confirm_no"),
                key="cu_withdraw_no",
                on_click=lambda: st.session_state.pop("cu_confirm_withdraw", None),
            )
    if (done := st.session_state.pop("cu_withdrawn", None)) is not None:
        st.success(t("customer.withdrawn", id=done))
    if err := st.session_state.pop("cu_change_error", None):
        st.error(t("customer.form_error", detail=err))


def overview_tab(v: CustomerView) -> None:
    """Overview: profile, value, signals, next best products and their feedback."""
    (
        ctx,
        customer_id,
        features,
        lang,
        last_aum,
        marts,
        profile,
        profile_df,
        record,
        signal_day,
        standard,
        tier,
        tier_label,
        value,
        zh,
    ) = (
        v.ctx,
        v.customer_id,
        v.features,
        v.lang,
        v.last_aum,
        v.marts,
        v.profile,
        v.profile_df,
        v.record,
        v.signal_day,
        v.standard,
        v.tier,
        v.tier_label,
        v.value,
        v.zh,
    )
    ANSWER_LABELS, PRODUCT = v.labels.answer, v.labels.product
    left, right = st.columns([1, 1])
    with left:
        st.markdown(f"#### {t('customer.sec_profile')}")
        fields = standard.profile_fields
        done = profile_completeness(profile_df, fields).row(0, named=True)
        st.metric(t("customer.completeness"), pct(done["completeness"], digits=0))
        if done["missing"]:
            missing = ", ".join(t(f"customer.f_{f}") for f in done["missing"])
            st.caption(t("customer.completeness_missing", fields=missing))
        else:
            st.caption(t("customer.completeness_full"))
        updated = profile["profile_updated_on"]
        stale_days = standard.alerts.stale_profile_days
        if updated is None:
            st.warning(t("customer.stale_never"))
        elif (ctx.as_of - updated).days > stale_days:
            st.warning(t("customer.stale", day=f"{updated:%Y-%m-%d}", days=stale_days))
        shown = ("name", *fields, "id_number", "profile_updated_on")
        value_labels = {f"gender:{g}": t(f"customer.gender_{g}") for g in ("M", "F")}
        for group, codes in (
            ("occupation", OCCUPATIONS),
            ("education", EDUCATION),
            ("marital_status", MARITAL),
        ):
            prefix = {
                "occupation": "codes.occ",
                "education": "customer.edu",
                "marital_status": "customer.marital",
            }[group]
            value_labels |= {f"{group}:{c}": t(f"{prefix}_{c}") for c in codes}
        show_table(
            charts.profile_table(
                profile,
                tuple(dict.fromkeys(shown)),
                t_map("customer.f_", dict.fromkeys(shown)),
                value_labels,
                (t("customer.field"), t("customer.value")),
            )
        )

    with right:
        st.markdown(f"#### {t('customer.sec_value')}")
        v1, v2 = st.columns(2)
        v1.metric(t("customer.tier"), tier_label.get(tier, "—") if tier else "—")
        v2.metric(t("customer.aum"), money(value["aum"] if value else last_aum))
        if value:
            segments = {s.code: s.info.label(lang) for s in standard.rfm.segments}
            v3, v4 = st.columns(2)
            v3.metric(t("customer.rfm_segment"), segments.get(value["rfm_segment"], "—"))
            v4.metric(t("customer.p_alive"), pct(value["p_alive"], digits=0))
            v5, v6 = st.columns(2)
            v5.metric(
                t("customer.expected_tx", months=standard.clv.horizon_months),
                f"{value['expected_transactions']:.1f}"
                if value["expected_transactions"] is not None
                else "—",
            )
            v6.metric(t("customer.clv"), money(value["clv"]))
        else:
            st.info(t("customer.value_missing"))
            if tier:
                st.caption(t("customer.tier_fallback"))
        loyalty = marts["loyalty"]
        if loyalty:
            l1, l2 = st.columns(2)
            l1.metric(t("customer.loyalty"), f"{loyalty['loyalty']:.0f}")
            l2.metric(
                t("customer.churn_risk"),
                t("customer.yes") if loyalty["churn_risk"] else t("customer.no"),
                help=t("customer.churn_risk_help"),
            )
            show_table(
                pl.DataFrame(
                    {
                        t("customer.component"): [
                            c.info.label(lang) for c in standard.loyalty.components
                        ],
                        t("customer.component_value"): [
                            loyalty.get(c.code) for c in standard.loyalty.components
                        ],
                    }
                ),
                # two decimals are enough for a 0–1 score ('0.44', not '0.4416')
                column_config={
                    t("customer.component_value"): st.column_config.NumberColumn(format="%.2f")
                },
            )
        else:
            st.info(t("customer.loyalty_missing"))

    answered = load_customer_feedback(ctx.scope, customer_id)

    def feedback_form(row: dict) -> None:
        """Accept or dismiss one suggestion, with a reason (validated, audited)."""
        product = row["product"]
        last = answered.filter(pl.col("product") == product)
        if last.height:
            prev = last.row(0, named=True)
            st.caption(
                t(
                    "customer.fb_last",
                    answer=ANSWER_LABELS[f"{prev['decision']}:{prev['reason']}"],
                    day=f"{prev['decided_at']:%Y-%m-%d}",
                )
            )
        with st.form(f"cu_fb_{product}", border=False):
            a, b = st.columns(2)
            answer = a.selectbox(
                t("customer.fb_answer"),
                list(ANSWER_LABELS),
                format_func=ANSWER_LABELS.get,
                key=f"cu_fb_answer_{product}",
                # no answer preset: a preset 'accept' would be recorded by officers who only
                # meant to write a note, and would inflate the acceptance rate
                index=None,
                placeholder=t("customer.fb_choose"),
            )
            note = b.text_input(t("customer.fb_note"), key=f"cu_fb_note_{product}")
            # under the two fields: a third column of half the page left the button "记.."
            submitted = st.form_submit_button(t("customer.fb_submit"))
            if submitted and answer is None:
                problem = f"{t('customer.fb_answer')}: {t('customer.fb_choose')}"
                st.error(t("customer.fb_invalid", problems=problem))
            elif submitted:
                decision, reason = str(answer).split(":")
                entry = FeedbackEntry(
                    customer_id=customer_id,
                    officer_id=ctx.scope.officer_id or profile["officer_id"],
                    product=product,
                    rule=row["rule"],
                    score=float(row["score"]),
                    decision=decision,
                    reason=reason,
                    note=note,
                    decided_at=now(),
                )
                try:
                    record_feedback(ctx.scope, entry)
                except InvalidFeedback as exc:
                    st.error(
                        t(
                            "customer.fb_invalid",
                            problems="; ".join(problem_text(p, p.field) for p in exc.problems),
                        )
                    )
                else:
                    st.success(t("customer.fb_saved", answer=ANSWER_LABELS[str(answer)]))

    sig_col, nbp_col = st.columns([1, 1])
    rules = rules_for(standard)
    evidence = signal_evidence(features, standard, rules) if features.height else None
    with sig_col:
        st.markdown(f"#### {t('customer.sec_signals')}")
        if evidence is None or not evidence["active"].any():
            st.caption(t("customer.signals_none"))
        ev_col = "evidence_zh" if zh else "evidence_en"
        label_col = "label_zh" if zh else "label_en"
        if evidence is not None:
            for row in evidence.iter_rows(named=True):
                if row["active"]:
                    st.markdown(f"**{t('customer.signal_on', label=row[label_col])}**")
                    st.caption(t("customer.evidence", evidence=row[ev_col]))
                elif row[ev_col]:
                    st.caption(
                        f"{row[label_col]} — " + t("customer.signal_observed", evidence=row[ev_col])
                    )

    with nbp_col:
        st.markdown(f"#### {t('customer.sec_nbp')}")
        recs = pl.DataFrame()
        offer_footprints: dict[str, str] = {}
        if features.height:
            flags = compute_signals(features, standard, rules)
            ev_by_code = {
                r["code"]: r[ev_col] for r in evidence.iter_rows(named=True) if r["active"]
            }
            holdings = record["holdings"].with_columns(pl.lit(customer_id).alias("customer_id"))
            offer_footprints = {
                o.code: ("；" if zh else "; ").join(
                    ev_by_code[c] for c in o.signals if ev_by_code.get(c)
                )
                for o in rules.offers
            }
            held = held_products(holdings, signal_day)
            peer = pl.DataFrame(
                {
                    "customer_id": [customer_id],
                    "tier": [tier],
                    "occupation": [profile["occupation"]],
                    "birth_year": [profile["birth_year"]],
                },
                schema={
                    "customer_id": pl.Int64,
                    "tier": pl.String,
                    "occupation": pl.String,
                    "birth_year": pl.Int64,
                },
            )
            # actions (a retention call) first, then the products the customer does not hold,
            # ranked by what similar customers hold, raised by the footprints' offers
            actions = next_best_products(
                flags,
                held,
                peer.drop("birth_year"),
                signal_day,
                rules=rules.offers,
                tier_boost=rules.tier_boost,
            ).filter(~pl.col("product").is_in(SUGGESTED))
            ranked = rank_next_products(
                flags,
                held,
                peer,
                load_peer_shares(signal_day),
                SUGGESTED,
                signal_day,
                rules.offers,
                rules.tier_boost,
                top_n=5,
            )
            recs = pl.concat(
                [
                    actions.select(
                        "product", "rule", "score", "reason_zh", "reason_en", "talk_zh", "talk_en"
                    ),
                    ranked.select(
                        "product", "rule", "score", "reason_zh", "reason_en", "talk_zh", "talk_en"
                    ),
                ]
            ).with_columns(pl.int_range(1, pl.len() + 1).alias("rank"))
        if recs.is_empty():
            st.caption(t("customer.nbp_none"))
        for row in recs.iter_rows(named=True):
            with st.container(border=True):
                st.markdown(
                    "**"
                    + t(
                        "customer.nbp_item",
                        rank=row["rank"],
                        label=PRODUCT[row["product"]],
                        score=f"{row['score']:.2f}",
                    )
                    + "**"
                )
                st.markdown(
                    f"{t('customer.reason')}:{row['reason_zh']}"
                    if zh
                    else f"{t('customer.reason')}: {row['reason_en']}"
                )
                behind = offer_footprints.get(row["rule"] or "", "")
                if behind:
                    st.caption(t("customer.nbp_footprints", evidence=behind))
                if row["talk_zh"]:
                    st.markdown(
                        f"{t('customer.talking_point')}:“{row['talk_zh']}”"
                        if zh
                        else f"{t('customer.talking_point')}: “{row['talk_en']}”"
                    )
                feedback_form(row)


def footprints_tab(v: CustomerView) -> None:
    """Footprints: timeline, channels, balances, recent rows, products."""
    balances, ctx, customer_id, record, unit = v.balances, v.ctx, v.customer_id, v.record, v.unit
    CHANNEL, COUNTERPARTY, DIRECTION, KIND, PRODUCT = (
        v.labels.channel,
        v.labels.counterparty,
        v.labels.direction,
        v.labels.kind,
        v.labels.product,
    )
    start = ctx.as_of - timedelta(days=364)
    with friendly_errors():
        fps = load_footprints(ctx.scope, customer_id, start, ctx.as_of)
    weekly: pl.DataFrame = fps["weekly"]
    st.markdown(f"#### {t('customer.sec_timeline')}")
    if weekly.is_empty():
        st.info(t("customer.timeline_empty"))
    else:
        c1, c2 = st.columns([2, 1])
        c1.plotly_chart(
            charts.timeline_chart(
                weekly,
                KIND,
                title=t("customer.timeline_title"),
                x_title=t("customer.axis_week"),
                y_title=t("customer.axis_amount"),
                unit=unit,
            ),
            width="stretch",
            key="cu_timeline",
        )
        c2.plotly_chart(
            charts.channel_chart(weekly, CHANNEL, title=t("customer.channel_title")),
            width="stretch",
            key="cu_channels",
        )
    if balances.height:
        st.plotly_chart(
            charts.balance_chart(
                balances,
                title=t("customer.balances_title"),
                series={"aum": t("customer.series_aum"), "loan_avg": t("customer.series_loan")},
                x_title=t("customer.axis_month"),
                y_title=t("customer.axis_amount_wan"),
                unit=unit,
            ),
            width="stretch",
            key="cu_balances",
        )
    recent: pl.DataFrame = fps["recent"]
    if recent.height:
        st.markdown(f"#### {t('customer.recent', n=recent.height)}")
        show_coded_table(
            recent,
            {
                "kind": KIND,
                "channel": CHANNEL,
                "direction": DIRECTION,
                "counterparty_type": COUNTERPARTY,
            },
            t_map("customer.", FOOTPRINT_COLUMNS, counterparty_type="counterparty"),
            # amounts with thousands separators, like every other money column
            column_config={t("customer.amount"): money_column()},
        )
    st.markdown(f"#### {t('customer.sec_products')}")
    if record["holdings"].is_empty():
        st.caption(t("customer.no_products"))
    else:
        show_coded_table(
            record["holdings"],
            {"product": PRODUCT},
            t_map("customer.", ("product", "opened_on", "closed_on", "balance", "credit_limit")),
            column_config={
                t("customer.balance"): money_column(),
                t("customer.credit_limit"): money_column(fen=False),
            },
        )


def soft_tab(v: CustomerView) -> None:
    """Soft footprints: the list, one's own entries to change, the form to record one."""
    ctx, customer_id, profile, soft, user = v.ctx, v.customer_id, v.profile, v.soft, v.user
    SOFT, SOURCE = v.labels.soft, v.labels.source
    st.markdown(f"#### {t('customer.sec_soft')}")
    saved = st.session_state.pop("cu_saved", None)
    if saved is not None:
        st.success(t("customer.form_saved", id=saved))
    if soft.is_empty():
        st.info(t("customer.soft_empty"))
    else:
        show_coded_table(
            soft,
            {"kind": SOFT, "source": SOURCE},
            t_map("customer.", SOFT_COLUMNS, officer_name="recorded_by"),
            column_config={t("customer.amount"): money_column()},
        )

    mine = (
        soft
        if ctx.scope.officer_id is None
        else soft.filter(pl.col("officer_id") == ctx.scope.officer_id)
    )
    if mine.height:
        _change_own_entries(mine, ctx.scope, SOFT)
    correcting = st.session_state.get("cu_correcting")
    st.markdown(f"#### {t('customer.sec_record')}")
    if correcting is not None:
        st.info(t("customer.correcting", id=correcting))
        st.button(t("customer.correct_cancel"), key="cu_correct_cancel", on_click=_stop_correcting)
    grade_labels = {None: t("customer.grade_none")} | {g: f"{g}#" for g in FUEL_GRADES}
    with friendly_errors():
        staff = load_officers(ctx.scope, (profile["branch_id"],))
    recorders = {None: t("customer.no_officer")} | dict(
        zip(staff["officer_id"].to_list(), staff["name"].to_list(), strict=True)
    )
    # the recorder is the signed-in user (an officer records as that officer)
    default_recorder = user.officer_id
    if st.session_state.pop("cu_saved_entry", False):  # an empty form for the next observation
        _empty_form()
    with st.form("cu_soft_form", clear_on_submit=False):  # a refused entry stays in the form
        f1, f2, f3 = st.columns(3)
        kind = f1.selectbox(
            t("customer.form_kind"), list(SOFT_KINDS), format_func=SOFT.get, key="cu_kind"
        )
        source = f2.selectbox(
            t("customer.form_source"), list(SOFT_SOURCES), format_func=SOURCE.get, key="cu_source"
        )
        # wide bounds: the server refuses a future day in the user's language (the widget's own
        # refusal is in English and silently keeps today)
        observed = f3.date_input(
            t("customer.form_observed_on"),
            value=now().date(),
            min_value=date(1990, 1, 1),
            max_value=date(2100, 12, 31),
            key="cu_on",
        )
        g1, g2, g3 = st.columns(3)
        grade = g1.selectbox(
            t("customer.form_grade"),
            list(grade_labels),
            format_func=grade_labels.get,
            key="cu_grade",
        )
        # no min_value: a negative number reaches the server and is refused with a message
        litres = g2.number_input(t("customer.form_litres"), value=0.0, key="cu_litres")
        amount = g3.number_input(t("customer.form_amount"), value=0.0, key="cu_amount")
        h1, h2 = st.columns([2, 1])
        place = h1.text_input(t("customer.form_place"), key="cu_place")
        recorder = default_recorder
        h2.text_input(
            t("customer.form_officer"),
            value=recorders.get(recorder) or user.display_name,
            disabled=True,
            key="cu_recorder",
        )
        detail = st.text_area(t("customer.form_detail"), key="cu_detail")
        confidence = st.slider(
            t("customer.form_confidence"), 0.0, 1.0, 0.8, step=0.05, key="cu_confidence"
        )
        submitted = st.form_submit_button(t("customer.form_submit"))
    if submitted:
        entry = SoftFootprintEntry(
            customer_id=customer_id,
            kind=kind,
            captured_at=datetime.combine(observed, now().time()),
            source=source,
            confidence=float(confidence),
            officer_id=recorder,
            # grade and litres belong to fuel receipts only
            fuel_grade=grade if kind == "fuel_receipt" else None,
            litres=litres if kind == "fuel_receipt" else None,
            amount=amount if amount != 0 else None,
            place=place.strip() or None,
            detail=detail,
        )
        saved_id = None
        with friendly_errors():
            try:
                if correcting is not None:  # replaces the entry being corrected, audited
                    saved_id = correct_soft(ctx.scope, int(correcting), entry)
                else:
                    saved_id = record_soft(ctx.scope, entry)
                    audit.log(
                        get_engine(), user.username, "record_soft_footprint",
                        target=str(customer_id), row_count=1,
                    )  # fmt: skip
            except InvalidSoftFootprint as exc:  # every problem at once, next to the form
                st.error(form_problems(exc.problems))
            except InvalidImport as exc:  # e.g. the customer left the officer's book
                st.error(t("customer.form_error", detail=str(exc)))
        if saved_id is not None:
            st.session_state["cu_saved_entry"] = True  # the form is emptied on the rerun
            st.session_state["cu_saved"] = saved_id
            st.session_state.pop("cu_correcting", None)
            st.rerun()


def credit_tab(v: CustomerView) -> None:
    """Credit staff: consented external limits (an adjustment only) and applications."""
    record, standard = v.record, v.standard
    PLATFORM, PRODUCT, STATUS = v.labels.platform, v.labels.product, v.labels.status
    st.markdown(f"#### {t('customer.external_limits')}")
    st.caption(t("customer.external_note"))
    external: pl.DataFrame = record["external"]
    if external.is_empty():
        st.info(t("customer.external_none"))
    else:
        show_coded_table(
            external,
            {"platform": PLATFORM},
            t_map("customer.", ("platform", "credit_limit", "as_of")),
            column_config={t("customer.credit_limit"): money_column(fen=False)},
        )
    st.markdown(f"#### {t('customer.loan_apps')}")
    checks: pl.DataFrame = record["checks"]
    if checks.is_empty():
        st.caption(t("customer.loan_apps_none"))
    else:
        st.caption(
            t(
                "customer.loan_checks_note",
                ratio=f"{standard.alerts.income_contradiction_ratio:g}",
                n=standard.alerts.contradiction_min_inflows,
            )
        )
        show_table(
            charts.application_table(
                checks,
                record["places"],
                standard.alerts.income_contradiction_ratio,
                {"product": PRODUCT, "status": STATUS},
                t_map("customer.", APPLICATION_COLUMNS),
                min_inflows=standard.alerts.contradiction_min_inflows,
            ),
            column_config={
                t("customer.amount"): money_column(fen=False),
                t("customer.declared_income"): money_column(fen=False),
                t("customer.observed_inflow"): money_column(),
            },
        )
