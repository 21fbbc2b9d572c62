"""The seven footprint signals in the rules file's order, written out by hand so that the query and
recommendation tests pin the list rather than read it from the code under test."""

CODES = (
    "car_owner",
    "merchant",
    "migrant_family",
    "pensioner",
    "outflow_risk",
    "internet_credit",
    "family_event",
)
