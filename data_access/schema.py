"""The data model: one MetaData, SQLAlchemy Core tables that run unchanged on DuckDB and PostgreSQL.

Conventions (why):
- Integer ids are assigned by the loader, never SERIAL: duckdb-engine does not support SERIAL.
  Tables the app itself writes to (saved segments, audit log, users) use a Sequence.
- Amounts are ``Double`` (``Float`` is 32-bit on DuckDB); money is CNY.
- Codes (product, kind, channel, stage ...) are short strings, readable in any SQL console;
  their labels live in the standards file and the dashboard's translations.
- ``branch_id`` is repeated on the large fact tables so that scope filters need no join.
"""

from __future__ import annotations

import sqlalchemy as sa

from data_access import audit_guard

# The code lists are defined in metrics/codes.py; re-exported for modules that read them with tables.
from metrics.codes import ACTIVITY_KINDS as ACTIVITY_KINDS
from metrics.codes import CHANNELS as CHANNELS
from metrics.codes import COUNTERPARTY_TYPES as COUNTERPARTY_TYPES
from metrics.codes import FEEDBACK_DECISIONS as FEEDBACK_DECISIONS
from metrics.codes import FEEDBACK_REASONS as FEEDBACK_REASONS
from metrics.codes import FOOTPRINT_KINDS as FOOTPRINT_KINDS
from metrics.codes import FUNNEL_STAGES as FUNNEL_STAGES
from metrics.codes import KPI_CODES as KPI_CODES
from metrics.codes import PLATFORMS as PLATFORMS
from metrics.codes import PRODUCTS as PRODUCTS
from metrics.codes import SOFT_KINDS as SOFT_KINDS
from metrics.footprint_rules import load_rules

metadata = sa.MetaData()

# The signals of the default rules file (metrics/rules.toml): the columns of customer_signals.
# A signal added there changes this table, so it needs a migration (tests/data_access/
# test_migrations.py fails until the revision is written).
SIGNAL_CODES = tuple(signal.code for signal in load_rules().signals)

# --- organisation ------------------------------------------------------------------------------

