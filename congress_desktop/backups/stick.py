"""备份到U盘, encrypted: a lost stick gives nothing away.

On the stick (any folder the office chooses)::

    congress-<区划代码>-<YYYYMMDD-HHMMSS>-usb.cdbak     one sealed file per backup (store/sealed.py):
                                                     a clear header (time, office, reason, record
                                                     counts, Argon2id parameters and salt, nonce),
                                                     then the database, AES-256-GCM in 1 MiB chunks
    congress-attachments-encrypted/<id>/store.json   the attachment store of one passphrase: salt,
                                                     Argon2id parameters, a check value
    congress-attachments-encrypted/<id>/ab/ab12…     each attachment file sealed under its own key,
                                                     named by HMAC-SHA256 of its SHA-256 (so the
                                                     stick does not show which files the office holds)

The passphrase is the office's own, chosen once (``set_passphrase``) and typed at every stick backup
and restore; it is never stored. The database keeps only an Argon2id verifier (``setting`` row
``usb_backup_passphrase``: a PHC string and the id of the attachment store), so a mistyped passphrase
cannot make a backup nobody can open. Why not the office's sync keys: the stick backup is for the day
the PC dies, and the sync private key is bound to that PC (Windows DPAPI); a passphrase written down
and kept with the office seal survives the PC.

Changing the passphrase starts a new attachment store; older backups keep the passphrase they were
made with. Local backups in the data folder stay plain (services/backups.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from congress_desktop import __version__
from congress_desktop.backups import sealed
from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.errors import (
    CongressError,
    InvalidInput,
    PassphraseNeeded,
    WrongPassphrase,
    os_error_text,
)
from congress_desktop.core.store import backup_files as files
from congress_desktop.core.store.backup_files import BackupInfo

log = logging.getLogger(__name__)

SUFFIX = ".cdbak"
STORE_DIR = "congress-attachments-encrypted"
STORE_FILE = "store.json"
SETTING = "usb_backup_passphrase"
MIN_LENGTH = 8
TEMP_PREFIX = ".stick-"  # decrypted or not-yet-sealed copies, in the local data folder only
BACKUP_INFO = b"congress-desktop/stick-backup/v1"
STORE_INFO = b"congress-desktop/stick-attachments/v1"
FILE_INFO = b"congress-desktop/stick-attachment-file/v1"
_SHA = re.compile(r"^[0-9a-f]{64}$")
_STORE_ID = re.compile(r"^[0-9a-f]{16}$")

FORGOTTEN = ("口令只保存在您的记忆和纸上，程序不保存口令本身。忘记口令，用它做的U盘备份就再也打不开，"
             "任何人（包括技术支持）都无法恢复。请把口令写在纸上，与单位公章放在一起保管。")


def span(progress: Progress, start: int, end: int) -> Progress:
    """Map a step's (done, total) onto start..end of one bar of 100."""
    return lambda done, total: progress(start + (end - start) * min(done, max(total, 1)) // max(total, 1), 100)


# ============================================================================ the passphrase
def passphrase_problem(passphrase: str, again: str | None = None) -> str | None:
    """Why a new passphrase cannot be used (None: it can). The dialog asks the same rule."""
    if len(passphrase) < MIN_LENGTH:
        return f"口令至少要 {MIN_LENGTH} 个字符"
    if passphrase.strip() != passphrase:
        return "口令的开头和结尾不能是空格"
    if again is not None and again != passphrase:
        return "两次输入的口令不一样，请重新输入"
    return None


@dataclass(frozen=True)
class Verifier:
    store_id: str    # names the attachment store on the stick made under this passphrase
    phc: str         # Argon2id: salt, parameters and hash
    set_at: str

    def as_json(self) -> str:
        return json.dumps({"store_id": self.store_id, "phc": self.phc, "set_at": self.set_at})


def _get_setting(ctx: Context) -> str:
    from congress_desktop.core.office import get_setting

    return get_setting(ctx, SETTING)


def current_verifier(ctx: Context) -> Verifier | None:
    raw = _get_setting(ctx)
    if not raw:
        return None
    try:
        d = json.loads(raw)
        v = Verifier(str(d["store_id"]), str(d["phc"]), str(d.get("set_at", "")))
        if not _STORE_ID.match(v.store_id) or not v.phc.startswith("$argon2id$"):
            raise ValueError("malformed")
        return v
    except (ValueError, KeyError, TypeError):
        log.error("the stored stick-backup passphrase verifier is unreadable")
        raise CongressError("数据库中保存的U盘备份口令校验值已损坏。请重新设置U盘备份口令"
                            "（以前的U盘备份仍用旧口令打开）。", code="verifier_damaged") from None


def passphrase_is_set(ctx: Context) -> bool:
    return bool(_get_setting(ctx))


def set_passphrase(ctx: Context, passphrase: str, again: str | None = None) -> Verifier:
    """Set (or change) the office's stick-backup passphrase: only its verifier is stored. Backups
    made before keep the passphrase they were made with."""
    from congress_desktop.core.office import set_setting

    problem = passphrase_problem(passphrase, again)
    if problem:
        raise InvalidInput(problem, field="passphrase")
    v = Verifier(secrets.token_hex(8), sealed.make_verifier(passphrase),
                 dt.datetime.now().replace(microsecond=0).isoformat())
    changed = passphrase_is_set(ctx)
    set_setting(ctx, SETTING, v.as_json())
    log.info("stick-backup passphrase %s (store %s)", "changed" if changed else "set", v.store_id)
    return v


def check_passphrase(ctx: Context, passphrase: str) -> Verifier:
    """The verifier the typed passphrase matches; WrongPassphrase when it does not."""
    v = current_verifier(ctx)
    if v is None:
        raise PassphraseNeeded("尚未设置U盘备份口令。请在“设置 → 备份与恢复”中点“备份到U盘”时设置，"
                               "或运行 congress-desktop backups set-passphrase。")
    if not sealed.verifier_matches(passphrase, v.phc):
        raise WrongPassphrase("口令与本单位设置的U盘备份口令不一致，没有备份。请重新输入"
                              "（注意大小写和输入法的全角/半角）。如果忘记了口令，可以设置新口令，"
                              "以后的备份用新口令；以前的U盘备份仍要用旧口令打开。")
    return v


# ============================================================================ reading a sealed backup
def is_sealed(path: str | Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(sealed.BACKUP_MAGIC)) == sealed.BACKUP_MAGIC
    except OSError:
        return False


def _broken(path: Path, why: str = "") -> InvalidInput:
    log.warning("sealed file %s refused: %s", path, why)
    return InvalidInput(f"备份文件“{path.name}”已损坏、不完整或被改动过（校验不通过），不能用来恢复。"
                        "请换一个备份文件；数据没有改变。", code="backup_broken")


def _read_opened(path: Path) -> sealed.Opened:
    try:
        with open(path, "rb") as f:
            return sealed.read_header(f, sealed.BACKUP_MAGIC)
    except sealed.SealBroken as e:
        raise _broken(path, str(e)) from e
    except OSError as e:
        raise CongressError(f"无法读取备份文件 {path}：{os_error_text(e)}") from e


def _info_from_header(path: Path, h: dict) -> BackupInfo:
    try:
        return BackupInfo(path, dt.datetime.fromisoformat(h["made_at"]), str(h.get("reason", "usb")),
                          path.stat().st_size, tuple((str(a), int(b), str(c)) for a, b, c in h.get("counts", [])),
                          str(h.get("office_name", "")), str(h.get("office_code", "")), str(h.get("revision", "")),
                          bool(h.get("checked")), str(h.get("detail", "")), encrypted=True)
    except (KeyError, ValueError, TypeError) as e:
        raise _broken(path, f"header fields: {e}") from e


def read_backup_info(path: str | Path) -> BackupInfo:
    """What a sealed backup holds, from its clear header (no passphrase needed; the header is checked
    when the file is decrypted, as the associated data of every chunk)."""
    p = Path(path)
    return _info_from_header(p, _read_opened(p).header)


def list_sealed(folder: str | Path) -> list[BackupInfo]:
    """The sealed backups in ``folder`` (a stick), from their headers; unreadable files left out."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    out = []
    for p in folder.glob(f"*{SUFFIX}"):
        if p.is_file():
            try:
                out.append(read_backup_info(p))
            except CongressError as e:
                log.warning("not listed: %s", e.message)
    return out


def _backup_key(path: Path, opened: sealed.Opened, passphrase: str) -> bytes:
    h = opened.header
    try:
        params = sealed.KdfParams.from_json(h["kdf"])
        salt = sealed.unb64(h["kdf"]["salt"], sealed.SALT)
        check = sealed.unb64(h["check"], 16)
    except (KeyError, ValueError, TypeError) as e:
        raise _broken(path, f"key fields: {e}") from e
    key, got = sealed.split_key(sealed.argon2id(passphrase, salt, params), BACKUP_INFO, (32, 16))
    if not sealed.same(got, check):
        raise WrongPassphrase(f"口令不对，打不开“{path.name}”。请重新输入（注意大小写和输入法的全角/半角）。"
                              "如果更改过口令，较早的备份要用当时的口令。数据没有改变。")
    return key


def check_backup_passphrase(path: str | Path, passphrase: str) -> BackupInfo:
    """Does ``passphrase`` open this sealed backup? Its description, else WrongPassphrase."""
    p = Path(path)
    opened = _read_opened(p)
    _backup_key(p, opened, passphrase)
    return _info_from_header(p, opened.header)


def _temp_in(folder: Path, what: str) -> Path:
    return Path(folder) / f"{TEMP_PREFIX}{what}-{secrets.token_hex(6)}.tmp"


def clear_stale_temps(folder: Path) -> None:
    """Copies a crash left behind (a day old: another command may be using a fresh one)."""
    limit = dt.datetime.now().timestamp() - 24 * 3600
    for p in Path(folder).glob(f"{TEMP_PREFIX}*.tmp"):
        try:
            if p.stat().st_mtime < limit:
                p.unlink()
        except OSError:
            pass


def decrypt_backup(path: str | Path, passphrase: str, into: str | Path, *, progress: Progress = no_progress,
                   cancel: Cancel = never_cancel) -> Path:
    """Decrypt a sealed backup into a temporary plain file in ``into`` (the data folder, on the local
    disk) and return it once every chunk passed its check; the caller deletes it. Raises
    WrongPassphrase or InvalidInput (damaged, cut short, changed) and leaves nothing behind."""
    p = Path(path)
    into = Path(into)
    opened = _read_opened(p)
    key = _backup_key(p, opened, passphrase)
    size = int(opened.header.get("plain_size") or 0)
    into.mkdir(parents=True, exist_ok=True)
    clear_stale_temps(into)
    files.check_free_space(into, 2 * size)  # this copy, and the one the restore writes beside the database
    tmp = _temp_in(into, "restore")
    try:
        with open(p, "rb") as f, open(tmp, "wb") as out:
            f.seek(len(opened.block))
            sealed.unseal(f, opened, key, out, total=size, progress=progress, cancel=cancel)
            out.flush()
            os.fsync(out.fileno())
    except sealed.SealBroken as e:
        tmp.unlink(missing_ok=True)
        raise _broken(p, str(e)) from e
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise CongressError(f"无法读取备份文件 {p} 或写入 {into}：{os_error_text(e)}") from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


# ============================================================================ the attachment store
@dataclass(frozen=True)
class _Store:
    folder: Path
    enc_key: bytes
    name_key: bytes

    def name_of(self, sha: str) -> str:
        return hmac.new(self.name_key, sha.encode("ascii"), hashlib.sha256).hexdigest()

    def path_of(self, sha: str) -> Path:
        name = self.name_of(sha)
        return self.folder / name[:2] / name


def _store_keys(passphrase: str, salt: bytes, params: sealed.KdfParams) -> tuple[bytes, bytes, bytes]:
    a, b, c = sealed.split_key(sealed.argon2id(passphrase, salt, params), STORE_INFO, (32, 32, 16))
    return a, b, c


def _open_store(stick: Path, store_id: str, passphrase: str, *, create: bool, office_code: str = "") -> _Store | None:
    """The attachment store ``store_id`` on the stick: made when ``create`` and missing; None when
    it is missing. WrongPassphrase when the passphrase does not open it."""
    if not _STORE_ID.match(store_id):
        raise InvalidInput("备份文件中的附件文件夹名称不对，备份文件可能被改动过")
    folder = stick / STORE_DIR / store_id
    meta = folder / STORE_FILE
    if not meta.is_file():
        if not create:
            return None
        salt, params = os.urandom(sealed.SALT), sealed.DEFAULT_KDF
        enc, name, check = _store_keys(passphrase, salt, params)
        folder.mkdir(parents=True, exist_ok=True)
        body = {"format": sealed.FORMAT, "kind": "congress-desktop attachments", "office_code": office_code,
                "kdf": params.as_json() | {"salt": sealed.b64(salt)}, "check": sealed.b64(check)}
        tmp = meta.with_name(".part-" + STORE_FILE)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, meta)
        files.fsync_dir(folder)
        return _Store(folder, enc, name)
    try:
        d = json.loads(meta.read_text(encoding="utf-8"))
        params = sealed.KdfParams.from_json(d["kdf"])
        salt = sealed.unb64(d["kdf"]["salt"], sealed.SALT)
        check = sealed.unb64(d["check"], 16)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CongressError(f"U盘上的附件说明文件 {meta} 已损坏，附件无法读取。") from e
    enc, name, got = _store_keys(passphrase, salt, params)
    if not sealed.same(got, check):
        if create:  # the passphrase matched the verifier: the store's description was changed
            raise CongressError(f"U盘上的附件文件夹 {folder} 打不开（它的说明文件可能被改动过）。"
                                "请把这个文件夹改名或移走，再备份。", code="backup_failed")
        raise WrongPassphrase(f"口令打不开U盘上的附件文件夹 {folder}（它可能被改动过）。")
    return _Store(folder, enc, name)


def _local_attachment_files(store: Path) -> list[tuple[str, Path]]:
    if not store.is_dir():
        return []
    return sorted((p.name.lower(), p) for p in store.rglob("*") if p.is_file() and _SHA.match(p.name.lower()))


def _seal_attachment(store: _Store, sha: str, src: Path) -> bool:
    """Write one attachment into the store (temp name, fsync, rename). False when the local file no
    longer matches its hash (it is not put on the stick: `check` reports it)."""
    name = store.name_of(sha)
    target = store.folder / name[:2] / name
    target.parent.mkdir(parents=True, exist_ok=True)
    salt = os.urandom(sealed.SALT)
    header = {"format": sealed.FORMAT, "name": name, "salt": sealed.b64(salt),
              "nonce": sealed.b64(os.urandom(sealed.NONCE_PREFIX))}
    tmp = target.with_name(".part-" + name)
    h = hashlib.sha256()
    try:
        with open(src, "rb") as f, open(tmp, "wb") as out:
            sealed.seal(f, out, sealed.ATTACHMENT_MAGIC, header, sealed.file_key(store.enc_key, salt, FILE_INFO),
                        on_plain=h.update)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:  # a full or pulled stick: no half-written file left on it
        tmp.unlink(missing_ok=True)
        raise
    if h.hexdigest() != sha:
        tmp.unlink(missing_ok=True)
        log.warning("attachment %s no longer matches its hash: not copied to the stick", src)
        return False
    os.replace(tmp, target)
    return True


def _put_attachments(store: _Store, local: list[tuple[str, Path]], progress: Progress, cancel: Cancel) -> int:
    written = 0
    for i, (sha, src) in enumerate(local, 1):
        check_cancel(cancel)
        if not store.path_of(sha).is_file() and _seal_attachment(store, sha, src):
            written += 1
        progress(i, len(local))
    if written:
        files.fsync_dir(store.folder)
    return written


def _unseal_attachment(store: _Store, sha: str, target: Path) -> str:
    """"ok", "missing" (not on the stick) or "bad" (fails its check or its SHA-256)."""
    src = store.path_of(sha)
    if not src.is_file():
        return "missing"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(".part-" + target.name)
    h = hashlib.sha256()
    try:
        with open(src, "rb") as f, open(tmp, "wb") as out:
            opened = sealed.read_header(f, sealed.ATTACHMENT_MAGIC)
            if opened.header.get("name") != store.name_of(sha):
                raise sealed.SealBroken("file of another attachment")
            key = sealed.file_key(store.enc_key, sealed.unb64(opened.header["salt"], sealed.SALT), FILE_INFO)
            sealed.unseal(f, opened, key, out, on_plain=h.update)
            out.flush()
            os.fsync(out.fileno())
    except (sealed.SealBroken, KeyError, ValueError) as e:
        tmp.unlink(missing_ok=True)
        log.warning("attachment %s on the stick refused: %s", src, e)
        return "bad"
    if h.hexdigest() != sha:
        tmp.unlink(missing_ok=True)
        log.warning("attachment %s on the stick decrypts to the wrong content", src)
        return "bad"
    os.replace(tmp, target)
    return "ok"


@dataclass(frozen=True)
class AttachmentsRestored:
    copied: int = 0
    missing: int = 0   # needed, but not on the stick (or failing their check there)


def restore_attachments(backup: str | Path, passphrase: str, data_dir: str | Path, shas: Iterable[str], *,
                        cancel: Cancel = never_cancel) -> AttachmentsRestored:
    """Copy back from the stick the attachments the local store lacks (``shas``: those the restored
    database names), each checked against its SHA-256."""
    p = Path(backup)
    header = _read_opened(p).header
    store_id = str((header.get("attachments") or {}).get("store", ""))
    local = Path(data_dir) / "attachments"
    needed = sorted({s.lower() for s in shas if s and _SHA.match(s.lower())})
    lacking = [s for s in needed if not (local / s[:2] / s).is_file()]
    if not lacking:
        return AttachmentsRestored()
    store = _open_store(p.parent, store_id, passphrase, create=False) if store_id else None
    if store is None:
        log.warning("restore from %s: no attachment store beside it; %d file(s) lacking", p, len(lacking))
        return AttachmentsRestored(0, len(lacking))
    copied = missing = 0
    for sha in lacking:
        check_cancel(cancel)
        if _unseal_attachment(store, sha, local / sha[:2] / sha) == "ok":
            copied += 1
        else:
            missing += 1
    if copied:
        files.fsync_dir(local)
    return AttachmentsRestored(copied, missing)


# ============================================================================ making a sealed backup
@dataclass(frozen=True)
class StickBackup:
    info: BackupInfo              # the .cdbak file, as listed
    attachments_written: int      # new on the stick this time
    attachments_total: int        # on the stick for this backup
    plain_left: int = 0           # unencrypted backups of earlier versions still in the folder


def _unique(folder: Path, stem: str) -> Path:
    path, n = folder / f"{stem}{SUFFIX}", 2
    while path.exists() or path.with_name(path.name + files.PART).exists():
        path, n = folder / f"{stem}-{n}{SUFFIX}", n + 1
    return path


def backup_to_stick(ctx: Context, folder: str | Path, passphrase: str, *, attachments_dir: Path,
                    progress: Progress = no_progress, cancel: Cancel = never_cancel) -> StickBackup:
    """The sealed backup (see the module docstring): the passphrase is checked against the verifier;
    a checked plain snapshot is made on the local disk; the attachments the stick lacks are sealed
    onto it (first, so a backup on the stick always has its attachments there); the snapshot is
    sealed to ``….cdbak.part`` on the stick, read back and checked, then renamed."""
    target = Path(folder)
    verifier = check_passphrase(ctx, passphrase)
    progress(3, 100)
    data = Path(ctx.data_dir)
    clear_stale_temps(data)
    snap = _temp_in(data, "backup")
    made = dt.datetime.now().replace(microsecond=0)
    part: Path | None = None
    try:
        files.check_free_space(data, ctx.db_path.stat().st_size)
        files.online_copy(ctx.db_path, snap, progress=span(progress, 3, 30), cancel=cancel)
        problems = files.integrity_problems(snap)
        if problems:
            raise CongressError("备份副本没有通过完整性检查，数据库文件可能已损坏：" + "；".join(problems[:3]),
                                code="backup_check_failed", problems=problems)
        contents = files.read_contents(snap)
        check_cancel(cancel)
        local = _local_attachment_files(attachments_dir)
        written = 0
        if local:
            store = _open_store(target, verifier.store_id, passphrase, create=True,
                                office_code=contents["office_code"])
            assert store is not None  # (created when missing)
            written = _put_attachments(store, local, span(progress, 30, 60), cancel)
        size = snap.stat().st_size
        files.check_free_space(target, size)
        salt = os.urandom(sealed.SALT)
        key, check = sealed.split_key(sealed.argon2id(passphrase, salt), BACKUP_INFO, (32, 16))
        header = {"format": sealed.FORMAT, "kind": "congress-desktop backup", "app_version": __version__,
                  "made_at": made.isoformat(), "reason": "usb", "office_code": contents["office_code"],
                  "office_name": contents["office_name"], "revision": contents["revision"],
                  "counts": [list(c) for c in contents["counts"]], "checked": True, "plain_size": size,
                  "cipher": "AES-256-GCM, STREAM, 1 MiB chunks", "chunk": sealed.CHUNK,
                  "kdf": sealed.DEFAULT_KDF.as_json() | {"salt": sealed.b64(salt)}, "check": sealed.b64(check),
                  "nonce": sealed.b64(os.urandom(sealed.NONCE_PREFIX)),
                  "attachments": {"store": verifier.store_id if local else "", "files": len(local)}}
        final = _unique(target, files.backup_name(made, "usb", contents["office_code"]))
        part = final.with_name(final.name + files.PART)
        with open(snap, "rb") as src, open(part, "wb") as out:
            sealed.seal(src, out, sealed.BACKUP_MAGIC, header, key, total=size, progress=span(progress, 60, 90),
                        cancel=cancel)
            out.flush()
            os.fsync(out.fileno())
        with open(part, "rb") as f:  # read back: what is on the stick opens and passes every check
            opened = sealed.read_header(f, sealed.BACKUP_MAGIC)
            sealed.unseal(f, opened, key, None, total=size, progress=span(progress, 90, 100), cancel=cancel)
        os.replace(part, final)
        part = None
        files.fsync_dir(target)
    except sealed.SealBroken as e:
        raise CongressError(f"写到 {target} 的备份读回来校验不通过（U盘可能有坏块），请换一个U盘再备份。",
                            code="backup_failed") from e
    finally:
        snap.unlink(missing_ok=True)
        if part is not None:
            part.unlink(missing_ok=True)
    progress(100, 100)
    info = read_backup_info(final)
    plain_left = len(files.list_backups(target))
    log.info("sealed backup %s (%s), %d attachment(s) new of %d", final, info.size_label, written, len(local))
    return StickBackup(info, written, len(local), plain_left)

