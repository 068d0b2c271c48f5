"""This database's epochs: stretches of its own change history that its peers can tell apart.

The change log numbers every change (``change_log.seq``) and sync tells a peer "everything after
sequence N". Restoring a backup brings back an older change log: the next numbers it hands out were
already used, before the restore, for other changes a peer may hold, and a receipt the peer wrote
then would confirm changes made only now. So a restore starts a new epoch: packages name the epoch
they belong to, sequence numbers and receipts count within one epoch, and the receiver keeps each
epoch of a sender as a stream of its own (sync/streams.py). The newest row of ``sync_epoch`` is the
current epoch; the rows before it are its ancestors (what the restored backup itself had).

Two ways a new epoch begins:
- ``restore``: the program put a backup in place (services/backups.py calls ``start_new_epoch``).
  Changes made from now on are "fresh": they replace whatever the peer got from the history the
  backup forgot, whatever the version numbers say.
- ``rollback``: a peer found that our packages fork from what it already holds (the file was
  replaced behind the program's back, e.g. copied from an old stick) and said so in its receipt.
  Changes after the last export this file remembers count as fresh.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress_desktop.core.store.ids import uuid7
from congress_desktop.core.store.models import ChangeLog, utcnow
from congress_desktop.core.store.models_sync import SyncEpoch, SyncPackage

log = logging.getLogger(__name__)

MAX_ANCESTORS = 32  # named in a package header; older ones are long superseded at every peer
REASON_LABELS = {"initial": "首次使用", "restore": "恢复备份", "rollback": "对方发现数据库被替换为较早的副本",
                 "replaced": "对方保存着本机已丢失的一段数据，重新编号", "lost": "已丢失的一段数据"}


@dataclass(frozen=True)
class Epoch:
    no: int
    epoch: str
    started_seq: int             # changes with a higher sequence number are this epoch's own
    started_at: dt.datetime      # UTC
    reason: str
    ancestors: tuple[str, ...]   # the epochs before it in this file, oldest first

    @property
    def root(self) -> bool:
        return not self.ancestors

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.reason, self.reason)


def current_epoch(s: Session) -> Epoch:
    rows = list(s.scalars(select(SyncEpoch).order_by(SyncEpoch.no)))
    if not rows:  # a file made before migration 0009 ran cannot be open here; be safe anyway
        return _add(s, "initial", 0, "")
    last = rows[-1]
    return Epoch(last.no, last.epoch, last.started_seq, last.started_at, last.reason,
                 tuple(r.epoch for r in rows[:-1])[-MAX_ANCESTORS:])


def _add(s: Session, reason: str, started_seq: int, detail: str) -> Epoch:
    row = SyncEpoch(epoch=uuid7(), started_at=utcnow(), started_seq=started_seq, reason=reason, detail=detail[:300])
    s.add(row)
    s.flush()
    return current_epoch(s)


def start_new_epoch(s: Session, reason: str, detail: str = "", *, started_seq: int | None = None,
                    replaces: tuple[str, ...] = ()) -> Epoch:
    """Begin a new epoch in this file (inside the caller's unit of work).

    ``restore``: everything the file holds now counts as history. ``rollback``: history ends where
    this file and the peer last agreed (``started_seq``: the end of the last package of ours the peer
    holds that this file knows too); what came after may be new work the peer never saw.
    ``replaces``: epochs of ours this file never knew (a peer holds them from a history lost here);
    the new epoch names them too, so the peer knows it replaces them."""
    last_seq = s.scalar(select(func.max(ChangeLog.seq))) or 0
    if started_seq is not None:
        started = min(started_seq, last_seq)
    elif reason == "rollback":
        exported = s.scalar(select(func.max(SyncPackage.seq_to)).where(SyncPackage.direction == "out")) or 0
        started = min(exported, last_seq)
    else:
        started = last_seq
    known = {e.epoch for e in s.scalars(select(SyncEpoch))}
    for e in replaces:
        if e not in known:  # a history lost here: recorded as one before the new epoch
            s.add(SyncEpoch(epoch=e, started_at=utcnow(), started_seq=started, reason="lost", detail="对方保存的已丢失的编号"))
            s.flush()
    epoch = _add(s, reason, started, detail)
    log.warning("new sync epoch %s (%s, %s): changes after seq %d are fresh", epoch.epoch, reason, detail, started)
    return epoch


def start_new_epoch_in(store, reason: str, detail: str = "") -> Epoch:
    """The same on an open Store (what a restore calls once the restored file is opened and migrated)."""
    with store.session() as s:
        return start_new_epoch(s, reason, detail)


def epochs(s: Session) -> list[Epoch]:
    """Every epoch of this file, oldest first (for the 同步 page's history)."""
    rows = list(s.scalars(select(SyncEpoch).order_by(SyncEpoch.no)))
    return [Epoch(r.no, r.epoch, r.started_seq, r.started_at, r.reason, tuple(x.epoch for x in rows[:i]))
            for i, r in enumerate(rows)]


# A restore puts the backup in place and then begins the new epoch in it. Between the two a crash
# would leave the restored file in its backup's epoch, reusing numbers the peers hold: so the
# intention is written to the data folder first, and whatever opens the folder next finishes it.
PENDING = ".sync-new-epoch"


def mark_pending(folder: Path, detail: str) -> None:
    """Before a restore replaces the database: a new epoch is owed (durably, before the file moves)."""
    path = Path(folder) / PENDING
    with open(path, "w", encoding="utf-8") as f:
        f.write(detail)
        f.flush()
        os.fsync(f.fileno())


def settle_pending(store, folder: Path) -> Epoch | None:
    """After a restore, and at every open: begin the epoch a restore left owed, if any."""
    path = Path(folder) / PENDING
    if not path.exists():
        return None
    try:
        detail = path.read_text(encoding="utf-8")[:300]
    except (OSError, UnicodeDecodeError):
        detail = ""
    epoch = start_new_epoch_in(store, "restore", detail)
    path.unlink(missing_ok=True)
    return epoch
