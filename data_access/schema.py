"""The data model: one MetaData, SQLAlchemy Core tables that run unchanged on DuckDB and PostgreSQL.

Conventions (why):
- Integer ids are assigned by the loader, never SERIAL: duckdb-engine does not support SERIAL.
  Tables the app itself writes to (saved segments, audit log, users) use a Sequence.
- Amounts are ``Double`` (``Float`` is 32-bit on DuckDB); money is CNY. Counts are ``BigInteger``.
- Codes (product, kind, channel, stage ...) are short strings, readable in any SQL console;
  their labels live in the standards file and the dashboard's translations.
- ``branch_id`` is repeated on the large fact tables so that scope filters need no join.

The column helpers below write these conventions once; a column is NOT NULL unless it says
``nullable=True``. ``tests/data_access/test_schema_ddl.py`` holds every table's DDL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler

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

# --- the columns that recur -------------------------------------------------------------------
# Each helper makes a new Column (a Column belongs to one table); keyword arguments such as
# ``comment``, ``unique`` or ``primary_key`` go through to ``sa.Column``.


def _key(name: str, type_: type[sa.types.TypeEngine] = sa.BigInteger) -> sa.Column:
    """A primary key (or part of one) whose values the loader assigns."""
    return sa.Column(name, type_, primary_key=True, autoincrement=False)


def _numbered(
    name: str,
    sequence: str,
    type_: type[sa.types.TypeEngine] = sa.BigInteger,
    start: int | None = None,
) -> sa.Column:
    """The primary key of a table the app writes to, numbered by ``sequence``."""
    return sa.Column(name, type_, sa.Sequence(sequence, start=start), primary_key=True)


def _branch_id(*args: Any, nullable: bool = False, **kw: Any) -> sa.Column:
    """The outlet (``args``: a foreign key)."""
    return sa.Column("branch_id", sa.Integer, *args, nullable=nullable, **kw)


def _officer_id(*args: Any, nullable: bool = True, **kw: Any) -> sa.Column:
    """The officer, where there is one (``args``: a foreign key)."""
    return sa.Column("officer_id", sa.Integer, *args, nullable=nullable, **kw)


def _customer_id(*, nullable: bool = False) -> sa.Column:
    """The customer a row is about."""
    return sa.Column("customer_id", sa.BigInteger, nullable=nullable)


def _of_customer(*, officer: bool = False) -> tuple[sa.Column, ...]:
    """customer_id, officer_id (with ``officer``) and branch_id: how a fact about a customer starts."""
    return (_customer_id(), *((_officer_id(),) if officer else ()), _branch_id())


def _text(name: str, length: int | None = None, *, nullable: bool = False, **kw: Any) -> sa.Column:
    """A string of at most ``length`` characters; free text (TEXT) without a length."""
    type_ = sa.Text() if length is None else sa.String(length)
    return sa.Column(name, type_, nullable=nullable, **kw)


def _product(**kw: Any) -> sa.Column:
    """A product code (metrics.codes.PRODUCTS)."""
    return _text("product", 24, **kw)


def _kpi(**kw: Any) -> sa.Column:
    """A KPI code (metrics.codes.KPI_CODES)."""
    return _text("kpi", 24, **kw)


def _username(**kw: Any) -> sa.Column:
    """Who: a user's sign-in name."""
    return _text("username", 64, **kw)


def _int(name: str, *, nullable: bool = False, **kw: Any) -> sa.Column:
    """A small whole number (a year, a score, a number of days)."""
    return sa.Column(name, sa.Integer, nullable=nullable, **kw)


def _count(name: str, *, nullable: bool = False, **kw: Any) -> sa.Column:
    """A count of rows, customers or events."""
    return sa.Column(name, sa.BigInteger, nullable=nullable, **kw)


def _real(name: str, *, nullable: bool = False, **kw: Any) -> sa.Column:
    """An amount, rate or score: 64-bit (``Float`` is 32-bit on DuckDB)."""
    return sa.Column(name, sa.Double, nullable=nullable, **kw)


def _flag(name: str) -> sa.Column:
    """A yes / no that is always known."""
    return sa.Column(name, sa.Boolean, nullable=False)


