"""Export: one package per recipient, every change after the point the recipient confirmed."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import (
    Cancel,
    Context,
    Progress,
    check_cancel,
    never_cancel,
    no_progress,
)
from congress_desktop.core.errors import Cancelled, CongressError
from congress_desktop.core.store import epochs as store_epochs
from congress_desktop.core.store.ids import uuid7
from congress_desktop.core.store.models import utcnow
from congress_desktop.core.store.models_sync import (
    SyncPackage,
    SyncState,
)
from congress_desktop.sync import common, engine, stick
from congress_desktop.sync.checks import ValueRefused, check_outgoing
from congress_desktop.sync.engine import SyncTable
from congress_desktop.sync.keys import KeyPair, PublicKeys
from congress_desktop.sync.messages import value_message
from congress_desktop.sync.package import (
    PACKAGE_SUFFIX,
    BodyWriter,
    Header,
    SyncError,
    read_header,
    seal,
    utc_text,
)
from congress_desktop.sync.receipts import read_receipts
from congress_desktop.sync.rows import ExportResult, KeyInfo, PackageWritten

log = logging.getLogger(__name__)

# ====================================================================== export

def export_packages(ctx: Context, target: str | Path, *, recipients: list[str] | None = None,
                    progress: Progress = no_progress, cancel: Cancel = never_cancel) -> ExportResult:
    """Town: one package for the city. City: one package for each enrolled town (``recipients`` limits).

    Receipts on the stick are read first. Each package carries every change after the point the
    recipient confirmed; the file is written to a temporary name, synced, renamed and read back."""
    office = common.office(ctx)
    pair, info = common.my_pair(ctx)
    folder = stick.sync_folder(target)
    stick.check_writable(folder)
    receipts = read_receipts(ctx, folder, info)
    with ctx.store.session() as s:
        peers = common.active_peers(s, common.other_role(office.role))
        if recipients:
            peers = [p for p in peers if p.code in recipients]
        targets = [Recipient(p.code, p.name, p.key_id, common.peer_keys(p)) for p in peers]
    if not targets:
        if office.role == "town":
            raise CongressError("还没有导入市人大的信任包，无法导出。请先把本镇登记文件交市人大登记，"
                                "再导入市人大下发的信任包", code="no_city")
        raise CongressError("还没有登记任何乡镇，无法下发", code="no_towns")
    written = []
    for i, to in enumerate(targets):
        check_cancel(cancel)
        written.append(_export_one(ctx, folder, pair, info, to, _part(progress, i, len(targets)), cancel))
    progress(100 * len(targets), 100 * len(targets))
    return ExportResult(folder, tuple(written), tuple(receipts))


def _part(progress: Progress, i: int, n: int) -> Progress:
    """The progress of the i-th of n packages, as a share of the whole export."""
    return lambda d, t: progress(i * 100 + (100 * d // max(t, 1)), 100 * n)


class Recipient(NamedTuple):
    """An office a package goes to, and the keys it is sealed for."""
    code: str
    name: str
    key_id: str
    keys: PublicKeys


def _export_one(ctx: Context, folder: Path, pair: KeyPair, info: KeyInfo, to: Recipient, progress: Progress,
                cancel: Cancel) -> PackageWritten:
    code, name, key_id, keys = to
    office = common.office(ctx)
    with ctx.store.engine.connect() as conn, conn.begin(), Session(bind=conn) as s:
        # one read transaction: the sequence range and the rows are the same snapshot
        epoch = store_epochs.current_epoch(s)
        confirmed = common.confirmed(s.get(SyncState, code), epoch.epoch)
        last = common.last_seq(s)
        seq_from, seq_to = confirmed + 1, max(last, confirmed)
        prev = s.scalar(select(SyncPackage.id).where(
            SyncPackage.direction == "out", SyncPackage.recipient == code, SyncPackage.sender_key_id == info.key_id,
            SyncPackage.sender_epoch == epoch.epoch).order_by(SyncPackage.no.desc()).limit(1)) or ""
        header = Header(package_id=uuid7(), direction="up" if office.role == "town" else "down",
                        sender=office.code, sender_name=office.name[:100], sender_key_id=info.key_id,
                        recipient=code, recipient_key_id=key_id, seq_from=seq_from, seq_to=seq_to, records=0,
                        created_at=utc_text(), epoch=epoch.epoch, epochs_before=epoch.ancestors, prev_package=prev)
        spool = ctx.data_dir / "tmp"
        spool.mkdir(exist_ok=True)
        writer = BodyWriter(header, spool)
        try:
            counts = write_body(conn, writer, Outgoing(office.code, seq_from, seq_to, ctx.data_dir,
                                                       None if epoch.root else epoch.started_seq), progress, cancel)
            body = writer.finish()
        except ValueRefused as e:
            writer.abort()
            raise SyncError(value_message(e, ours=True), "value") from e
        except BaseException:
            writer.abort()
            raise
    try:
        header = Header(**{**header.__dict__, "records": counts.records})
        body.seek(0, 2)
        size = body.tell()
        body.seek(0)
        final: dict = {}

        def produce(f) -> None:
            final["header"] = seal(f, header, body, pair, keys)

        path, sha = stick.write_file(folder, header.file_name, produce, need=size + 70_000)
        header = final["header"]
    finally:
        body.close()
    removed = _remove_superseded(folder, path, office.code, code, epoch.epoch)
    with ctx.store.session() as s:
        no = (s.scalar(select(func.max(SyncPackage.no)).where(SyncPackage.direction == "out")) or 0) + 1
        s.add(SyncPackage(id=header.package_id, direction="out", sender=office.code, sender_key_id=info.key_id,
                          recipient=code, seq_from=seq_from, seq_to=seq_to,
                          created_at=dt.datetime.fromisoformat(header.created_at), at=utcnow(), file_name=path.name,
                          sha256=sha, records=counts.records, tables=json.dumps(counts.tables, ensure_ascii=False),
                          sender_epoch=epoch.epoch, prev_id=prev, no=no, mode=""))
        st = common.state(s, code)
        if st.epoch != epoch.epoch:  # the first package of a new epoch (or key): nothing of it confirmed yet
            common.reset_stream(st)
            st.epoch = epoch.epoch
        st.last_export_at = utcnow()
        st.last_export_seq = seq_to
        st.last_export_file = str(path)[:300]
    log.info("exported %s to %s: epoch %s, seq %d-%d, %d records", path, code, epoch.epoch, seq_from, seq_to,
             counts.records)
    return PackageWritten(code, name, path, seq_from, seq_to, counts.records, dict(counts.tables),
                          counts.attachments, removed)


def _remove_superseded(folder: Path, path: Path, me: str, to: str, epoch: str) -> int:
    """Older packages of ours to the same office on the stick, of the same epoch, are covered by the
    new one. One of an earlier epoch (made before a restore) stays: it may hold the only copy of
    records this office lost in the restore, and the receiver keeps them (stale, sync/apply.py)."""
    removed = 0
    for old in common.scan(folder, PACKAGE_SUFFIX):
        if old.name == path.name or not old.name.startswith(f"pkg-{me}-{to}-"):
            continue
        try:
            same_epoch = read_header(old).epoch == epoch
        except SyncError:
            same_epoch = False  # damaged: the receiver will say so; not ours to judge here
        if same_epoch:
            removed += stick.remove_file(old)
    return removed


# ====================================================================== the body: the records of one package

def _encode(rows: Sequence[Sequence[Any]], kinds: tuple[str, ...]) -> Iterator[list]:
    binary = [i for i, k in enumerate(kinds) if k == "bytes"]
    for r in rows:
        if binary:
            out = list(r)
            for i in binary:
                if out[i] is not None:
                    out[i] = base64.b64encode(out[i]).decode("ascii")
            yield out
        else:
            yield list(r)


def changed_rows(conn: Connection, t: SyncTable, owner: str, seq_from: int, seq_to: int) -> Sequence[Sequence[Any]]:
    """Current rows of ``t`` owned by ``owner`` that changed in change_log (seq_from..seq_to)."""
    cols = ", ".join(engine.quoted(c) for c in t.columns)
    sql = (f"SELECT {cols} FROM {engine.quoted(t.name)} WHERE owner_code = ? AND id IN "
           f"(SELECT record_id FROM change_log WHERE table_name = ? AND seq BETWEEN ? AND ?) ORDER BY id")
    return conn.exec_driver_sql(sql, (owner, t.name, seq_from, seq_to)).fetchall()


@dataclass
class ExportCounts:
    tables: dict[str, int] = field(default_factory=dict)
    attachments: int = 0
    missing_attachments: int = 0

    @property
    def records(self) -> int:
        return sum(self.tables.values())


def fresh_ids(conn: Connection, t: SyncTable, started_seq: int, seq_from: int, seq_to: int) -> bool | frozenset[str]:
    """The records of ``t`` in a package of seq_from..seq_to that changed after ``started_seq`` (the
    start of the sender's current epoch): all of them when the package starts after it."""
    if seq_from > started_seq:
        return True
    rows = conn.exec_driver_sql("SELECT DISTINCT record_id FROM change_log WHERE table_name = ? AND seq > ? AND seq <= ?",
                                (t.name, started_seq, seq_to)).all()
    return frozenset(r[0] for r in rows)


@dataclass(frozen=True)
class Outgoing:
    """What one package carries: the records of ``owner`` changed in seq_from..seq_to, the attachments
    from ``data_dir``. ``fresh_after``: the start of our current epoch when it replaced an earlier one
    (store/epochs.py); the records changed since are marked fresh."""
    owner: str
    seq_from: int
    seq_to: int
    data_dir: Path
    fresh_after: int | None = None


def write_body(conn: Connection, writer: BodyWriter, out: Outgoing, progress: Callable[[int, int], None],
               cancel: Callable[[], bool]) -> ExportCounts:
    """Every record of ``out.owner`` changed in its range, table by table, checked by the same rules
    the receiver applies (sync/checks.py)."""
    owner, seq_from, seq_to, data_dir, fresh_after = out.owner, out.seq_from, out.seq_to, out.data_dir, out.fresh_after
    counts = ExportCounts()
    tables = engine.synced_tables()
    for i, t in enumerate(tables):
        if cancel():
            raise Cancelled()
        rows = changed_rows(conn, t, owner, seq_from, seq_to) if seq_to >= seq_from else []
        if not rows:
            continue
        check_outgoing(t, rows)
        fresh: bool | frozenset[str] = False
        if fresh_after is not None:
            fresh = fresh_ids(conn, t, fresh_after, seq_from, seq_to)
            if not isinstance(fresh, bool):
                id_i = t.index("id")
                ids = {r[id_i] for r in rows}
                fresh = frozenset(fresh & ids)
        writer.add_table(t.name, list(t.columns), _encode(rows, t.kinds), fresh)
        counts.tables[t.name] = len(rows)
        if t.name == engine.ATTACHMENT_TABLE and "sha256" in t.columns:
            sha_i = t.index("sha256")
            for r in rows:
                sha = r[sha_i]
                path = engine.attachment_path(data_dir, str(sha))
                if isinstance(sha, str) and len(sha) == 64 and path.is_file():
                    writer.add_attachment(sha, path)
                    counts.attachments += 1
                else:
                    counts.missing_attachments += 1
        progress(i + 1, len(tables))
    return counts
