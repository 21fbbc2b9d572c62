"""Refresher of the loyalty mart (registers itself with data_access.refresh)."""
