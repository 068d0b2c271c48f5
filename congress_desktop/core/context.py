"""The open office: data folder, database and who we are. Every service function takes one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from congress_desktop.core import paths
from congress_desktop.core.errors import Cancelled, CongressError, os_error_text
from congress_desktop.core.store.db import Store
from congress_desktop.core.store.models import Office

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)
Cancel = Callable[[], bool]           # True when the user asked to stop


def no_progress(_done: int, _total: int) -> None:
    return None


def never_cancel() -> bool:
    return False


def check_cancel(cancel: Cancel) -> None:
    if cancel():
        raise Cancelled()


@dataclass(frozen=True)
class OfficeInfo:
    name: str
    code: str
    role: str  # town / city
    demo: bool

    @property
    def role_label(self) -> str:
        return "乡镇（街道）" if self.role == "town" else "市人大常委会"


class Context:
    """Opened once per process (GUI) or per command (CLI); tests open one on a temporary folder."""

    def __init__(self, data_dir: Path, store: Store):
        self.data_dir = data_dir
        self.store = store
        self.office: OfficeInfo | None = None
        self.reload_office()

    @classmethod
    def open(cls, data_dir: str | Path | None = None) -> Context:
        from congress_desktop.core.opening import guard_folder, open_store

        folder = paths.data_dir(data_dir)
        # never on a network share or a stick, never a damaged file silently (services/backups.py)
        guard_folder(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CongressError(f"无法创建数据文件夹 {folder}：{os_error_text(e)}") from e
        store = open_store(folder)
        from congress_desktop.core.store.epochs import settle_pending

        settle_pending(store, folder)  # a restore cut short after it replaced the file: its new epoch
        return cls(folder, store)

    @property
    def db_path(self) -> Path:
        return self.store.path

    def reload_office(self) -> None:
        with self.store.session() as s:
            row = s.scalars(select(Office)).first()
            self.office = OfficeInfo(row.name, row.code, row.role, row.demo) if row else None
        self.store.owner_code = self.office.code if self.office else ""

    def require_office(self) -> OfficeInfo:
        if self.office is None:
            raise CongressError("尚未设置本单位信息，请先运行 init 或 demo，或在程序首次启动时填写")
        return self.office

    def close(self) -> None:
        self.store.close()
