"""What every sync unit of work needs: this office, its key pair, the sync state of a peer, and
the stick's files."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import (
    Context,
    OfficeInfo,
)
from congress_desktop.core.errors import CongressError, NotFound
from congress_desktop.core.store.models import ChangeLog
from congress_desktop.core.store.models_sync import (
    SyncOwnKey,
    SyncPeer,
    SyncState,
)
from congress_desktop.sync import keys as keymod
from congress_desktop.sync import stick
from congress_desktop.sync.keys import KeyPair, PublicKeys
from congress_desktop.sync.package import (
    SyncError,
)
from congress_desktop.sync.rows import KeyInfo, PeerRow

# ====================================================================== helpers

def office(ctx: Context) -> OfficeInfo:
    return ctx.require_office()


def peer_row(p: SyncPeer) -> PeerRow:
    return PeerRow(p.id, p.code, p.name, p.role, p.key_id, p.fingerprint, p.enrolled_at, p.revoked_at,
                   p.revoke_reason)


def protection_label(ctx: Context, kid: str) -> str:
    return keymod.protection_label(ctx.data_dir, kid)  # from the key file itself, not the platform


def own_key_row(s: Session) -> SyncOwnKey | None:
    return s.scalars(select(SyncOwnKey).where(SyncOwnKey.retired_at.is_(None)).order_by(SyncOwnKey.id.desc())).first()


def key_info(ctx: Context, k: SyncOwnKey) -> KeyInfo:
    o = office(ctx)
    return KeyInfo(k.key_id, k.fingerprint, k.created_at, o.name, o.code, o.role, protection_label(ctx, k.key_id))


def my_pair(ctx: Context, *, passphrase: str | None = None) -> tuple[KeyPair, KeyInfo]:
    with ctx.store.session() as s:
        k = own_key_row(s)
        if k is None:
            raise CongressError("本单位还没有同步密钥。请先在“同步”页点击“生成本单位密钥”（命令行：keys init）",
                                code="no_keys")
        # loaded before the label is read: loading may re-protect a key file of the old scheme
        pair = keymod.load_private(ctx.data_dir, k.key_id, passphrase=passphrase)
        return pair, key_info(ctx, k)


def state(s: Session, code: str) -> SyncState:
    st = s.get(SyncState, code)
    if st is None:
        st = SyncState(peer_code=code, confirmed_seq=0, receipt_serial=0, last_export_seq=0, last_export_file="",
                       issued_receipts=0, epoch="", receipt_package_no=0)
        s.add(st)
        s.flush()
    return st


def reset_stream(st: SyncState) -> None:
    """Nothing of ours confirmed yet: a new key or a new epoch (the peer counts from the first again)."""
    st.confirmed_seq = 0
    st.receipt_serial = 0
    st.receipt_package_no = 0


def confirmed(st: SyncState | None, epoch: str) -> int:
    """What the peer confirmed of our current epoch's changes (0 when it confirmed another epoch's)."""
    return st.confirmed_seq if st is not None and st.epoch == epoch else 0


def active_peers(s: Session, role: str | None = None) -> list[SyncPeer]:
    q = select(SyncPeer).where(SyncPeer.revoked_at.is_(None)).order_by(SyncPeer.code)
    if role:
        q = q.where(SyncPeer.role == role)
    return list(s.scalars(q))


def peer_keys(p: SyncPeer) -> PublicKeys:
    return PublicKeys.from_hex(p.sign_public, p.box_public)


def other_role(role: str) -> str:
    return "city" if role == "town" else "town"


def last_seq(s: Session) -> int:
    return s.scalar(select(func.max(ChangeLog.seq))) or 0


def waiting(s: Session, after: int, upto: int) -> tuple[int, int]:
    if upto <= after:
        return 0, 0
    row = s.execute(select(func.count(), func.count(func.distinct(ChangeLog.table_name + ":" + ChangeLog.record_id)))
                    .where(ChangeLog.seq > after, ChangeLog.seq <= upto)).one()
    return int(row[0]), int(row[1])


def gap_text(gaps: list[tuple[int, int]]) -> str:
    return "；".join(f"缺第 {a}–{b} 号变更" if a != b else f"缺第 {a} 号变更" for a, b in gaps)


def write_json_file(path: Path, data: bytes) -> Path:
    path = Path(path)
    stick.write_bytes(path.parent, path.name, data)
    return path



def read_file(path: str | Path, what: str) -> bytes:
    p = Path(path)
    try:
        if p.stat().st_size > 1024**2:
            raise SyncError(f"{what}文件过大，不是本程序生成的文件", "limits")
        return p.read_bytes()
    except FileNotFoundError as e:
        raise NotFound(f"找不到文件 {p}") from e
    except OSError as e:
        raise SyncError(f"无法读取{what}文件：{e.strerror or e}", "io") from e



def scan(folder: Path, suffix: str) -> list[Path]:
    found: list[Path] = []
    for f in (folder, folder / stick.SYNC_FOLDER) if folder.name != stick.SYNC_FOLDER else (folder,):
        try:
            found += sorted(p for p in f.iterdir() if p.suffix == suffix and p.is_file() and not p.name.startswith("."))
        except FileNotFoundError:
            continue
        except OSError as e:
            raise stick.stick_error(e, f, writing=False) from e
    return found


