"""Cached loader of the suggestion-outcomes page: officers' answers with their outcome."""

from __future__ import annotations

from dashboard.loaders.common import cached_fetch
from data_access.queries.feedback import fetch_feedback_outcomes

TTL = 300


load_feedback_outcomes = cached_fetch(fetch_feedback_outcomes, module=__name__, ttl=TTL)