def _day(name: str, *, nullable: bool = False, **kw: Any) -> sa.Column:
    """A calendar day."""
    return sa.Column(name, sa.Date, nullable=nullable, **kw)


def _moment(name: str, *, nullable: bool = False, **kw: Any) -> sa.Column:
    """A point in time (local, without a time zone)."""
    return sa.Column(name, sa.DateTime, nullable=nullable, **kw)


# --- organisation ------------------------------------------------------------------------------

branches = sa.Table(
    "branches",
    metadata,
    _key("branch_id", sa.Integer),
    _text("code", 16, unique=True),
    _text("name", 64, comment="Chinese name, e.g. 城关支行"),
    _text("name_en", 64),
    _text("town", 64),
    _day("opened_on"),
)

officers = sa.Table(
    "officers",
    metadata,
    _key("officer_id", sa.Integer),
    _branch_id(sa.ForeignKey("branches.branch_id")),
    _text("name", 32),
    _text("gender", 1),
    _day("hire_date"),
    _text("role", 24, comment="customer_manager / credit_officer / teller"),
    _flag("active"),
)

# --- customers and what they hold --------------------------------------------------------------

customers = sa.Table(
    "customers",
    metadata,
    _key("customer_id"),
    _branch_id(sa.ForeignKey("branches.branch_id")),
    _officer_id(sa.ForeignKey("officers.officer_id")),
    _text("name", 32),
    _text("gender", 1, nullable=True),
    _int("birth_year", nullable=True),
    _text("occupation", 24, nullable=True),
    _text("town", 64, nullable=True),
    _text("village", 64, nullable=True),
    _day("opened_on"),
    _real("declared_income", nullable=True, comment="yearly, CNY"),
    _text("education", 24, nullable=True),
    _text("marital_status", 16, nullable=True),
    _int("household_size", nullable=True),
    _text("phone", 20, nullable=True, comment="stored in full, always masked on screen"),
    _text("id_number", 18, nullable=True, comment="stored in full, always masked"),
    _day("profile_updated_on", nullable=True),
    _day("closed_on", nullable=True),
)

product_holdings = sa.Table(
    "product_holdings",
    metadata,
    _key("holding_id"),
    *_of_customer(),
    _product(),
    _day("opened_on"),
    _day("closed_on", nullable=True),
    _real("balance", nullable=True, comment="latest balance, CNY"),
    _real("credit_limit", nullable=True),
)

balance_snapshots = sa.Table(
    "balance_snapshots",
    metadata,
    _key("customer_id"),
    _day("month", primary_key=True, comment="first day of the month"),
    _branch_id(),
    _real("demand_avg", comment="month-average daily balance"),
    _real("time_avg"),
    _real("wealth_avg"),
    _real("loan_avg"),
    _real("deposit_end", comment="demand + time at month end"),
    _real("loan_end"),
)

branch_weekly_balances = sa.Table(
    "branch_weekly_balances",
    metadata,
    _key("branch_id", sa.Integer),
    _day("week_start", primary_key=True, comment="Monday"),
    _real("deposit_balance", comment="ledger balance at week end"),
    _real("loan_balance"),
    _real("wealth_balance"),
)

# --- footprints --------------------------------------------------------------------------------

footprints = sa.Table(
    "footprints",
    metadata,
    _key("footprint_id"),
    *_of_customer(),
    _moment("occurred_at"),
    _text("kind", 16),
    _text("direction", 3, comment="in / out"),
    _text("channel", 10),
    _real("amount"),
    _text("place", 64, nullable=True),
    _text("merchant_category", 24, nullable=True),
    _text("counterparty_type", 20),
    _flag("self_initiated"),
)

# On DuckDB the footprints table has no PRIMARY KEY constraint (footprint_id stays its key in this
# metadata, and the import's natural key): DuckDB keeps such a key as an in-memory ART index that
# every insert updates and every commit writes, two fifths of an import's write time (10 million
# rows: about 4 of 10 CPU s, and 2 s of commit after the last row). A repeated id cannot get in
# anyway: the only writers are the demo generator, which numbers the ids, and the import, which
# rejects an id repeated in the file, updates one already in the table, and takes one lock per
# database file while it writes (tests/data_access/importing/test_no_duplicates.py).
# PostgreSQL keeps the constraint.
UNKEYED_ON_DUCKDB = ("footprints",)


