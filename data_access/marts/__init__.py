"""Mart refreshers, imported in dependency order (value before loyalty)."""
