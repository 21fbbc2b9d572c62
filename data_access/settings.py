"""Settings: each has a name, a default and a help text; secrets only in the environment or secrets.toml."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("FOOTPRINT_DATA_DIR", PROJECT_ROOT / "data"))
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Setting:
    """One configurable value of the product."""

    env: str
    default: str
    help: str


SETTINGS: dict[str, Setting] = {
    "database_url": Setting(
        "FOOTPRINT_DATABASE_URL",
        "",
        "SQLAlchemy URL of the bank's database (duckdb:///…, postgresql+psycopg://…, hive://…). "
        "Empty: the embedded DuckDB file data/footprint.duckdb, created with a demo bank.",
    ),
    "spark_staging_dir": Setting(
        "FOOTPRINT_SPARK_STAGING",
        "",
        "Spark (hive://) only: folder where loads and mart refreshes stage Parquet files for Spark "
        "to copy; the Spark cluster must read the same path. Empty: data/spark-staging.",
    ),
    "standards_file": Setting(
        "FOOTPRINT_STANDARDS",
        "",
        "TOML file with the bank's value / loyalty standard; empty: metrics/standards.toml.",
    ),
    "demo_customers": Setting(
        "FOOTPRINT_DEMO_CUSTOMERS",
        "20000",
        "Number of customers in the demo bank created on first start.",
    ),
    "demo_seed": Setting("FOOTPRINT_DEMO_SEED", "7", "Seed of the demo bank generator."),
    "demo_end_date": Setting(
        "FOOTPRINT_DEMO_END_DATE",
        "2026-11-22",
        "Last day of the demo bank's two-year history (a Sunday: the last full week).",
    ),
}


def _secrets() -> dict[str, object]:
    """The [footprint] section of .streamlit/secrets.toml, if the file exists."""
    if not SECRETS_FILE.exists():
        return {}
    with SECRETS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    section = data.get("footprint", {})
    return section if isinstance(section, dict) else {}


def get_setting(name: str) -> str:
    """Value of a setting: environment first, then secrets.toml [footprint], then the default."""
    setting = SETTINGS[name]
    if setting.env in os.environ:
        return os.environ[setting.env]
    value = _secrets().get(name)
    return str(value) if value is not None else setting.default


def default_duckdb_path() -> Path:
    """Where the embedded demo database lives."""
    return DATA_DIR / "footprint.duckdb"


def database_url() -> str:
    """The configured database URL, or the embedded DuckDB file."""
    return get_setting("database_url") or f"duckdb:///{default_duckdb_path()}"
