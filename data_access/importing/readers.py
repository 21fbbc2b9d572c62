"""Read a source file in chunks of raw text columns: CSV (UTF-8 ± BOM, GBK, GB18030), XLSX, Parquet.

Every chunk is a polars frame whose columns are the file's headers and whose values are the text
as written (Parquet and Excel values are turned into the same text), plus each row's line
number in the file, so a rejected row can be shown as the bank wrote it. A file is never read
whole: CSV goes through pyarrow's streaming reader (it transcodes GBK/GB18030 block by block),
Parquet by row groups, Excel row by row.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from data_access.errors import InvalidImport

SAMPLE_BYTES = 1 << 20
CSV_BLOCK = 8 << 20  # bytes per CSV block (a chunk is one block's rows)
ROWS_PER_CHUNK = 200_000  # Parquet and Excel
_CODEC = {"utf-8": "utf8", "utf-8-sig": "utf8", "gbk": "gb18030", "gb2312": "gb18030"}


@dataclass
class BadLine:
    """A line the CSV parser could not split into the header's fields."""

    line: int
    text: str
    expected: int
    actual: int


@dataclass
class Chunk:
    """Raw rows (text as written) with their line numbers in the file."""

    frame: pl.DataFrame
    lines: np.ndarray
    bad_lines: list[BadLine] = field(default_factory=list)
    bytes_read: int = 0


def file_kind(path: Path) -> str:
    """'csv', 'xlsx' or 'parquet' from the file name."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-8' or 'gb18030' from the first megabyte.

    UTF-8 is tried first because it almost never decodes text that is not UTF-8; GB18030 (a
    superset of GBK and GB2312) next. A general detector guessed Korean for short GBK files.
    """
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if len(sample) == SAMPLE_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # do not judge a character cut in half
    for enc in ("utf-8", "gb18030"):
        try:
            sample.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    raise InvalidImport(
        f"{path.name}: the text is neither UTF-8 nor GBK/GB18030; save it as one of those "
        "(or give --encoding)"
    )


def _header(path: Path, encoding: str, delimiter: str) -> list[str]:
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if not head.strip():
        raise InvalidImport(f"{path.name}: the file is empty (not even a header line)")
    first = head.split(b"\n", 1)[0]
    try:
        text = first.decode("utf-8-sig" if encoding.startswith("utf") else encoding)
    except UnicodeDecodeError as exc:
        guess = _guess(path, encoding)
        raise InvalidImport(f"{path.name}: the header line is not {encoding}{guess}") from exc
    return [h.strip() for h in next(csv.reader([text.rstrip("\r")], delimiter=delimiter))]


def _guess(path: Path, claimed: str) -> str:
    try:
        found = detect_encoding(path)
    except InvalidImport:
        return ""
    if _CODEC.get(found, found) == _CODEC.get(claimed, claimed):
        return ""
    return f"; it looks like {found} — rerun with --encoding {found}"


def read_csv(
    path: Path, encoding: str, delimiter: str = ",", block_size: int = CSV_BLOCK
) -> tuple[list[str], Iterator[Chunk]]:
    """The header and an iterator of chunks of a CSV file in ``encoding``."""
    header = _header(path, encoding, delimiter)
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise InvalidImport(f"{path.name}: the header repeats columns {dupes}")
    return header, _csv_chunks(path, header, encoding, delimiter, block_size)


def _csv_chunks(
    path: Path, header: list[str], encoding: str, delimiter: str, block_size: int
) -> Iterator[Chunk]:
    bad: list[BadLine] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(BadLine(row.number or 0, row.text, row.expected_columns, row.actual_columns))
        return "skip"

    codec = _CODEC.get(encoding, encoding)
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=codec, block_size=block_size, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            memory_pool=_memory_pool(),
        )
    except pa.ArrowInvalid as exc:
        raise _decode_error(path, encoding, exc) from exc
    except StopIteration:  # pragma: no cover - pyarrow raises ArrowInvalid for no data
        return
    except UnicodeDecodeError as exc:
        raise _decode_error(path, encoding, exc) from exc
    next_line = 2
    views = pa.schema([(h, pa.string_view()) for h in reader.schema.names])
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise _decode_error(path, encoding, exc) from exc
        taken, bad[:] = list(bad), []
        lines = _line_numbers(next_line, batch.num_rows, sorted(b.line for b in taken))
        if batch.num_rows:
            next_line = int(lines[-1]) + 1
        # polars keeps text as string views: cast by pyarrow, polars takes them without a copy
        # (half the CPU time of polars converting pyarrow's strings itself)
        frame = pl.from_arrow(batch.cast(views))
        assert isinstance(frame, pl.DataFrame)
        yield Chunk(frame, lines, taken, batch.nbytes)
    if bad:
        yield Chunk(
            pl.DataFrame(schema=dict.fromkeys(header, pl.String)), np.empty(0, np.int64), bad
        )


