"""Scopes the query tests read with."""

from __future__ import annotations

from data_access.filters import Scope
from data_access.masking import KINDS

CLEAR = Scope.bank(reveal=KINDS)  # the raw values: query tests check the query, not masking
