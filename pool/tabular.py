"""Reading entity tables from CSV files or `.xlsx` sheets with Chinese headers.

Frames in *field space* use the English field names of `pool.formats` and code values
(`True`, `"leader"`, `datetime.date`); files in *display space* use Chinese headers and
labels (`是`, `组长`, `2021-03-05`). `pool.display.render` goes from fields to display (and
writes files; re-exported here); the importer parses display back to fields.
"""

from __future__ import annotations

import mmap
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pool.display import (  # noqa: F401 (the writers, re-exported for callers)
    CSV_ENCODING,
    FALSE_LABEL,
    TRUE_LABEL,
    XLSX_MAX_ROWS,
    render,
    table_bytes,
    write_tables,
)
from pool.file_bounds import long_line, oversized_workbook
from pool.formats import ENTITIES, Entity, entity_for_label
from pool.formulas import uncomputed_formulas
from pool.text_encoding import CODECS, UTF8, UnknownEncoding, detect_encoding, reading_note
from pool.validation import clip

Stage = Callable[[str, str], None]  # (table or sheet, what is being done)


class TableReadError(ValueError):
    """A file or sheet that cannot be read as a table; the message says what to do."""

    def __init__(self, file: str, sheet: str | None, zh: str, en: str, *,
                 row: int | None = None, column: str | None = None, value: str = "") -> None:
        self.file, self.sheet, self.zh, self.en = file, sheet, zh, en
        self.row, self.column, self.value = row, column, value  # a cell's place, if any
        super().__init__(f"{file}: {zh} / {en}")


class SourceTable:
    """One entity's rows in a file or sheet, all cells as strings ('' when empty).

    The rows are read on first use and can be released, so that a directory of large
    CSV files is held in memory one file at a time.
    """

    def __init__(self, entity: Entity, file: str, sheet: str | None,
                 load: Callable[[], pd.DataFrame]) -> None:
        self.entity, self.file, self.sheet = entity, file, sheet
        self._load: Callable[[], pd.DataFrame] | None = load
        self._frame: pd.DataFrame | None = None
        self.encoding: str | None = None  # a CSV file's, once read (`pool.text_encoding`)
        self.quoted = False  # a CSV file: formula-like cells carry an apostrophe

    @classmethod
    def of(cls, entity: Entity, frame: pd.DataFrame, file: str,
           sheet: str | None = None) -> SourceTable:
        return cls(entity, file, sheet, lambda: _clean(frame))

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            if self._load is None:
                raise RuntimeError(f"{self.location()} was already released")
            self._frame = self._load()
            self.encoding = self._frame.attrs.get("encoding")
        return self._frame

    def release(self) -> None:
        self._frame, self._load = None, None

    def location(self) -> str:
        return f"{self.file}[{self.sheet}]" if self.sheet else self.file


def _leading_blank_lines(file: Path) -> int:
    count = 0
    with file.open("rb") as fh:
        for line in fh:
            if line.strip(b"\r\n\t ,\xef\xbb\xbf"):
                return count
            count += 1
    return 0  # nothing but blank lines: reported as an empty file


def _read_csv(file: Path) -> pd.DataFrame:
    """In the encoding `pool.text_encoding` finds: UTF-8 (with or without BOM) or GB18030.

    The multi-threaded Arrow reader takes well-formed UTF-8; anything else goes to
    pandas' own reader, whose errors say where the file is broken.
    """
    if (too_long := long_line(file)) is not None:
        raise TableReadError(file.name, None, *too_long)
    try:
        encoding = detect_encoding(file)
    except UnknownEncoding as unknown:
        raise TableReadError(file.name, None, unknown.zh, unknown.en) from None
    note_zh, note_en = reading_note(encoding)
    leading = _leading_blank_lines(file)  # the header is the first non-blank line
    if encoding == UTF8 and not leading and file.stat().st_size > 0 \
            and not _has_blank_lines(file):
        try:
            frame = pd.read_csv(file, dtype=str, keep_default_na=False,
                                encoding=CSV_ENCODING, engine="pyarrow")
            frame.attrs["encoding"] = encoding
            return _clean(frame)
        except Exception:  # any Arrow failure: retry with the exact reader
            pass
    codec = CODECS[encoding]
    try:
        # Blank lines are kept as rows (dropped later) so row numbers stay true;
        # index_col=False stops a trailing comma from turning column 1 into labels.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding=codec,
                                skiprows=leading, skip_blank_lines=False, index_col=False)
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            _refuse_values_beyond_header(file, codec, len(frame.columns), leading)
        frame.attrs["first_data_row"] = leading + 2  # skipped lines still count
        frame.attrs["encoding"] = encoding
        return _clean(frame)
    except UnicodeDecodeError:
        raise TableReadError(
            file.name, None, f"文件中有不能按 {encoding} 解码的内容，请另存为 UTF-8 CSV",
            f"part of the file cannot be decoded as {encoding}; save the file as UTF-8 "
            "CSV") from None
    except pd.errors.EmptyDataError:
        raise TableReadError(file.name, None, "文件为空，至少需要一行表头",
                             "the file is empty; it needs at least a header row") from None
    except pd.errors.ParserError as exc:
        detail = clip(str(exc).strip(), 300)
        raise TableReadError(file.name, None, f"CSV 格式错误：{detail}{note_zh}",
                             f"malformed CSV: {detail}{note_en}") from None