def _memory_pool() -> pa.MemoryPool:
    """jemalloc where pyarrow has it: it keeps the pages one block freed for the next block, where
    the default pool (mimalloc) gives them back and the kernel zeroes new ones, block after block
    (about a twentieth of an import's CPU time)."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without it
        return pa.default_memory_pool()


def _line_numbers(first: int, n: int, skipped: list[int]) -> np.ndarray:
    """Line numbers of ``n`` parsed rows starting at ``first``, stepping over skipped lines."""
    lines = np.arange(first, first + n, dtype=np.int64)
    for s in skipped:  # few: only lines with the wrong number of fields
        lines[lines >= s] += 1
    return lines


def _decode_error(path: Path, encoding: str, exc: Exception) -> InvalidImport:
    text = str(exc).splitlines()[0]
    if isinstance(exc, UnicodeDecodeError) or "UTF8" in text or "utf-8" in text.lower():
        return InvalidImport(
            f"{path.name}: the file is not valid {encoding}{_guess(path, encoding)}"
        )
    if "Empty CSV file" in text:
        return InvalidImport(f"{path.name}: the file is empty (not even a header line)")
    return InvalidImport(f"{path.name}: cannot read it as CSV: {text}")


def read_parquet(path: Path) -> tuple[list[str], Iterator[Chunk]]:
    """The columns and an iterator of chunks of a Parquet file (by batches of rows)."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidImport(f"{path.name}: not a Parquet file: {exc}") from exc
    header = list(pf.schema_arrow.names)

    def chunks() -> Iterator[Chunk]:
        line = 2
        for batch in pf.iter_batches(batch_size=ROWS_PER_CHUNK):
            frame = pl.from_arrow(pa.Table.from_batches([batch]))
            assert isinstance(frame, pl.DataFrame)
            frame = frame.select(_as_text(pl.col(c), frame.schema[c]).alias(c) for c in header)
            yield Chunk(frame, np.arange(line, line + frame.height, dtype=np.int64))
            line += frame.height

    return header, chunks()


def _as_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        return expr.dt.strftime("%Y-%m-%d %H:%M:%S")
    if dtype == pl.Date:
        return expr.dt.strftime("%Y-%m-%d")
    return expr.cast(pl.String)


def read_xlsx(path: Path, sheet: int | str = 0) -> tuple[list[str], Iterator[Chunk]]:
    """The header and an iterator of chunks of an Excel sheet (calamine, row by row)."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        ws = (
            book.get_sheet_by_index(sheet)
            if isinstance(sheet, int)
            else book.get_sheet_by_name(sheet)
        )
    except Exception as exc:  # calamine raises its own error classes for every kind of bad file
        raise InvalidImport(f"{path.name}: not a readable Excel workbook: {exc}") from exc
    rows = ws.iter_rows()
    first = next(rows, None)
    if first is None:
        raise InvalidImport(f"{path.name}: the sheet is empty (not even a header line)")
    header = [_cell(v).strip() for v in first]
    while header and not header[-1]:
        header.pop()

    def chunks() -> Iterator[Chunk]:
        buf: list[list[str]] = []
        line = 2
        for row in rows:
            cells = [_cell(v) for v in row[: len(header)]]
            buf.append(cells + [""] * (len(header) - len(cells)))
            if len(buf) == ROWS_PER_CHUNK:
                yield _xlsx_chunk(header, buf, line)
                line += len(buf)
                buf = []
        if buf:
            yield _xlsx_chunk(header, buf, line)

    return header, chunks()


def _xlsx_chunk(header: list[str], rows: list[list[str]], line: int) -> Chunk:
    frame = pl.DataFrame(rows, schema=dict.fromkeys(header, pl.String), orient="row")
    return Chunk(frame, np.arange(line, line + len(rows), dtype=np.int64))


def _cell(value: object) -> str:
    """An Excel cell as the text a CSV export would hold (whole numbers without '.0')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def open_source(
    path: Path, encoding: str = "auto", delimiter: str = ","
) -> tuple[list[str], Iterator[Chunk], str]:
    """Header, chunks and the encoding used ('' for binary formats) for any supported file."""
    if not path.is_file():
        raise InvalidImport(f"no such file: {path}")
    kind = file_kind(path)
    if kind == "xlsx":
        header, chunks = read_xlsx(path)
        return header, chunks, ""
    if kind == "parquet":
        header, chunks = read_parquet(path)
        return header, chunks, ""
    if path.stat().st_size == 0:
        raise InvalidImport(f"{path.name}: the file is empty (not even a header line)")
    enc = detect_encoding(path) if encoding == "auto" else encoding
    header, chunks = read_csv(path, enc, delimiter)
    return header, chunks, enc
