"""Attachments (scans of sign-in sheets, site photos) of visits and opinions.

A file is stored once inside the data folder under its SHA-256: ``attachments/ab/abcdef…`` (the
first two hex digits make the subfolder). The record keeps the original name, size and hash, so sync
can carry the file with it and the receiver can check it. Removing an attachment marks the record
deleted and leaves the file: another record may share it, and history still names it."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress_desktop.core import paths
from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, InvalidInput, NotFound, os_error_text, storage_error
from congress_desktop.core.filenames import clean_file_name
from congress_desktop.core.files import atomic_file
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models_visits import Attachment, Opinion, Visit
from congress_desktop.visits.rows import AttachmentRow as AttachmentRow

OWNERS = {"visit": Visit, "opinion": Opinion}
MAX_BYTES = 100 * 1024 * 1024
_CHUNK = 1 << 20


def _row(a: Attachment) -> AttachmentRow:
    return AttachmentRow(a.id, a.owner_table, a.owner_id, a.file_name, a.sha256, a.size, a.note, a.created_at)


def attachments_dir(ctx: Context) -> Path:
    return Path(ctx.data_dir) / "attachments"


def stored_path(ctx: Context, sha256: str) -> Path:
    return attachments_dir(ctx) / sha256[:2] / sha256


def file_sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def store_file(ctx: Context, source: str | Path) -> tuple[str, int]:
    """Copy a file into the store (once per content); returns (sha256, size)."""
    src = Path(source)
    if not src.is_file():
        raise InvalidInput(f"找不到文件：{src}")
    size = src.stat().st_size
    if size == 0:
        raise InvalidInput(f"文件“{src.name}”是空的")
    if size > MAX_BYTES:
        raise InvalidInput(f"文件“{src.name}”超过 {MAX_BYTES // 1024 // 1024} MB，请压缩或缩小后再添加")
    sha, size = file_sha256(src)
    target = stored_path(ctx, sha)
    if target.exists() and target.stat().st_size == size:
        return sha, size
    try:
        with atomic_file(target, make_parents=True) as out:
            try:
                copied = _copy_hashing(src, out)
            except OSError as e:  # judged before the half-copied file gives its room back
                raise _store_error(e, target, src) from e
            if copied != sha:  # the source changed while we copied it
                raise CongressError(f"复制“{src.name}”时文件发生了变化，请重试")
    except OSError as e:
        raise _store_error(e, target, src) from e
    return sha, size


def _copy_hashing(src: Path, out: IO[bytes]) -> str:
    """Copy ``src`` into ``out`` (flushed); the SHA-256 of what was copied."""
    h = hashlib.sha256()
    with open(src, "rb") as inp:
        while chunk := inp.read(_CHUNK):
            h.update(chunk)
            out.write(chunk)
    out.flush()
    return h.hexdigest()


def _store_error(e: OSError, target: Path, src: Path) -> CongressError:
    return storage_error(e, target.parent) or CongressError(f"无法保存附件“{src.name}”：{os_error_text(e)}")


def _check_owner(s: Session, owner_table: str, owner_id: str) -> None:
    model = OWNERS.get(owner_table)
    if model is None:
        raise InvalidInput(f"不支持给“{owner_table}”添加附件")
    obj = s.get(model, owner_id)
    if obj is None or getattr(obj, "deleted", False):
        raise NotFound("要添加附件的记录不存在或已删除")


def attach_in_session(s: Session, ctx: Context, owner_table: str, owner_id: str, source: str | Path,
                      note: str = "") -> Attachment:
    """Inside a caller's unit of work (a visit saved with its scans): the file is stored first; if the
    unit of work then fails, only an unreferenced file is left behind, never a record without file."""
    sha, size = store_file(ctx, source)
    # the name is kept as the file's title and later becomes a file name elsewhere (viewing copy,
    # the city's PC): cleaned here to one that is safe on every system
    a = Attachment(owner_table=owner_table, owner_id=owner_id, file_name=clean_file_name(Path(source).name), sha256=sha,
                   size=size, note=note[:200])
    s.add(a)
    return a


def add_attachment(ctx: Context, owner_table: str, owner_id: str, source: str | Path,
                   note: str = "") -> AttachmentRow:
    with ctx.store.session() as s:
        _check_owner(s, owner_table, owner_id)
        a = attach_in_session(s, ctx, owner_table, owner_id, source, note)
        s.flush()
        return _row(a)


def list_attachments(ctx: Context, owner_table: str, owner_id: str) -> list[AttachmentRow]:
    with ctx.store.session() as s:
        rows = s.scalars(select(Attachment).where(Attachment.owner_table == owner_table,
                                                  Attachment.owner_id == owner_id,
                                                  Attachment.deleted.is_(False))
                         .order_by(Attachment.created_at, Attachment.id)).all()
        return [_row(a) for a in rows]


def get_attachment(ctx: Context, attachment_id: str) -> AttachmentRow:
    with ctx.store.session() as s:
        return _row(get_live(s, Attachment, attachment_id, "附件"))


def attachment_file(ctx: Context, attachment_id: str) -> Path:
    """The stored file (read it, never change it); a clear message when it went missing."""
    a = get_attachment(ctx, attachment_id)
    path = stored_path(ctx, a.sha256)
    if not path.is_file():
        raise NotFound(f"附件“{a.file_name}”的文件不在数据文件夹中（{path}），可能被误删；请从备份恢复")
    return path


def read_attachment(ctx: Context, attachment_id: str) -> bytes:
    """The file's bytes, checked against the recorded hash."""
    a = get_attachment(ctx, attachment_id)
    data = attachment_file(ctx, attachment_id).read_bytes()
    if hashlib.sha256(data).hexdigest() != a.sha256:
        raise CongressError(f"附件“{a.file_name}”的文件已损坏（内容与登记时不一致）")
    return data