@compiles(sa.PrimaryKeyConstraint, "duckdb")
def _duckdb_primary_key(
    constraint: sa.PrimaryKeyConstraint, compiler: DDLCompiler, **kw: Any
) -> str | None:
    """No PRIMARY KEY clause for the tables of UNKEYED_ON_DUCKDB (None: no clause at all)."""
    if constraint.table.name in UNKEYED_ON_DUCKDB:
        return None
    return compiler.visit_primary_key_constraint(constraint, **kw)


soft_footprints = sa.Table(
    "soft_footprints",
    metadata,
    _numbered("soft_id", "soft_footprints_id_seq", start=10_000_000),
    *_of_customer(officer=True),
    _moment("captured_at"),
    _text("kind", 20),
    _text("source", 16, comment="counter / visit / call / customer"),
    _int("fuel_grade", nullable=True, comment="92 / 95 / 97 / 98"),
    _real("litres", nullable=True),
    _real("amount", nullable=True, comment="value observed, CNY (receipt, vehicle, event)"),
    _text("place", 64, nullable=True),
    _text("detail", nullable=True, comment="free text as the officer wrote it"),
    _real("confidence", comment="0..1"),
)

external_credit_limits = sa.Table(
    "external_credit_limits",
    metadata,
    _key("limit_id"),
    *_of_customer(),
    _text("platform", 16),
    _real("credit_limit"),
    _day("as_of"),
    _flag("consent"),
)

# --- marketing ---------------------------------------------------------------------------------

campaigns = sa.Table(
    "campaigns",
    metadata,
    _key("campaign_id", sa.Integer),
    _text("code", 24, unique=True),
    _text("name", 64),
    _text("name_en", 64),
    _product(),
    _day("start_date"),
    _day("end_date"),
    _int("conversion_window_days"),
    _text("target_definition", comment="JSON segment definition"),
)

marketing_events = sa.Table(
    "marketing_events",
    metadata,
    _key("event_id"),
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.campaign_id"), nullable=False),
    *_of_customer(officer=True),
    _text("stage", 12),
    _moment("occurred_at"),
)

# --- officers' work ----------------------------------------------------------------------------

officer_activities = sa.Table(
    "officer_activities",
    metadata,
    _key("activity_id"),
    _officer_id(nullable=False),
    _branch_id(),
    _customer_id(nullable=True),
    _text("kind", 16),
    _moment("occurred_at"),
)

trainings = sa.Table(
    "trainings",
    metadata,
    _key("training_id", sa.Integer),
    _text("title", 64),
    _text("title_en", 64),
    _text("topic", 24),
    _day("held_on"),
)

training_attendance = sa.Table(
    "training_attendance",
    metadata,
    sa.Column("training_id", sa.Integer, sa.ForeignKey("trainings.training_id"), primary_key=True),
    sa.Column("officer_id", sa.Integer, sa.ForeignKey("officers.officer_id"), primary_key=True),
    _branch_id(),
    _flag("attended"),
)

weekly_targets = sa.Table(
    "weekly_targets",
    metadata,
    _key("branch_id", sa.Integer),
    _day("week_start", primary_key=True),
    _kpi(primary_key=True),
    _real("target"),
)

loan_applications = sa.Table(
    "loan_applications",
    metadata,
    _key("application_id"),
    *_of_customer(officer=True),
    _day("applied_on"),
    _product(comment="loan_agri / loan_business / loan_consumer"),
    _real("amount"),
    _real("declared_income", nullable=True),
    _text("declared_business", 64, nullable=True),
    _text("declared_place", 64, nullable=True),
    _text("status", 12, comment="submitted / approved / rejected / disbursed"),
    _day("decided_on", nullable=True),
)

# --- the app's own records ---------------------------------------------------------------------

saved_segments = sa.Table(
    "saved_segments",
    metadata,
    _numbered("segment_id", "saved_segments_id_seq", sa.Integer),
    _text("name", 80),
    _text("owner", 64),
    _text("definition", comment="JSON"),
    _moment("created_at"),
    sa.UniqueConstraint("owner", "name", name="uq_saved_segments_owner_name"),
)

