"""One sentence per problem a validated form reports: ``customer.err_<code>`` in the reader's
language with the problem's numbers, else a plain 'is not valid'."""

from __future__ import annotations

from dashboard.i18n import catalog, t
from data_access.soft_entry import Problem


def problem_text(problem: Problem, field_label: str) -> str:
    """'<field>: <sentence>' for one problem."""
    key = f"customer.err_{problem.code}"
    if key in catalog():
        try:
            return f"{field_label}: {t(key, **problem.params)}"
        except (KeyError, IndexError):  # a sentence that needs a number the problem lacks
            pass
    invalid = t("customer.err_invalid")
    return f"{field_label}: {invalid}"