def viewing_dir() -> Path:
    return paths.cache_dir() / "view"


def _private_dir(path: Path) -> Path:
    """A folder only this user can enter, made if missing; refused when it is a link (someone could
    point it at a folder of theirs) or, on POSIX, belongs to someone else."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise CongressError(f"查看附件用的文件夹 {path} 不是普通文件夹（可能被换成了链接），为安全起见没有打开附件。"
                            "请删除它后重试")
    if os.name == "posix":
        if st.st_uid != os.getuid():
            raise CongressError(f"查看附件用的文件夹 {path} 属于其他用户，为安全起见没有打开附件。请删除它后重试")
        if st.st_mode & 0o077:
            os.chmod(path, 0o700)
    return path


def _same_file(path: Path, sha256: str, size: int) -> bool:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size == size and file_sha256(path)[0] == sha256


def copy_for_viewing(ctx: Context, attachment_id: str) -> Path:
    """A copy under its original name for the system viewer: the viewer shows the right name and
    type, and whatever it does to the copy never touches the stored evidence.

    The copy sits in a folder of the user's own cache made private (0700 on POSIX), never in the
    shared temp folder; it is written to a new temporary file and renamed over the name, so a link
    planted at that name is replaced, never followed. A copy changed since (by the viewer) is
    replaced by the true content."""
    a = get_attachment(ctx, attachment_id)
    src = attachment_file(ctx, attachment_id)
    try:
        base = paths.cache_dir()
        base.parent.mkdir(parents=True, exist_ok=True)
        _private_dir(base)
        folder = _private_dir(_private_dir(viewing_dir()) / a.sha256[:12])
        target = folder / clean_file_name(a.file_name, a.sha256[:12])
        if _same_file(target, a.sha256, a.size):
            return target
        with atomic_file(target) as out, open(src, "rb") as inp:  # a new file, 0600, renamed over the name
            shutil.copyfileobj(inp, out, _CHUNK)
    except OSError as e:
        raise CongressError(f"无法为查看准备附件“{a.file_name}”：{os_error_text(e)}。"
                            "如果它正在其他程序中打开，请先关闭") from e
    return target


def delete_attachment(ctx: Context, attachment_id: str) -> None:
    with ctx.store.session() as s:
        get_live(s, Attachment, attachment_id, "附件").deleted = True


def delete_attachments_in_session(s: Session, owner_table: str, owner_id: str) -> None:
    for a in s.scalars(select(Attachment).where(Attachment.owner_table == owner_table,
                                                Attachment.owner_id == owner_id, Attachment.deleted.is_(False))):
        a.deleted = True