roles = sa.Table(
    "roles",
    metadata,
    _text("role", 24, primary_key=True),
    _text("label_zh", 32),
    _text("label_en", 32),
    _text("description"),
)

users = sa.Table(
    "users",
    metadata,
    _numbered("user_id", "users_id_seq", sa.Integer),
    _username(unique=True),
    _text("display_name", 64),
    sa.Column("role", sa.String(24), sa.ForeignKey("roles.role"), nullable=False),
    _branch_id(nullable=True),
    _officer_id(),
    _text("password_hash", 200, nullable=True, comment="argon2id; never clear"),
    _flag("active"),
    _moment("created_at"),
    _text("branch_ids", 400, nullable=True, comment="marketing: listed branches, '3,5'"),
    _text("oidc_subject", 200, nullable=True, comment="issuer's subject (sub)"),
)

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    _text("token_hash", 64, primary_key=True, comment="sha256 of the token"),
    _username(),
    _moment("created_at"),
    _moment("last_seen_at"),
    _moment("expires_at", comment="absolute end of the session"),
    _moment("ended_at", nullable=True, comment="signed out or revoked"),
)

export_approvals = sa.Table(
    "export_approvals",
    metadata,
    _numbered("approval_id", "export_approvals_id_seq", sa.Integer),
    _text("requested_by", 64),
    _moment("requested_at"),
    _text("target", 128, comment="which list, as the exporter names it"),
    _count("row_count"),
    _text("filters", nullable=True, comment="JSON"),
    _text("status", 12, comment="pending / approved / rejected / used"),
    _text("decided_by", 64, nullable=True),
    _moment("decided_at", nullable=True),
)

nbp_feedback = sa.Table(
    "nbp_feedback",
    metadata,
    _numbered("feedback_id", "nbp_feedback_id_seq"),
    _customer_id(),
    _branch_id(),
    _officer_id(comment="who answered"),
    _product(),
    _text("rule", 32, nullable=True, comment="the offer behind it; null: peers only"),
    _real("score", nullable=True),
    _text("decision", 8, comment="accept / dismiss"),
    _text("reason", 24),
    _text("note", nullable=True),
    _moment("decided_at"),
    comment="officers' answers to next-best-product suggestions; outcomes are read from holdings",
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _numbered("audit_id", "audit_log_id_seq"),
    _moment("occurred_at"),
    _username(),
    _text("action", 32, comment="data_access.audit.ACTIONS"),
    _text("target", 128, nullable=True),
    _text("detail", nullable=True),
    _count("row_count", nullable=True, comment="rows shown or exported"),
)
# Append-only in the database (PostgreSQL trigger): see data_access/audit_guard.py.
sa.event.listen(audit_log, "after_create", lambda _t, conn, **_k: audit_guard.install(conn))

import_batches = sa.Table(
    "import_batches",
    metadata,
    _numbered("batch_id", "import_batches_id_seq"),
    _moment("started_at"),
    _moment("finished_at"),
    _username(),
    _text("target_table", 40),
    _text("mapping", 64),
    _text("file_name", 256),
    _text("file_sha256", 64),
    _text("encoding", 16, comment="'' for Excel and Parquet"),
    *(_count(n) for n in ("rows_read", "inserted", "updated", "unchanged", "rejected")),
    comment="one row per committed import (python -m data_access import, the admin page)",
)

planted_anomalies = sa.Table(
    "planted_anomalies",
    metadata,
    _key("branch_id", sa.Integer),
    _day("week_start", primary_key=True, comment="Monday"),
    _kpi(primary_key=True),
    _text("direction", 5, comment="drop / spike"),
    _text("kind", 32, comment="what the generator did"),
    comment="demo bank only: the anomalies the generator planted, to score the weekly flags",
)

