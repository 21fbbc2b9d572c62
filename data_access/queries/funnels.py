"""Marketing funnels: the campaign list, the per-customer stage pivot and the drop (call) list.

Events are aggregated in SQL to one row per customer and campaign with the first time of each
stage (``MIN(CASE WHEN stage = … THEN occurred_at END)``), so no raw event stream leaves the
database. The sidebar's period does not apply: a funnel is read per campaign, not per week.
Scope and the branch / officer lists restrict the events; the tier list restricts customers
through the value mart. The ordered-within-window rule is ``metrics.funnels.mark_reached``;
``select_drop_list`` states the same rule in SQL so that a call list never needs the pivot.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import timedelta

import polars as pl
import sqlalchemy as sa

from data_access.filters import Scope, apply_owner_scope
from data_access.masking import personal
from data_access.queries._frames import bulk_frame, frame, schema_of
from data_access.schema import (
    FUNNEL_STAGES,
    campaigns,
    customer_value,
    customers,
    marketing_events,
    officers,
)
from data_access.selection import Selection, restrict, tier_customers

PIVOT_KEYS = {
    "campaign_id": pl.Int64,
    "customer_id": pl.Int64,
    "officer_id": pl.Int64,
    "branch_id": pl.Int64,
    "product": pl.String,
    "window_days": pl.Int64,
    "tier": pl.String,
    "rfm_segment": pl.String,
}


def pivot_schema(stages: Sequence[str] = FUNNEL_STAGES) -> dict[str, pl.DataType]:
    """Columns of the stage pivot: keys, descriptive columns, then ``<stage>_at`` per stage."""
    return {**PIVOT_KEYS, **{f"{s}_at": pl.Datetime("us") for s in stages}}


def _events_in_view(stmt: sa.Select, selection: Selection) -> sa.Select:
    ev = marketing_events
    return restrict(stmt, selection, branch_col=ev.c.branch_id, officer_col=ev.c.officer_id)


def select_campaigns(selection: Selection) -> sa.Select:
    """Campaigns with the number of customers targeted in view; when anything narrows the view
    (scope below the bank, branches, officers, tiers) only the campaigns with any."""
    ev = marketing_events
    targeted = _events_in_view(
        sa.select(
            ev.c.campaign_id,
            sa.func.count(sa.distinct(ev.c.customer_id)).label("targeted"),
        ).where(ev.c.stage == sa.bindparam(None, FUNNEL_STAGES[0], type_=sa.String)),
        selection,
    ).group_by(ev.c.campaign_id)
    if selection.tiers:
        targeted = targeted.where(ev.c.customer_id.in_(tier_customers(selection.tiers)))
    targeted = targeted.subquery("targeted_in_view")
    count = sa.func.coalesce(targeted.c.targeted, 0)
    stmt = sa.select(
        campaigns.c.campaign_id,
        campaigns.c.code,
        campaigns.c.name,
        campaigns.c.name_en,
        campaigns.c.product,
        campaigns.c.start_date,
        campaigns.c.end_date,
        campaigns.c.conversion_window_days,
        count.label("targeted"),
    ).select_from(campaigns.outerjoin(targeted, targeted.c.campaign_id == campaigns.c.campaign_id))
    picked = selection.branch_ids or selection.officer_ids or selection.tiers
    if selection.scope.level != "bank" or picked:
        stmt = stmt.where(count > 0)
    return stmt.order_by(campaigns.c.start_date.desc(), campaigns.c.campaign_id)


def fetch_campaigns(conn: sa.Connection, selection: Selection) -> pl.DataFrame:
    """Campaigns in view, newest first, with the customers targeted in view."""
    return frame(conn, select_campaigns(selection))


def select_stage_pivot(
    selection: Selection,
    campaign_ids: Sequence[int],
    stages: Sequence[str] = FUNNEL_STAGES,
) -> sa.Select:
    """One row per customer and campaign: first time of each stage, officer, branch, tier, segment."""
    ev = marketing_events
    first = ev.c.stage == sa.bindparam(None, stages[0], type_=sa.String)
    # the officer and branch that targeted the customer; any of the campaign's events otherwise
    officer = sa.func.coalesce(
        sa.func.min(sa.case((first, ev.c.officer_id))), sa.func.min(ev.c.officer_id)
    )
    branch = sa.func.coalesce(
        sa.func.min(sa.case((first, ev.c.branch_id))), sa.func.min(ev.c.branch_id)
    )
    firsts = [
        sa.func.min(
            sa.case((ev.c.stage == sa.bindparam(None, s, type_=sa.String), ev.c.occurred_at))
        ).label(f"{s}_at")
        for s in stages
    ]
    grouped = sa.select(
        ev.c.campaign_id,
        ev.c.customer_id,
        officer.label("officer_id"),
        branch.label("branch_id"),
        *firsts,
    ).where(ev.c.campaign_id.in_(list(campaign_ids)))
    grouped = _events_in_view(grouped, selection).group_by(ev.c.campaign_id, ev.c.customer_id)
    pv = grouped.subquery("stage_pivot")
    stmt = sa.select(
        pv.c.campaign_id,
        pv.c.customer_id,
        pv.c.officer_id,
        pv.c.branch_id,
        campaigns.c.product,
        campaigns.c.conversion_window_days.label("window_days"),
        customer_value.c.tier,
        customer_value.c.rfm_segment,
        *(pv.c[f"{s}_at"] for s in stages),
    ).select_from(
        pv.join(campaigns, campaigns.c.campaign_id == pv.c.campaign_id).outerjoin(
            customer_value, customer_value.c.customer_id == pv.c.customer_id
        )
    )
    # the tiers on the joined value mart (the scope and the other picks are on the events)
    stmt = restrict(stmt, Selection(tiers=selection.tiers), tier_col=customer_value.c.tier)
    return stmt.order_by(pv.c.campaign_id, pv.c.customer_id)


def fetch_stage_pivot(
    conn: sa.Connection,
    selection: Selection,
    campaign_ids: Sequence[int],
    stages: Sequence[str] = FUNNEL_STAGES,
) -> pl.DataFrame:
    """The stage pivot of the campaigns given (see ``select_stage_pivot``)."""
    if not campaign_ids:
        return pl.DataFrame(schema=pivot_schema(stages))
    stmt = select_stage_pivot(selection, campaign_ids, stages)
    return bulk_frame(conn, stmt, pivot_schema(stages))


def select_drop_list(
    selection: Selection,
    campaign_ids: Sequence[int],
    step: int,
    window_days: int | Mapping[int, int],
    stages: Sequence[str] = FUNNEL_STAGES,
) -> sa.Select:
    """Customers of the campaigns who reached ``stages[step - 1]`` in order and in the window but not
    ``stages[step]``, with contact data and officer name (masking is the dashboard's job).

    ``window_days``: one window for every campaign, or each campaign's own (campaign_id → days).
    """
    if not 1 <= step < len(stages):
        raise ValueError(f"step must be between 1 and {len(stages) - 1}, got {step}")
    windows = window_days if isinstance(window_days, Mapping) else {}
    if any(w < 0 for w in [*windows.values(), *([] if windows else [window_days])]):
        raise ValueError(f"window_days must be non-negative, got {window_days}")
    # current-owner rule: the call list goes to whoever holds the customer now, so the pivot is
    # read for the whole bank and the scope and the sidebar's lists apply to today's owner
    everywhere = Selection(Scope.bank(), tiers=selection.tiers)
    pv = select_stage_pivot(everywhere, campaign_ids, stages).subquery("pivot")
    targeted_at = pv.c[f"{stages[0]}_at"]

    def after(days: int) -> sa.ColumnElement:
        return targeted_at + sa.bindparam(None, timedelta(days=days), type_=sa.Interval)

    deadline = (
        sa.case({cid: after(w) for cid, w in windows.items()}, value=pv.c.campaign_id)
        if windows
        else after(int(window_days))  # type: ignore[arg-type]
    )
    # reached[k]: every stage up to k present, each at or after the previous, none after deadline
    reached = [targeted_at.is_not(None)]
    for prev, stage in itertools.pairwise(stages):
        ts, prev_ts = pv.c[f"{stage}_at"], pv.c[f"{prev}_at"]
        reached.append(
            sa.and_(reached[-1], ts.is_not(None), ts >= prev_ts, ts <= deadline).self_group()
        )
    before = stages[step - 1]
    # today's officer; an unassigned customer's call goes to whoever targeted them
    officer_id = sa.func.coalesce(customers.c.officer_id, pv.c.officer_id)
    stmt = (
        sa.select(
            pv.c.campaign_id,
            pv.c.customer_id,
            customers.c.name,
            customers.c.phone,
            officer_id.label("officer_id"),
            officers.c.name.label("officer_name"),
            customers.c.branch_id,
            sa.literal(before, sa.String).label("last_stage"),
            pv.c[f"{before}_at"].label("last_stage_at"),
            targeted_at.label("targeted_at"),
        )
        .select_from(
            pv.join(customers, customers.c.customer_id == pv.c.customer_id).outerjoin(
                officers, officers.c.officer_id == officer_id
            )
        )
        .where(reached[step - 1], sa.not_(reached[step]))
    )
    stmt = apply_owner_scope(stmt, selection.scope, pv.c.customer_id)
    # the picks on today's owner; the tiers were applied inside the pivot
    picks = Selection(branch_ids=selection.branch_ids, officer_ids=selection.officer_ids)
    stmt = restrict(
        stmt, picks, branch_col=customers.c.branch_id, officer_col=customers.c.officer_id
    )
    return stmt.order_by(officer_id, pv.c.customer_id, pv.c.campaign_id)


@personal
def fetch_drop_list(
    conn: sa.Connection,
    selection: Selection,
    campaign_ids: Sequence[int],
    step: int,
    window_days: int | None,
    stages: Sequence[str] = FUNNEL_STAGES,
) -> pl.DataFrame:
    """Who dropped before ``stages[step]`` (next week's call list), by officer then customer.

    ``window_days`` None: each campaign's own conversion window.
    """
    if not campaign_ids:  # nobody to list: the list's columns (the select's, any window), empty
        return pl.DataFrame(schema=schema_of(select_drop_list(selection, (), step, 0, stages)))
    if window_days is None:
        c = campaigns.c
        found = conn.execute(
            sa.select(c.campaign_id, c.conversion_window_days).where(
                c.campaign_id.in_(list(campaign_ids))
            )
        )
        window_days = {int(cid): int(w) for cid, w in found}  # type: ignore[assignment]
    stmt = select_drop_list(selection, campaign_ids, step, window_days, stages)
    return bulk_frame(conn, stmt)
