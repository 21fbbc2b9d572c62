"""The rejects file: every refused row as the bank wrote it, with every reason, in the user's language.

UTF-8 with a BOM (so that Excel shows the Chinese), three columns: line number, reasons, the
original line. A cell that a spreadsheet would run as a formula gets a leading apostrophe.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import polars as pl

from data_access.importing.messages import REJECT_HEADERS
from data_access.importing.readers import BadLine


def original_line(columns: list[str], delimiter: str) -> pl.Expr:
    """The raw fields joined back into a CSV line (quoted where they need it)."""
    special = f'["\r\n{delimiter}]' if delimiter not in "\\^$.|?*+()[]{}" else '["\r\n]'
    fields = [
        pl.when(pl.col(c).str.contains(special))
        .then(pl.concat_str([pl.lit('"'), pl.col(c).str.replace_all('"', '""'), pl.lit('"')]))
        .otherwise(pl.col(c))
        .fill_null("")
        for c in columns
    ]
    return pl.concat_str(fields, separator=delimiter)


def _defuse(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + expr).otherwise(expr)


class RejectsWriter:
    """Appends rejected rows to a file as they are found (or only counts them without a path)."""

    def __init__(self, path: Path | None, lang: str) -> None:
        self.path = path
        self.count = 0
        self._fh: IO[bytes] | None = None
        self._lang = "zh" if lang.startswith("zh") else "en"

    def _open(self) -> IO[bytes]:
        if self._fh is None:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("wb")
            header = ",".join(
                [
                    REJECT_HEADERS["line"][self._lang],
                    REJECT_HEADERS["reasons"][self._lang],
                    "原始行" if self._lang == "zh" else "original line",
                ]
            )
            self._fh.write(("\ufeff" + header + "\n").encode("utf-8"))
        return self._fh

    def write(self, frame: pl.DataFrame) -> None:
        """Append rows with columns line, reasons, original."""
        if frame.height == 0:
            return
        self.count += frame.height
        if self.path is None:
            return
        out = frame.select(
            pl.col("line"),
            _defuse(pl.col("reasons")).alias("reasons"),
            _defuse(pl.col("original")).alias("original"),
        )
        out.write_csv(self._open(), include_header=False)

    def write_bad_lines(self, bad: list[BadLine], reasons: list[str]) -> None:
        """Append lines the parser could not split."""
        if not bad:
            return
        self.write(
            pl.DataFrame(
                {
                    "line": [b.line for b in bad],
                    "reasons": reasons,
                    "original": [b.text for b in bad],
                },
                schema={"line": pl.Int64, "reasons": pl.String, "original": pl.String},
            )
        )

    def close(self) -> None:
        """Finish the file (an empty rejects file still gets its header)."""
        if self.path is not None:
            self._open()
        if self._fh is not None:
            self._fh.close()
            self._fh = None