def _refuse_values_beyond_header(file: Path, encoding: str, width: int, leading: int) -> None:
    """pandas drops the cells past the last header; an empty one (a trailing comma) is
    harmless, a value is not: say on which line it is."""
    cells = pd.read_csv(file, dtype=str, keep_default_na=False, encoding=encoding,
                        header=None, skiprows=leading + 1, skip_blank_lines=False)
    extra = cells.iloc[:, width:]
    filled = (extra != "").any(axis=1).to_numpy()
    if filled.any():
        line = int(filled.argmax()) + leading + 2
        raise TableReadError(
            file.name, None, f"第{line}行的值比列名多，请删除多余的值或为它补上列名",
            f"row {line} has more values than there are headers; delete the extra values "
            "or give them a header")


def _has_blank_lines(file: Path) -> bool:
    with file.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b"\n\n") >= 0 or data.find(b"\n\r\n") >= 0


XLSX_READER = "calamine"  # the Rust reader: ~10× openpyxl (the bench's baseline) on imports


def _read_workbook(file: Path, stage: Stage | None) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook as strings, one sheet at a time (`stage` is told which)."""
    sheets: dict[str, pd.DataFrame] = {}
    with pd.ExcelFile(file, engine=XLSX_READER) as book:
        for name in book.sheet_names:
            if stage is not None:
                entity = entity_for_label(str(name))
                stage(entity.name if entity else str(name), "读取 reading")
            sheets[str(name)] = pd.read_excel(book, sheet_name=name, dtype=str,
                                              keep_default_na=False)
    return sheets


def read_tables(path: Path, stage: Stage | None = None
                ) -> tuple[list[SourceTable], list[TableReadError]]:
    """Find the tables in a `.csv` file, a directory of them, or an `.xlsx` workbook.

    A file or sheet is matched to an entity by its name (`persons.csv`, `人员.csv`, sheet
    `人员`). Unreadable files and unknown names come back as problems, not exceptions;
    empty sheets (such as Excel's default `Sheet1`) are ignored. `stage(table, doing)`
    is told which sheet of a workbook is being read (the slow part of reading one).
    """
    files = sorted(p for p in path.iterdir() if not p.name.startswith(".") and p.is_file()) \
        if path.is_dir() else [path]
    tables: list[SourceTable] = []
    problems: list[TableReadError] = []
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".xlsx":
            if (too_big := oversized_workbook(file)) is not None:
                problems.append(TableReadError(file.name, None, *too_big))
                continue
            try:
                sheets = _read_workbook(file, stage)
            except Exception as exc:  # the reader raises many kinds for a damaged file
                detail = clip(str(exc), 300)
                problems.append(TableReadError(file.name, None, f"无法读取工作簿：{detail}",
                                               f"cannot read the workbook: {detail}"))
                continue
            uncomputed = uncomputed_formulas(file)
            for sheet, frame in sheets.items():
                if frame.empty and len(frame.columns) == 0:
                    continue
                entity = _entity_of(str(sheet), file.name, str(sheet), problems)
                if entity is not None:
                    problems += [TableReadError(file.name, str(sheet), c.zh, c.en, row=c.row,
                                                column=c.header(frame.columns), value=c.formula)
                                 for c in uncomputed.get(str(sheet), [])]
                    tables.append(SourceTable.of(entity, frame, file.name, str(sheet)))
        elif suffix == ".csv":
            entity = _entity_of(file.stem, file.name, None, problems)
            if entity is not None:
                tables.append(SourceTable(entity, file.name, None,
                                          lambda f=file: _read_csv(f)))  # type: ignore[misc]
                tables[-1].quoted = True
        elif path.is_dir() and suffix in (".md", ".txt", ""):
            continue  # notes beside the data files
        else:
            problems.append(TableReadError(
                file.name, None, "不支持的文件类型，请使用 .csv 或 .xlsx",
                "unsupported file type; use .csv or .xlsx"))
    order = {e.name: i for i, e in enumerate(ENTITIES)}
    tables.sort(key=lambda t: order[t.entity.name])
    return tables, problems


def _entity_of(label: str, file: str, sheet: str | None,
               problems: list[TableReadError]) -> Entity | None:
    entity = entity_for_label(label)
    if entity is None:
        valid_zh = "、".join(f"{e.zh}({e.name})" for e in ENTITIES)
        problems.append(TableReadError(
            file, sheet, f"无法识别的表名“{clip(label)}”，可用的表名：{valid_zh}",
            f"unknown table name '{clip(label)}'; valid names: "
            + ", ".join(e.name for e in ENTITIES)))
    return entity


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    names: list[str] = []
    for column in frame.columns:  # headers equal after trimming: mark the repeats as pandas
        name = str(column).strip()  # does ("名称.1"), so they are reported as repeated
        names.append(name if name not in names else f"{name}.{names.count(name)}")
    frame.columns = names
    for name in frame.columns[[not isinstance(t, pd.StringDtype) for t in frame.dtypes]]:
        frame[name] = frame[name].astype(str)  # (already-string columns are not copied)
    return frame
