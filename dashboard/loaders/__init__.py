"""Cached loaders: the boundary between pages and the data-access layer (one module per area).

Loaders take only hashable arguments (frozen dataclasses, tuples, dates), open a connection from
the cached engine, call ``fetch_*`` / metrics functions, and return frames that callers never mutate.
"""
