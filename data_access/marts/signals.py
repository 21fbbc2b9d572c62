"""Refresher of the signals mart (registers itself with data_access.refresh)."""