branches = sa.Table(
    "branches",
    metadata,
    sa.Column("branch_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("name", sa.String(64), nullable=False, comment="Chinese name, e.g. 城关支行"),
    sa.Column("name_en", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
)

officers = sa.Table(
    "officers",
    metadata,
    sa.Column("officer_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("branch_id", sa.Integer, sa.ForeignKey("branches.branch_id"), nullable=False),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("gender", sa.String(1), nullable=False),
    sa.Column("hire_date", sa.Date, nullable=False),
    sa.Column(
        "role", sa.String(24), nullable=False, comment="customer_manager / credit_officer / teller"
    ),
    sa.Column("active", sa.Boolean, nullable=False),
)

# --- customers and what they hold --------------------------------------------------------------

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("branch_id", sa.Integer, sa.ForeignKey("branches.branch_id"), nullable=False),
    sa.Column("officer_id", sa.Integer, sa.ForeignKey("officers.officer_id"), nullable=True),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("gender", sa.String(1), nullable=True),
    sa.Column("birth_year", sa.Integer, nullable=True),
    sa.Column("occupation", sa.String(24), nullable=True),
    sa.Column("town", sa.String(64), nullable=True),
    sa.Column("village", sa.String(64), nullable=True),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("declared_income", sa.Double, nullable=True, comment="yearly, CNY"),
    sa.Column("education", sa.String(24), nullable=True),
    sa.Column("marital_status", sa.String(16), nullable=True),
    sa.Column("household_size", sa.Integer, nullable=True),
    sa.Column(
        "phone", sa.String(20), nullable=True, comment="stored in full, always masked on screen"
    ),
    sa.Column("id_number", sa.String(18), nullable=True, comment="stored in full, always masked"),
    sa.Column("profile_updated_on", sa.Date, nullable=True),
    sa.Column("closed_on", sa.Date, nullable=True),
)

product_holdings = sa.Table(
    "product_holdings",
    metadata,
    sa.Column("holding_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("product", sa.String(24), nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("closed_on", sa.Date, nullable=True),
    sa.Column("balance", sa.Double, nullable=True, comment="latest balance, CNY"),
    sa.Column("credit_limit", sa.Double, nullable=True),
)

balance_snapshots = sa.Table(
    "balance_snapshots",
    metadata,
    sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("month", sa.Date, primary_key=True, comment="first day of the month"),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("demand_avg", sa.Double, nullable=False, comment="month-average daily balance"),
    sa.Column("time_avg", sa.Double, nullable=False),
    sa.Column("wealth_avg", sa.Double, nullable=False),
    sa.Column("loan_avg", sa.Double, nullable=False),
    sa.Column("deposit_end", sa.Double, nullable=False, comment="demand + time at month end"),
    sa.Column("loan_end", sa.Double, nullable=False),
)

branch_weekly_balances = sa.Table(
    "branch_weekly_balances",
    metadata,
    sa.Column("branch_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("week_start", sa.Date, primary_key=True, comment="Monday"),
    sa.Column("deposit_balance", sa.Double, nullable=False, comment="ledger balance at week end"),
    sa.Column("loan_balance", sa.Double, nullable=False),
    sa.Column("wealth_balance", sa.Double, nullable=False),
)

# --- footprints --------------------------------------------------------------------------------

footprints = sa.Table(
    "footprints",
    metadata,
    sa.Column("footprint_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("direction", sa.String(3), nullable=False, comment="in / out"),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("amount", sa.Double, nullable=False),
    sa.Column("place", sa.String(64), nullable=True),
    sa.Column("merchant_category", sa.String(24), nullable=True),
    sa.Column("counterparty_type", sa.String(20), nullable=False),
    sa.Column("self_initiated", sa.Boolean, nullable=False),
)

soft_footprints = sa.Table(
    "soft_footprints",
    metadata,
    sa.Column(
        "soft_id",
        sa.BigInteger,
        sa.Sequence("soft_footprints_id_seq", start=10_000_000),
        primary_key=True,
    ),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("officer_id", sa.Integer, nullable=True),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("captured_at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("source", sa.String(16), nullable=False, comment="counter / visit / call / customer"),
    sa.Column("fuel_grade", sa.Integer, nullable=True, comment="92 / 95 / 97 / 98"),
    sa.Column("litres", sa.Double, nullable=True),
    sa.Column(
        "amount", sa.Double, nullable=True, comment="value observed, CNY (receipt, vehicle, event)"
    ),
    sa.Column("place", sa.String(64), nullable=True),
    sa.Column("detail", sa.Text, nullable=True, comment="free text as the officer wrote it"),
    sa.Column("confidence", sa.Double, nullable=False, comment="0..1"),
)

external_credit_limits = sa.Table(
    "external_credit_limits",
    metadata,
    sa.Column("limit_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("credit_limit", sa.Double, nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("consent", sa.Boolean, nullable=False),
)

# --- marketing ---------------------------------------------------------------------------------

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("campaign_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code", sa.String(24), nullable=False, unique=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("name_en", sa.String(64), nullable=False),
    sa.Column("product", sa.String(24), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("conversion_window_days", sa.Integer, nullable=False),
    sa.Column("target_definition", sa.Text, nullable=False, comment="JSON segment definition"),
)

marketing_events = sa.Table(
    "marketing_events",
    metadata,
    sa.Column("event_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.campaign_id"), nullable=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("officer_id", sa.Integer, nullable=True),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("stage", sa.String(12), nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
)

# --- officers' work ----------------------------------------------------------------------------

officer_activities = sa.Table(
    "officer_activities",
    metadata,
    sa.Column("activity_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("officer_id", sa.Integer, nullable=False),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("customer_id", sa.BigInteger, nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
)

trainings = sa.Table(
    "trainings",
    metadata,
    sa.Column("training_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("title", sa.String(64), nullable=False),
    sa.Column("title_en", sa.String(64), nullable=False),
    sa.Column("topic", sa.String(24), nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
)

training_attendance = sa.Table(
    "training_attendance",
    metadata,
    sa.Column("training_id", sa.Integer, sa.ForeignKey("trainings.training_id"), primary_key=True),
    sa.Column("officer_id", sa.Integer, sa.ForeignKey("officers.officer_id"), primary_key=True),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("attended", sa.Boolean, nullable=False),
)

weekly_targets = sa.Table(
    "weekly_targets",
    metadata,
    sa.Column("branch_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("week_start", sa.Date, primary_key=True),
    sa.Column("kpi", sa.String(24), primary_key=True),
    sa.Column("target", sa.Double, nullable=False),
)

loan_applications = sa.Table(
    "loan_applications",
    metadata,
    sa.Column("application_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("officer_id", sa.Integer, nullable=True),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("applied_on", sa.Date, nullable=False),
    sa.Column(
        "product",
        sa.String(24),
        nullable=False,
        comment="loan_agri / loan_business / loan_consumer",
    ),
    sa.Column("amount", sa.Double, nullable=False),
    sa.Column("declared_income", sa.Double, nullable=True),
    sa.Column("declared_business", sa.String(64), nullable=True),
    sa.Column("declared_place", sa.String(64), nullable=True),
    sa.Column(
        "status",
        sa.String(12),
        nullable=False,
        comment="submitted / approved / rejected / disbursed",
    ),
    sa.Column("decided_on", sa.Date, nullable=True),
)

# --- the app's own records ---------------------------------------------------------------------

saved_segments = sa.Table(
    "saved_segments",
    metadata,
    sa.Column("segment_id", sa.Integer, sa.Sequence("saved_segments_id_seq"), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("definition", sa.Text, nullable=False, comment="JSON"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("owner", "name", name="uq_saved_segments_owner_name"),
)

roles = sa.Table(
    "roles",
    metadata,
    sa.Column("role", sa.String(24), primary_key=True),
    sa.Column("label_zh", sa.String(32), nullable=False),
    sa.Column("label_en", sa.String(32), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.Integer, sa.Sequence("users_id_seq"), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(24), sa.ForeignKey("roles.role"), nullable=False),
    sa.Column("branch_id", sa.Integer, nullable=True),
    sa.Column("officer_id", sa.Integer, nullable=True),
    sa.Column("password_hash", sa.String(200), nullable=True, comment="argon2id; never clear"),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column(
        "branch_ids", sa.String(400), nullable=True, comment="marketing: listed branches, '3,5'"
    ),
    sa.Column("oidc_subject", sa.String(200), nullable=True, comment="issuer's subject (sub)"),
)

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True, comment="sha256 of the token"),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False, comment="absolute end of the session"),
    sa.Column("ended_at", sa.DateTime, nullable=True, comment="signed out or revoked"),
)

export_approvals = sa.Table(
    "export_approvals",
    metadata,
    sa.Column("approval_id", sa.Integer, sa.Sequence("export_approvals_id_seq"), primary_key=True),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("requested_at", sa.DateTime, nullable=False),
    sa.Column(
        "target", sa.String(128), nullable=False, comment="which list, as the exporter names it"
    ),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("filters", sa.Text, nullable=True, comment="JSON"),
    sa.Column(
        "status", sa.String(12), nullable=False, comment="pending / approved / rejected / used"
    ),
    sa.Column("decided_by", sa.String(64), nullable=True),
    sa.Column("decided_at", sa.DateTime, nullable=True),
)

nbp_feedback = sa.Table(
    "nbp_feedback",
    metadata,
    sa.Column("feedback_id", sa.BigInteger, sa.Sequence("nbp_feedback_id_seq"), primary_key=True),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("officer_id", sa.Integer, nullable=True, comment="who answered"),
    sa.Column("product", sa.String(24), nullable=False),
    sa.Column(
        "rule", sa.String(32), nullable=True, comment="the offer behind it; null: peers only"
    ),
    sa.Column("score", sa.Double, nullable=True),
    sa.Column("decision", sa.String(8), nullable=False, comment="accept / dismiss"),
    sa.Column("reason", sa.String(24), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("decided_at", sa.DateTime, nullable=False),
    comment="officers' answers to next-best-product suggestions; outcomes are read from holdings",
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("audit_id", sa.BigInteger, sa.Sequence("audit_log_id_seq"), primary_key=True),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False, comment="data_access.audit.ACTIONS"),
    sa.Column("target", sa.String(128), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("row_count", sa.BigInteger, nullable=True, comment="rows shown or exported"),
)
# Append-only in the database (PostgreSQL trigger): see data_access/audit_guard.py.
sa.event.listen(audit_log, "after_create", lambda _t, conn, **_k: audit_guard.install(conn))

import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("batch_id", sa.BigInteger, sa.Sequence("import_batches_id_seq"), primary_key=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("target_table", sa.String(40), nullable=False),
    sa.Column("mapping", sa.String(64), nullable=False),
    sa.Column("file_name", sa.String(256), nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("encoding", sa.String(16), nullable=False, comment="'' for Excel and Parquet"),
    sa.Column("rows_read", sa.BigInteger, nullable=False),
    sa.Column("inserted", sa.BigInteger, nullable=False),
    sa.Column("updated", sa.BigInteger, nullable=False),
    sa.Column("unchanged", sa.BigInteger, nullable=False),
    sa.Column("rejected", sa.BigInteger, nullable=False),
    comment="one row per committed import (python -m data_access import, the admin page)",
)

planted_anomalies = sa.Table(
    "planted_anomalies",
    metadata,
    sa.Column("branch_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("week_start", sa.Date, primary_key=True, comment="Monday"),
    sa.Column("kpi", sa.String(24), primary_key=True),
    sa.Column("direction", sa.String(5), nullable=False, comment="drop / spike"),
    sa.Column("kind", sa.String(32), nullable=False, comment="what the generator did"),
    comment="demo bank only: the anomalies the generator planted, to score the weekly flags",
)

bank_meta = sa.Table(
    "bank_meta",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
    comment="data_as_of, generator seed and version, load time",
)

# --- indexes for the queries the pages make ----------------------------------------------------

sa.Index("ix_officers_branch", officers.c.branch_id)
sa.Index("ix_customers_branch_officer", customers.c.branch_id, customers.c.officer_id)
sa.Index("ix_holdings_customer", product_holdings.c.customer_id, product_holdings.c.product)
sa.Index("ix_snapshots_month_branch", balance_snapshots.c.month, balance_snapshots.c.branch_id)
sa.Index("ix_footprints_customer_time", footprints.c.customer_id, footprints.c.occurred_at)
sa.Index("ix_footprints_branch_time", footprints.c.branch_id, footprints.c.occurred_at)
sa.Index("ix_soft_customer", soft_footprints.c.customer_id)
sa.Index("ix_soft_officer_time", soft_footprints.c.officer_id, soft_footprints.c.captured_at)
sa.Index("ix_ext_limits_customer", external_credit_limits.c.customer_id)
sa.Index("ix_events_campaign_stage", marketing_events.c.campaign_id, marketing_events.c.stage)
sa.Index("ix_events_customer", marketing_events.c.customer_id)
sa.Index(
    "ix_activities_officer_time", officer_activities.c.officer_id, officer_activities.c.occurred_at
)
sa.Index("ix_loan_apps_customer", loan_applications.c.customer_id)

# Fact tables large enough that the bulk loader builds their indexes after the load.
FACT_TABLES = (
    "footprints",
    "balance_snapshots",
    "product_holdings",
    "marketing_events",
    "officer_activities",
    "soft_footprints",
)

# --- marts: derived tables computed by data_access/refresh.py after every load ----------------
# (customer-level metrics that would be too slow to compute on every page view at county scale)


def _customer_keys() -> tuple[sa.Column, ...]:
    """customer_id (the key), branch_id and officer_id: how each per-customer mart starts."""
    return (
        sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("branch_id", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.Integer, nullable=True),
    )


def _cell_keys() -> tuple[sa.Column, ...]:
    """branch_id, officer_id and tier: the groups the activity marts count customers by."""
    return (
        sa.Column("branch_id", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.Integer),
        sa.Column("tier", sa.String(16)),
    )


# [value mart] — owned by the value/RFM/CLV work
customer_value = sa.Table(
    "customer_value",
    metadata,
    *_customer_keys(),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("aum", sa.Double, nullable=False, comment="month-average AUM of the last full month"),
    sa.Column("tier", sa.String(10), nullable=False, comment="after hysteresis"),
    sa.Column("effective", sa.Boolean, nullable=False),
    sa.Column("recency_days", sa.Integer, nullable=True),
    sa.Column("frequency_count", sa.Integer, nullable=False),
    sa.Column("monetary_amount", sa.Double, nullable=False),
    sa.Column("r_score", sa.Integer, nullable=False),
    sa.Column("f_score", sa.Integer, nullable=False),
    sa.Column("m_score", sa.Integer, nullable=False),
    sa.Column("rfm_segment", sa.String(24), nullable=False),
    sa.Column("p_alive", sa.Double, nullable=True),
    sa.Column("expected_transactions", sa.Double, nullable=True, comment="over the CLV horizon"),
    sa.Column("clv", sa.Double, nullable=True, comment="discounted, CNY"),
)

customer_tier_months = sa.Table(
    "customer_tier_months",
    metadata,
    sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("aum", sa.Double, nullable=False),
    sa.Column("tier", sa.String(10), nullable=False, comment="after hysteresis"),
)

# [signals mart] — owned by the customer-footprint work; one boolean per signal code in standards
customer_signals = sa.Table(
    "customer_signals",
    metadata,
    *_customer_keys(),
    *(sa.Column(code, sa.Boolean, nullable=False) for code in SIGNAL_CODES),
)

# [loyalty mart] — owned by the loyalty work
customer_loyalty = sa.Table(
    "customer_loyalty",
    metadata,
    *_customer_keys(),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("loyalty", sa.Double, nullable=False, comment="0..100"),
    *(
        sa.Column(code, sa.Double, nullable=False, comment="component, 0..1")
        for code in (
            "product_depth",
            "tenure",
            "primary_bank",
            "activity_trend",
            "outflow",
            "p_alive",
        )
    ),
    sa.Column("churn_risk", sa.Boolean, nullable=False),
)

# [KPI mart] — owned by the weekly-KPI work: the customer KPIs per branch, officer and week
# (effective customers per month), so the president's page never scans footprints.
kpi_facts = sa.Table(
    "kpi_facts",
    metadata,
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column(
        "officer_id",
        sa.Integer,
        nullable=True,
        comment="officer credited (the customer's); null: none",
    ),
    sa.Column("kpi", sa.String(24), nullable=False, comment="a KPI_CODES entry"),
    sa.Column(
        "period_start",
        sa.Date,
        nullable=False,
        comment="Monday; first of the month for effective_customers",
    ),
    sa.Column("value", sa.Double, nullable=False),
)

sa.Index("ix_customer_value_branch", customer_value.c.branch_id, customer_value.c.officer_id)
sa.Index("ix_kpi_facts_kpi_period", kpi_facts.c.kpi, kpi_facts.c.period_start)
sa.Index("ix_tier_months_month", customer_tier_months.c.month, customer_tier_months.c.branch_id)

# [activity marts] — per-group counts of footprints and activities (data_access/marts/activity.py)
activity_week_cells = sa.Table(
    "activity_week_cells",
    metadata,
    *_cell_keys(),
    sa.Column("week", sa.Date, nullable=False),
    sa.Column("prev_gap", sa.SmallInteger, nullable=False),
    sa.Column("next_consecutive", sa.Boolean, nullable=False),
    sa.Column("customers", sa.BigInteger, nullable=False),
)
cohort_month_cells = sa.Table(
    "cohort_month_cells",
    metadata,
    *_cell_keys(),
    sa.Column("cohort_month", sa.Date, nullable=False),
    sa.Column("month", sa.Date, nullable=False),
    sa.Column("active", sa.BigInteger, nullable=False),
    sa.Column("last_active", sa.BigInteger, nullable=False),
)
customer_income_year = sa.Table(
    "customer_income_year",
    metadata,
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("observed_inflow", sa.Double, nullable=False),
    sa.Column("inflow_count", sa.BigInteger, nullable=False),
)
application_evidence = sa.Table(
    "application_evidence",
    metadata,
    sa.Column("application_id", sa.BigInteger, nullable=False),
    sa.Column("observed_inflow", sa.Double),
    sa.Column("inflow_count", sa.BigInteger, nullable=False),
    sa.Column("place_seen", sa.BigInteger, nullable=False),
)
applicant_places = sa.Table(
    "applicant_places",
    metadata,
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("place", sa.String(64), nullable=False),
    sa.Column("n", sa.BigInteger, nullable=False),
)
officer_activity_weeks = sa.Table(
    "officer_activity_weeks",
    metadata,
    sa.Column("officer_id", sa.Integer),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("week_start", sa.Date, nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("n", sa.BigInteger, nullable=False),
)
sa.Index("ix_activity_week_cells_week", activity_week_cells.c.week)
sa.Index("ix_cohort_month_cells_cohort", cohort_month_cells.c.cohort_month)
sa.Index("ix_customer_income_year_customer", customer_income_year.c.customer_id)
sa.Index("ix_application_evidence_application", application_evidence.c.application_id)
sa.Index("ix_applicant_places_customer", applicant_places.c.customer_id)
sa.Index("ix_officer_activity_weeks_week", officer_activity_weeks.c.week_start)
