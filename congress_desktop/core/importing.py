"""The one import pipeline every importer uses: read → normalise each row → collect every row's errors →
write all or nothing → an error report the user can fix and import again.

    def normalise(row: SheetRow) -> DeputyData:       # pure: raise RowProblem / FieldErrors for a bad row
        ...
    def write(s: Session, number: int, data) -> None: # in the one unit of work; may raise RowProblem/Exists
        ...
    return run_import(ctx, sheet, normalise, write, ImportSpec(labels=FIELD_LABELS), progress=progress, cancel=cancel)

Any error leaves the database as it was (the unit of work rolls back) and every bad row is listed, the
rows that could not even be read and those the database refused (a duplicate) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.errors import CongressError, Exists, FieldErrors, InvalidInput
from congress_desktop.core.sheets import RowError, Sheet, SheetRow, write_error_report

if TYPE_CHECKING:
    from congress_desktop.core.context import Context

T = TypeVar("T")
FLUSH_EVERY = 200


class RowProblem(Exception):
    """One row is bad: ``problems`` are (column label, message) pairs; '' as the label means the row."""

    def __init__(self, *problems: tuple[str, str]):
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems

    @classmethod
    def of(cls, field: str, message: str) -> RowProblem:
        return cls((field, message))


@dataclass(frozen=True)
class ImportResult:
    applied: int
    errors: tuple[RowError, ...]
    total_rows: int
    sheet: Sheet | None = None
    skipped: int = 0  # rows left as they were on purpose (already there, unchanged)

    @property
    def ok(self) -> bool:
        return not self.errors

    def save_errors(self, path: str | Path) -> None:
        """The original rows with a 错误原因 column first (see core.sheets.write_error_report)."""
        if self.sheet is None:
            raise CongressError("没有可保存的错误报告")
        write_error_report(path, self.sheet, self.errors)


@dataclass(frozen=True)
class ImportSpec:
    """What differs between importers besides their two steps."""

    labels: Mapping[str, str] = field(default_factory=dict)  # field key -> the column's Chinese name
    empty_text: str = "表格中没有数据（表头下面是空的）"
    after: Callable[[Session], Iterable[RowError]] | None = None  # whole-import check before the commit


class _Rejected(Exception):
    """Rolls the unit of work back when any row is bad."""


def row_errors(number: int, exc: BaseException, labels: Mapping[str, str]) -> list[RowError]:
    """The RowErrors an exception raised for row ``number`` stands for (None when it is not a row fault)."""
    if isinstance(exc, RowProblem):
        return [RowError(number, f, m) for f, m in exc.problems]
    if isinstance(exc, FieldErrors):
        return [RowError(number, labels.get(k, k), m) for k, m in exc.errors.items()]
    if isinstance(exc, (Exists, InvalidInput)):
        field = getattr(exc, "field", None) or ""
        return [RowError(number, labels.get(field, field), exc.message)]
    raise exc


def run_import(ctx: Context, sheet: Sheet, normalise: Callable[[SheetRow], T | None],
               write: Callable[[Session, int, T], Any], spec: ImportSpec = ImportSpec(), *,
               progress: Progress = no_progress, cancel: Cancel = never_cancel) -> ImportResult:
    """Import ``sheet`` whole or not at all (see the module docstring).

    ``normalise`` returns None for a row to skip silently; ``write`` returns False when the row was left
    as it was (counted as skipped). ``spec.after(s)`` may check the whole import before it is committed
    and return file-level errors (row 0)."""
    labels, after = spec.labels, spec.after
    total = len(sheet.rows)
    if total == 0:
        raise InvalidInput(spec.empty_text)
    errors: list[RowError] = []
    good: list[tuple[int, T]] = []
    for i, row in enumerate(sheet.rows):
        check_cancel(cancel)
        try:
            data = normalise(row)
        except (RowProblem, FieldErrors, Exists, InvalidInput) as e:
            errors.extend(row_errors(row.number, e, labels))
            continue
        if data is not None:
            good.append((row.number, data))
        if i % FLUSH_EVERY == 0:
            progress(i, total * 2)
    applied = skipped = 0
    try:
        with ctx.store.session() as s:
            for i, (number, data) in enumerate(good):
                check_cancel(cancel)
                try:  # write checks before it adds: a refused row adds nothing (and all rolls back)
                    done = write(s, number, data)
                except (RowProblem, FieldErrors, Exists, InvalidInput) as e:
                    errors.extend(row_errors(number, e, labels))
                    continue
                if done is False:
                    skipped += 1
                else:
                    applied += 1
                if i % FLUSH_EVERY == 0:
                    progress(total + i, total * 2)
            if after is not None and not errors:
                errors.extend(after(s))
            if errors:
                raise _Rejected()
    except _Rejected:
        errors.sort(key=lambda e: e.row)
        return ImportResult(0, tuple(errors), total, sheet)
    progress(total * 2, total * 2)
    return ImportResult(applied, (), total, sheet, skipped)