bank_meta = sa.Table(
    "bank_meta",
    metadata,
    _text("key", 32, primary_key=True),
    _text("value", 256),
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
    return (_key("customer_id"), _branch_id(), _officer_id())


def _cell_keys() -> tuple[sa.Column, ...]:
    """branch_id, officer_id and tier: the groups the activity marts count customers by."""
    return (_branch_id(), _officer_id(), _text("tier", 16, nullable=True))


# [value mart] — owned by the value/RFM/CLV work
customer_value = sa.Table(
    "customer_value",
    metadata,
    *_customer_keys(),
    _day("as_of"),
    _real("aum", comment="month-average AUM of the last full month"),
    _text("tier", 10, comment="after hysteresis"),
    _flag("effective"),
    _int("recency_days", nullable=True),
    _int("frequency_count"),
    _real("monetary_amount"),
    *(_int(score) for score in ("r_score", "f_score", "m_score")),
    _text("rfm_segment", 24),
    _real("p_alive", nullable=True),
    _real("expected_transactions", nullable=True, comment="over the CLV horizon"),
    _real("clv", nullable=True, comment="discounted, CNY"),
)

customer_tier_months = sa.Table(
    "customer_tier_months",
    metadata,
    _key("customer_id"),
    _day("month", primary_key=True),
    _branch_id(),
    _real("aum"),
    _text("tier", 10, comment="after hysteresis"),
)

# [signals mart] — owned by the customer-footprint work; one boolean per signal code in standards
customer_signals = sa.Table(
    "customer_signals",
    metadata,
    *_customer_keys(),
    *(_flag(code) for code in SIGNAL_CODES),
)

# [loyalty mart] — owned by the loyalty work
customer_loyalty = sa.Table(
    "customer_loyalty",
    metadata,
    *_customer_keys(),
    _day("as_of"),
    _real("loyalty", comment="0..100"),
    *(
        _real(code, comment="component, 0..1")
        for code in (
            "product_depth",
            "tenure",
            "primary_bank",
            "activity_trend",
            "outflow",
            "p_alive",
        )
    ),
    _flag("churn_risk"),
)

# [KPI mart] — owned by the weekly-KPI work: the customer KPIs per branch, officer and week
# (effective customers per month), so the president's page never scans footprints.
kpi_facts = sa.Table(
    "kpi_facts",
    metadata,
    _branch_id(),
    _officer_id(comment="officer credited (the customer's); null: none"),
    _kpi(comment="a KPI_CODES entry"),
    _day("period_start", comment="Monday; first of the month for effective_customers"),
    _real("value"),
)

sa.Index("ix_customer_value_branch", customer_value.c.branch_id, customer_value.c.officer_id)
sa.Index("ix_kpi_facts_kpi_period", kpi_facts.c.kpi, kpi_facts.c.period_start)
sa.Index("ix_tier_months_month", customer_tier_months.c.month, customer_tier_months.c.branch_id)

# [activity marts] — per-group counts of footprints and activities (data_access/marts/activity.py)
activity_week_cells = sa.Table(
    "activity_week_cells",
    metadata,
    *_cell_keys(),
    _day("week"),
    sa.Column("prev_gap", sa.SmallInteger, nullable=False),
    _flag("next_consecutive"),
    _count("customers"),
)
cohort_month_cells = sa.Table(
    "cohort_month_cells",
    metadata,
    *_cell_keys(),
    _day("cohort_month"),
    _day("month"),
    _count("active"),
    _count("last_active"),
)
customer_income_year = sa.Table(
    "customer_income_year",
    metadata,
    _customer_id(),
    _branch_id(),
    _real("observed_inflow"),
    _count("inflow_count"),
)
application_evidence = sa.Table(
    "application_evidence",
    metadata,
    sa.Column("application_id", sa.BigInteger, nullable=False),
    _real("observed_inflow", nullable=True),
    _count("inflow_count"),
    _count("place_seen"),
)
applicant_places = sa.Table(
    "applicant_places",
    metadata,
    _customer_id(),
    _text("place", 64),
    _count("n"),
)
officer_activity_weeks = sa.Table(
    "officer_activity_weeks",
    metadata,
    _officer_id(),
    _branch_id(),
    _day("week_start"),
    _text("kind", 24),
    _count("n"),
)
sa.Index("ix_activity_week_cells_week", activity_week_cells.c.week)
sa.Index("ix_cohort_month_cells_cohort", cohort_month_cells.c.cohort_month)
sa.Index("ix_customer_income_year_customer", customer_income_year.c.customer_id)
sa.Index("ix_application_evidence_application", application_evidence.c.application_id)
sa.Index("ix_applicant_places_customer", applicant_places.c.customer_id)
sa.Index("ix_officer_activity_weeks_week", officer_activity_weeks.c.week_start)
