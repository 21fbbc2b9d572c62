"""Refresher of the value mart (registers itself with data_access.refresh)."""
