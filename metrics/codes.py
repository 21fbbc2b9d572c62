"""The code lists the bank does not decide, each defined once: schema, queries, metrics, demo and
pages derive from here (the bank's own decisions — tiers, RFM segments, funnel stages, loyalty and
engagement components, signals — are in standards.toml and rules.toml).

Codes are short strings, readable in any SQL console; their zh/en labels are in
dashboard/locales/ under the prefixes of ``LABEL_PREFIXES`` (tests/test_codes.py fails when a code
lacks a label in either language, or when two places label or list the same code differently).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

PRODUCTS = (
    "demand_deposit",
    "time_deposit",
    "wealth",
    "loan_agri",
    "loan_business",
    "loan_consumer",
    "credit_card",
    "mobile_banking",
    "internet_banking",
    "pos_merchant",
    "precious_metals",
    "insurance",
    "social_security_card",
)
FOOTPRINT_KINDS = (
    "deposit",
    "withdrawal",
    "transfer_in",
    "transfer_out",
    "payment",
    "loan_draw",
    "loan_repayment",
    "salary",
    "pension",
    "subsidy",
    "remittance_in",
    "bill_payment",
    "interest",
)
CHANNELS = ("counter", "atm", "mobile", "internet", "pos", "agent")
COUNTERPARTY_TYPES = (
    "own_bank",
    "other_bank",
    "internet_platform",
    "merchant",
    "employer",
    "government",
    "individual",
    "none",
)
SOFT_KINDS = (
    "fuel_receipt",
    "vehicle",
    "business_circle",
    "friend_circle",
    "family_event",
    "frequent_place",
    "interest",
)
# who told us: staff at the counter, on a visit, on a call, or the customer in their own words
SOFT_SOURCES = ("counter", "visit", "call", "customer")
PLATFORMS = ("huabei", "jiebei", "jd_baitiao", "weilidai")
ACTIVITY_KINDS = ("visit", "call", "counter_service", "follow_up")
OCCUPATIONS = (
    "farmer",
    "merchant",
    "migrant_worker",
    "civil_servant",
    "teacher",
    "retiree",
    "student",
)
# An officer's answer to a next-best-product suggestion, and the reasons each answer may give.
FEEDBACK_DECISIONS = ("accept", "dismiss")
FEEDBACK_REASONS: dict[str, tuple[str, ...]] = {
    "accept": ("will_call", "customer_interested", "good_timing"),
    "dismiss": (
        "holds_elsewhere",
        "not_suitable",
        "not_interested",
        "data_wrong",
        "asked_recently",
    ),
}
FEEDBACK_REASON_CODES = tuple(r for d in FEEDBACK_DECISIONS for r in FEEDBACK_REASONS[d])
EDUCATION = ("primary", "junior_middle", "senior_middle", "vocational", "college", "bachelor")
MARITAL = ("single", "married", "divorced", "widowed")
OFFICER_ROLES = ("customer_manager", "credit_officer", "teller")
# Profile fields a standard may count: the customer columns the customer page shows and labels.
PROFILE_FIELDS = (
    "gender",
    "birth_year",
    "occupation",
    "town",
    "village",
    "declared_income",
    "education",
    "marital_status",
    "household_size",
    "phone",
    "id_number",
)
# The order the demo writes marketing events in; a bank's funnel is its standard's funnel.stages.
FUNNEL_STAGES = ("targeted", "contacted", "interested", "applied", "converted")


class Kpi(NamedTuple):
    """One weekly KPI card: what it is and how it is read (labels: locales kpis.kpi_<code>)."""

    code: str
    stock: bool  # a level at the week's end (else a flow summed over the week)
    money: bool  # CNY (else a count of customers or products)
    source: Literal["ledger", "mart_weekly", "mart_monthly"]  # where queries/kpis.py reads it
    stem: str  # reason codes "<stem>_drop" / "<stem>_spike"
    lower_is_better: bool = False  # the target is a ceiling


# In the order of the cards on the page and in the report.
KPIS = (
    Kpi("deposit_balance", stock=True, money=True, source="ledger", stem="deposit"),
    Kpi("loan_balance", stock=True, money=True, source="ledger", stem="loan"),
    Kpi("aum", stock=True, money=True, source="ledger", stem="aum"),
    Kpi("new_customers", stock=False, money=False, source="mart_weekly", stem="new_customers"),
    Kpi("effective_customers", True, False, "mart_monthly", "effective_customers"),
    Kpi("mobile_signups", stock=False, money=False, source="mart_weekly", stem="mobile_signups"),
    Kpi("conversions", stock=False, money=False, source="mart_weekly", stem="conversions"),
    Kpi(
        "outflow_other_banks",
        stock=False,
        money=True,
        source="mart_weekly",
        stem="outflow",
        lower_is_better=True,  # outflows to other banks and platforms: less is better
    ),
)
KPI_CODES = tuple(k.code for k in KPIS)

# What the audit log records (data_access.audit.record refuses any other action).
AUDIT_ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_in_throttled",
    "sign_out",
    "session_expired",
    "page_view",
    "page_refused",
    "customer_open",
    "customer_search",
    "unmask",
    "export",
    "export_request",
    "export_decision",
    "save_segment",
    "replace_segment",
    "delete_segment",
    "record_soft_footprint",
    "withdraw_soft",
    "correct_soft",
    "profile_fix",
    "nbp_feedback",
    "user_change",
    "audit_prune",
)

# Where the dashboard's labels of each list live: "<locale area>.<prefix><code>".
LABEL_PREFIXES: dict[str, tuple[str, ...]] = {
    "PRODUCTS": ("codes.product_",),
    "FOOTPRINT_KINDS": ("customer.kind_",),
    "CHANNELS": ("customer.channel_",),
    "COUNTERPARTY_TYPES": ("customer.cp_",),
    "SOFT_KINDS": ("customer.soft_",),
    "SOFT_SOURCES": ("customer.src_",),
    "PLATFORMS": ("customer.platform_",),
    "ACTIVITY_KINDS": ("officers.kind_",),
    "OCCUPATIONS": ("codes.occ_",),
    "EDUCATION": ("customer.edu_",),
    "MARITAL": ("customer.marital_",),
    "KPI_CODES": ("kpis.kpi_", "kpis.help_"),
    "FEEDBACK_DECISIONS": ("customer.fb_",),
    "FEEDBACK_REASON_CODES": ("customer.fb_reason_",),
    "AUDIT_ACTIONS": ("audit.action_",),
}
