"""Import: the packages on a stick, each judged and applied on its own (see PackageImport)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from congress_desktop.core.context import (
    Cancel,
    Context,
    Progress,
    check_cancel,
    never_cancel,
    no_progress,
)
from congress_desktop.core.errors import CongressError, NotFound
from congress_desktop.core.store import epochs as store_epochs
from congress_desktop.core.store.db import backup_copy
from congress_desktop.core.store.models import utcnow
from congress_desktop.core.store.models_sync import (
    SyncOwnKey,
    SyncPackage,
    SyncPeer,
    SyncQuarantine,
    SyncSeenEpoch,
    SyncState,
)
from congress_desktop.sync import apply as sync_apply
from congress_desktop.sync import common, engine, stick, streams
from congress_desktop.sync.checks import ValueRefused
from congress_desktop.sync.keys import KeyPair, PublicKeys
from congress_desktop.sync.messages import (
    after_import_warning,
    applied_message,
    value_message,
)
from congress_desktop.sync.package import (
    CORRUPT,
    PACKAGE_SUFFIX,
    RECEIPT_SUFFIX,
    BodyReader,
    Header,
    SyncError,
    open_body,
    read_header,
)
from congress_desktop.sync.receipts import Answer, make_receipt, read_receipts
from congress_desktop.sync.rows import ImportReport, KeyInfo, PackageOutcome

log = logging.getLogger(__name__)

# ====================================================================== import

def import_from(ctx: Context, source: str | Path, *, progress: Progress = no_progress,
                cancel: Cancel = never_cancel, backup: bool = True) -> ImportReport:
    """Every package addressed to us in ``source`` (a stick, a folder, or one file), each judged on its
    own and applied in its own transaction, with a signed receipt written back beside it; receipts
    found are read. One bad package never stops the others."""
    office = common.office(ctx)
    src = Path(source)
    if not src.exists():
        raise NotFound(f"找不到 {src}：U盘可能已被拔出")
    if src.is_file():
        folder = src.parent
        if src.suffix == RECEIPT_SUFFIX:
            packages, receipts_files = [], [src]
        else:
            packages, receipts_files = [src], []
    else:
        folder = stick.sync_folder(src) if (stick.sync_folder(src)).is_dir() else src
        packages, receipts_files = common.scan(src, PACKAGE_SUFFIX), None
    pair, info = common.my_pair(ctx)
    receipts = read_receipts(ctx, folder, info, receipts_files)
    # by sender, then in the order the sender made them, so several packages of one town apply in turn
    headers: list[tuple[Path, Header | None, SyncError | None]] = []
    skipped = 0
    for p in packages:
        try:
            h = read_header(p)
        except SyncError as e:
            headers.append((p, None, e))
            continue
        except Exception:  # one file on the stick never stops the others
            log.exception("package %s: header unreadable", p)
            headers.append((p, None, SyncError(CORRUPT, "corrupt")))
            continue
        if h.recipient != office.code and src.is_dir():
            skipped += 1
            continue
        headers.append((p, h, None))
    # a package whose epoch another package on the stick names as replaced goes after it: it is then
    # known to be from before its sender's restore (stale, or a fork the sender has outgrown)
    replaced = {(h.sender, e) for _, h, _ in headers if h for e in h.epochs_before}
    headers.sort(key=lambda x: (x[1].sender, (x[1].sender, x[1].epoch) in replaced, x[1].created_at, x[1].seq_to)
                 if x[1] else ("", False, "", 0))
    run = StickImport(ctx, pair, info, backup, progress, cancel)
    try:
        run.all(headers)
    finally:
        run.finish()
    return ImportReport(folder, tuple(run.outcomes), tuple(receipts), skipped, run.backup_path, tuple(run.warnings))


@dataclass
class _Prepared:
    """A package's file work, done: signature checked, body decrypted, manifest read, the first table
    files read and checked. An error is kept and raised by the import in its turn (signature first,
    body after the replay check), so the messages and their order are those of reading it on the spot."""
    reader: BodyReader | None = None
    body: IO[bytes] | None = None
    signature_error: SyncError | None = None
    body_error: SyncError | None = None

    def close(self) -> None:
        # the zip first: left to the garbage collector, its finaliser meets a closed file (and, run in
        # the middle of an unrelated compile(), trips CPython 3.11's recursion-depth check)
        if self.reader is not None:
            self.reader.close()
        if self.body is not None:
            self.body.close()


def _prepare(data_dir: Path, path: Path, header: Header, keys: PublicKeys, pair: KeyPair) -> _Prepared:
    """Runs on the read-ahead thread: files only, never the database."""
    from congress_desktop.sync.package import check_signature

    try:
        check_signature(path, header, keys)
    except SyncError as e:
        return _Prepared(signature_error=e)
    spool = data_dir / "tmp"
    try:
        body = open_body(path, header, pair, spool if spool.is_dir() else None)
    except SyncError as e:
        return _Prepared(body_error=e)
    try:
        reader = BodyReader(body, header)  # closes its zip itself when the manifest is refused
    except SyncError as e:
        body.close()
        return _Prepared(body_error=e)
    except BaseException:
        body.close()
        raise
    try:
        reader.preload()
    except BaseException:
        reader.close()
        body.close()
        raise
    return _Prepared(reader, body)


def _refused(path: Path, header: Header | None, e: SyncError, receipt: str = "", receipt_error: str = "") -> PackageOutcome:
    log.warning("package %s refused (%s): %s", path, e.kind if isinstance(e, SyncError) else "", e.message)
    return PackageOutcome(path.name, header.sender if header else "", header.sender_name if header else "",
                          "refused", e.message, header.seq_from if header else 0,
                          header.seq_to if header else 0, header.records if header else 0,
                          kind=getattr(e, "kind", "invalid"), receipt=receipt, receipt_error=receipt_error)


def _backup_before_sync(ctx: Context) -> Path:
    """A checked copy before the first package of an import applies (rotation: store/backups.py)."""
    return backup_copy(ctx.db_path, "sync")


MAX_CHANGES_PER_RECORD = 1000  # a record changed a thousand times between two exports: not a human's work
SEQ_SLACK = 100_000


def check_package(ctx: Context, header: Header, pair_info: KeyInfo) -> tuple[SyncPeer, str]:
    """Who sent it and whether we take it; raises SyncError with the reason. Returns (peer, status)."""
    office = common.office(ctx)
    with ctx.store.session() as s:
        if header.recipient != office.code:
            other = s.scalars(select(SyncPeer.name).where(SyncPeer.code == header.recipient)).first()
            raise SyncError(f"该数据包是发给“{other or header.recipient}”的，不是发给本单位的，已拒绝", "recipient")
        if header.recipient_key_id != pair_info.key_id:
            old = s.scalars(select(SyncOwnKey).where(SyncOwnKey.key_id == header.recipient_key_id)).first()
            if old is not None:
                raise SyncError("该数据包是用本单位已更换的旧密钥加密的，无法解密。请让对方导入本单位最新的"
                                "登记（或信任包）后重新导出", "old_key")
            raise SyncError("该数据包不是用本单位的密钥加密的，无法解密，已拒绝", "recipient")
        expected = "up" if office.role == "city" else "down"
        peer = s.scalars(select(SyncPeer).where(SyncPeer.key_id == header.sender_key_id)).first()
        if peer is None:
            known = s.scalars(select(SyncPeer).where(SyncPeer.code == header.sender)).first()
            if known is not None:
                raise SyncError(f"该数据包的签名密钥未在本单位登记：如果“{known.name}”更换了电脑或重新生成了密钥，"
                                "请先用新的登记文件“换机重新登记”", "sender_unknown")
            raise SyncError(f"数据包来自未登记的单位（{header.sender_name}，区划代码 {header.sender}），已拒绝。"
                            "如需接收，请先核对指纹并登记该单位的密钥", "sender_unknown")
        if peer.code != header.sender:
            raise SyncError(f"数据包声称来自区划代码 {header.sender}（{header.sender_name}），但签名密钥属于"
                            f"“{peer.name}”，已拒绝", "sender_mismatch")
        if peer.revoked_at is not None:
            raise SyncError(f"“{peer.name}”的这把密钥已于 {peer.revoked_at:%Y-%m-%d} 吊销"
                            f"（{peer.revoke_reason or '已吊销'}），它签发的数据包不再接收", "sender_revoked")
        if peer.role != common.other_role(office.role) or header.direction != expected:
            raise SyncError("数据包的方向不对（乡镇之间不交换数据包），已拒绝", "direction")
        span = header.seq_to - header.seq_from + 1
        if span > header.records * MAX_CHANGES_PER_RECORD + SEQ_SLACK:
            # a range no office could have made: applied, it would cover the sender's genuine
            # packages for good (they would look like replays)
            raise SyncError(f"数据包声称包含第 {header.seq_from}–{header.seq_to} 号变更，却只有 {header.records} 条记录，"
                            "序号不合理，已拒绝，本机数据未改变。请让对方用本程序重新导出", "seq")
        s.expunge(peer)
        return peer, expected


def _offset(progress: Progress, base: int, total: int) -> Callable[[int], None]:
    """One package's progress (records done in it) as the whole import's."""
    return lambda n: progress(base + n, total)


class StickImport:
    """One import from a stick: the packages in turn, each refused or applied on its own, the next one
    read ahead on a second thread, the indexes of a big import dropped and built once at the end."""

    def __init__(self, ctx: Context, pair: KeyPair, info: KeyInfo, backup: bool, progress: Progress, cancel: Cancel):
        self.ctx, self.pair, self.info = ctx, pair, info
        self.backup, self.progress, self.cancel = backup, progress, cancel
        self.outcomes: list[PackageOutcome] = []
        self.warnings: list[str] = []
        self.backup_path: Path | None = None
        self._writable: list[SyncError | None] = []
        self.bulk = engine.BulkLoad()
        self.epoch = ""

    def ensure_backup(self) -> None:
        if self.backup and self.backup_path is None:
            self.backup_path = _backup_before_sync(self.ctx)

    def ensure_writable(self, where: Path) -> None:
        if not self._writable:
            try:
                stick.check_writable(where)
                self._writable.append(None)
            except stick.StickError as e:
                self._writable.append(SyncError(e.message, e.kind))
        if self._writable[0] is not None:
            raise self._writable[0]

    def all(self, headers: list[tuple[Path, Header | None, SyncError | None]]) -> None:
        total = sum(h.records for _, h, _ in headers if h) or 1
        with self.ctx.store.session() as s:
            self.epoch = store_epochs.current_epoch(s).epoch
        done = 0
        # The next package is verified, decrypted, inflated and hashed on a second thread while this one
        # is written (that work runs without the GIL): about a twentieth of a big import. Depth one, so
        # at most two packages are held in memory. Only file work runs there; the database is read and
        # written here, in order.
        ahead: dict[int, Future[_Prepared]] = {}
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-read-ahead")

        def read_ahead(i: int) -> None:
            if i >= len(headers) or i in ahead or headers[i][1] is None:
                return
            path, header, _ = headers[i]
            assert header is not None
            try:
                peer, _ = check_package(self.ctx, header, self.info)
            except SyncError:
                return  # refused in its turn, with this same message
            ahead[i] = pool.submit(_prepare, self.ctx.data_dir, path, header, common.peer_keys(peer), self.pair)

        try:
            for i, (path, header, error) in enumerate(headers):
                check_cancel(self.cancel)
                base = done
                if error is not None:
                    self.outcomes.append(_refused(path, None, error))
                    continue
                assert header is not None
                read_ahead(i)
                read_ahead(i + 1)
                self.outcomes.append(self._judged(path, header, ahead.pop(i, None), _offset(self.progress, base, total)))
                done = base + header.records
                self.progress(done, total)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for f in ahead.values():  # read ahead, not used (cancelled, or an error above)
                if not f.cancelled() and f.exception() is None:
                    f.result().close()

    def _judged(self, path: Path, header: Header, ahead: Future[_Prepared] | None,
                progress: Callable[[int], None]) -> PackageOutcome:
        """One package, whatever happens to it: a bad one is refused with its reason and the next one
        is tried (an error nobody foresaw included: logged, and said in Chinese)."""
        try:
            return self._one(path, header, ahead, progress)
        except ValueRefused as e:
            return _refused(path, header, SyncError(value_message(e), "value"))
        except _Forked as e:
            return _refused(path, header, e.error, e.receipt, e.receipt_error)
        except SyncError as e:
            return _refused(path, header, e)
        except CongressError as e:
            if e.code == "cancelled":
                raise
            return _refused(path, header, SyncError(e.message, e.code))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:
            log.exception("package %s: unexpected error", path)
            return _refused(path, header, SyncError(
                f"导入时出现意外错误（{type(e).__name__}），整个数据包未导入，本机数据未改变；详细信息已写入日志。"
                "其他数据包不受影响", "internal"))

    def _one(self, path: Path, header: Header, ahead: Future[_Prepared] | None,
             progress: Callable[[int], None]) -> PackageOutcome:
        try:
            peer, _ = check_package(self.ctx, header, self.info)
        except BaseException:
            if ahead is not None and ahead.exception() is None:
                ahead.result().close()  # read ahead, but this office no longer takes it
            raise
        prepared = ahead.result() if ahead is not None else _prepare(self.ctx.data_dir, path, header,
                                                                     common.peer_keys(peer), self.pair)
        try:
            return PackageImport(self, path, header, peer, prepared).run(progress)
        finally:
            prepared.close()

    def receipt(self, path: Path, header: Header, answer: Answer) -> tuple[str, str]:
        """Write a signed receipt beside the package: (its name, '') or ('', why it could not be written)."""
        name, data = make_receipt(self.ctx, self.pair, self.info, header, answer, self.epoch)
        try:
            self.ensure_writable(path.parent)
            stick.write_bytes(path.parent, name, data)
            return name, ""
        except (stick.StickError, SyncError) as e:
            return "", (f"回执未能写入：{e.message} 数据已导入；请插好U盘后再导入一次同一个数据包，"
                        "程序会只补写回执，不会重复导入")

    def finish(self) -> None:
        ctx = self.ctx
        try:
            if self.bulk.tables:  # also after a cancel or an error: the indexes dropped for a big import come back
                self.progress(0, 0)  # a busy bar: seconds per million rows, with nothing to count
                with ctx.store.engine.begin() as conn:
                    self.bulk.rebuild(conn)
        except Exception:  # the packages are in and their receipts written: do not lose the report
            log.exception("rebuilding the indexes after the import failed; the next start builds them")
            self.warnings.append("导入后重建索引没有完成（数据已导入，不受影响）；下次启动程序或运行“检查数据”时会自动重建")
        # the pooled connection keeps the big page cache and the long checkpoint interval of apply_body
        # from one package to the next (the pages of the indexes stay warm), and goes back to the usual
        # settings, with one checkpoint, once all are done
        try:
            with ctx.store.engine.connect() as conn:
                engine.end_import(conn)
        except Exception as e:  # the packages are applied and confirmed: say so, then warn (disk full?)
            log.exception("the final checkpoint after the import failed")
            self.warnings.append(after_import_warning(ctx, e))


@dataclass
class _Seen:
    """What this office already holds of a package's stream, read before anything is written."""
    replay: bool             # the same changes again (our receipt was lost): nothing new to apply
    fork: SyncPackage | None  # the package we hold that follows the same point as this one
    outgrown: bool           # a fork of an epoch its sender has replaced since
    serial: int              # the last receipt serial issued to the sender
    mark: int                # the contiguous point we hold of the stream
    gaps: list[tuple[int, int]]


@dataclass
class _Written:
    """One package applied in its transaction: what it did, and what its receipt says."""
    result: sync_apply.ApplyResult
    stream: sync_apply.Stream
    serial: int
    mark: int
    gaps: list[tuple[int, int]]
    kept: dict | None
    current_epoch: str | None


class PackageImport:
    """One package of an import, step by step: what we hold of its stream already (``_look``), the
    packages that change nothing (``_not_applied``: outgrown, forked, a replay), the transaction that
    applies it (``_write``), and its receipt and outcome (``_applied``)."""

    def __init__(self, run: StickImport, path: Path, header: Header, peer: SyncPeer, prepared: _Prepared):
        self.run_, self.ctx = run, run.ctx
        self.path, self.header, self.peer, self.prepared = path, header, peer, prepared
        self.key = streams.StreamKey.of(header)

    def run(self, progress: Callable[[int], None]) -> PackageOutcome:
        if self.prepared.signature_error is not None:
            raise self.prepared.signature_error
        seen = self._look()
        done = self._not_applied(seen)
        if done is not None:
            return done
        self.run_.ensure_writable(self.path.parent)  # a receipt must be possible before anything is applied
        if self.prepared.body_error is not None:
            raise self.prepared.body_error
        reader = self.prepared.reader
        assert reader is not None
        self.run_.ensure_backup()
        return self._applied(self._write(reader, progress))

    def _look(self) -> _Seen:
        header, peer, key = self.header, self.peer, self.key
        with self.ctx.store.session() as s:
            streams.adopt_legacy(s, header)
            known = s.get(SyncPackage, header.package_id)
            replay = known is not None and known.direction == "in"
            # a fork first: a file put back to an older copy reuses numbers we hold, so its package
            # would look covered (a replay, or older) and its receipt would confirm what we never got
            fork = None if replay else streams.forked(s, header)
            # a forked package of an epoch its sender has replaced since (it read our fork receipt and
            # sent everything again): nothing in it we need; it only waits on the stick to be let go
            outgrown = fork is not None and streams.replaced(s, header)
            if fork is None and not replay and header.seq_to >= header.seq_from and streams.covered(
                    s, key, header.seq_from, header.seq_to):
                if header.seq_to < streams.newest_seq(s, key):
                    raise SyncError(f"该数据包比已导入的数据旧（第 {header.seq_from}–{header.seq_to} 号变更都已导入过），"
                                    f"已忽略，本机数据未改变。请导入“{peer.name}”最新导出的数据包", "older")
                replay = True  # the same changes again (our receipt was lost): nothing new to apply
            # a refusal changes nothing here, not even the receipt counter: its receipt repeats the last
            # serial (the town takes receipts by the package they answer, not by serial)
            st = s.get(SyncState, peer.code)
            serial = st.issued_receipts if st else 0
            mark, gaps = streams.received_mark(s, key)
        return _Seen(replay, fork, outgrown, serial, mark, gaps)

    def _not_applied(self, seen: _Seen) -> PackageOutcome | None:
        path, header, peer = self.path, self.header, self.peer
        if seen.outgrown:
            stick.remove_file(path)
            return PackageOutcome(path.name, peer.code, peer.name, "already",
                                  "这个数据包在对方的数据库被换成较早的副本之后导出，对方随后已重新编号并把全部记录"
                                  "重新发来，本次未作任何改动，已从U盘删除", header.seq_from, header.seq_to,
                                  header.records)
        if seen.fork is not None:
            # what we hold follows another package of the same point: the sender's file was put back
            fork = seen.fork
            e = SyncError(f"“{peer.name}”的数据库曾被换成较早的副本（这个数据包与以前导入的 {fork.file_name or fork.id} "
                          "接在同一处），本次未导入，本机数据未改变。回执已请对方重新编号后把全部记录再发一遍", "fork")
            receipt, receipt_error = self.run_.receipt(path, header, Answer(seen.serial, seen.mark, "fork"))
            raise _Forked(e, receipt, receipt_error)
        if seen.replay:
            receipt, receipt_error = self.run_.receipt(path, header, Answer(seen.serial, seen.mark, "already"))
            return PackageOutcome(path.name, peer.code, peer.name, "already",
                                  "该数据包以前已导入过，本次未作任何改动" + ("，已重新写回执" if receipt else ""),
                                  header.seq_from, header.seq_to, header.records, receipt=receipt,
                                  receipt_error=receipt_error, gap=common.gap_text(seen.gaps))
        return None

    def _write(self, reader: BodyReader, progress: Callable[[int], None]) -> _Written:
        """The package applied in one transaction; any error undoes all of it."""
        bulk = self.run_.bulk
        dropped_before = set(bulk.tables)
        try:
            with self.ctx.store.session() as s:
                stream = streams.classify(s, self.header)
                conn = s.connection()
                result = sync_apply.Applier(conn, reader, stream, self.ctx.data_dir, progress, self.run_.cancel,
                                            bulk).run()
                sync_apply.write_kept(conn, self.peer.code, result)
                now = utcnow()
                self._record(s, result, stream, now)
                st = common.state(s, self.peer.code)
                st.issued_receipts += 1
                st.last_import_at = now
                s.flush()
                mark, gaps = streams.received_mark(s, self.key)
                kept = None if stream.stale else sync_apply.kept_list(conn, self.peer.code)
                current = s.get(SyncSeenEpoch, stream.current_id) if stream.stale else None
                return _Written(result, stream, st.issued_receipts, mark, gaps, kept,
                                current.epoch if current is not None else None)
        except BaseException as e:
            bulk.tables = dropped_before  # the rollback brought this package's dropped indexes back
            self._failed(e)
            raise

    def _record(self, s: Session, result: sync_apply.ApplyResult, stream: sync_apply.Stream,
                now: dt.datetime) -> None:
        """The package, and the records it held back, as this office keeps them."""
        header, peer = self.header, self.peer
        for q in result.quarantine:
            s.add(SyncQuarantine(package_id=header.package_id, sender=peer.code, table_name=q.table,
                                 record_id=q.record_id, version=q.version, reason=q.reason,
                                 local_row=sync_apply.dump_json(q.local_row),
                                 incoming_row=sync_apply.dump_json(q.incoming_row), at=now,
                                 resolved=q.resolved))
        s.add(SyncPackage(id=header.package_id, direction="in", sender=peer.code,
                          sender_key_id=header.sender_key_id, recipient=header.recipient,
                          seq_from=header.seq_from, seq_to=header.seq_to,
                          created_at=dt.datetime.fromisoformat(header.created_at), at=now,
                          file_name=self.path.name[:300], sha256="", records=header.records,
                          applied=result.applied, unchanged=result.unchanged, older=result.older,
                          quarantined=result.quarantined,
                          tables=json.dumps(result.tables, ensure_ascii=False),
                          sender_epoch=header.epoch, prev_id=header.prev_package, no=0,
                          mode="stale" if stream.stale else ""))

    def _failed(self, e: BaseException) -> None:
        """An error while applying: the package refused whole, said in Chinese (re-raised otherwise)."""
        if isinstance(e, (IntegrityError, sqlite3.IntegrityError)):
            error = SyncError("数据包中的记录引用了本机没有的记录，或与本机的记录冲突，已整包拒绝，本机数据未改变。"
                              "回执已告诉对方本机收到哪里，请对方再导出一次（会包含缺少的部分）", "integrity")
            # what it refers to may be what we lost in a restore of ours: the receipt says where we
            # stand, so the sender sends that part again (without a receipt it would never know)
            with self.ctx.store.session() as s:
                st = s.get(SyncState, self.peer.code)
                serial = st.issued_receipts if st else 0  # nothing written: see the fork above
                mark, _ = streams.received_mark(s, self.key)
            receipt, receipt_error = self.run_.receipt(self.path, self.header, Answer(serial, mark, "refused"))
            raise _Forked(error, receipt, receipt_error) from e
        if isinstance(e, (OperationalError, sqlite3.OperationalError)):
            raise SyncError(f"写入数据库时出错（{getattr(e, 'orig', e)}），已整包撤销，本机数据未改变",
                            "database") from e

    def _applied(self, w: _Written) -> PackageOutcome:
        path, header, peer, result, stream = self.path, self.header, self.peer, w.result, w.stream
        counts: dict[str, object] = {"applied": result.applied, "unchanged": result.unchanged,
                                     "older": result.older, "quarantined": result.quarantined,
                                     "superseded": result.superseded}
        if w.current_epoch is not None:  # what we take for the sender's current epoch (it may not know it)
            counts["current_epoch"] = w.current_epoch
        receipt, receipt_error = self.run_.receipt(path, header, Answer(
            w.serial, w.mark, "stale" if stream.stale else "applied", counts, w.kept))
        if receipt and not receipt_error:
            stick.remove_file(path)  # applied and confirmed: no reason to leave personal data on the stick
        msg = applied_message(result, stream)
        if w.gaps:
            msg += f"。注意：{common.gap_text(w.gaps)}，回执已请对方重新发送"
        log.info("applied %s from %s: %s", path.name, peer.code, msg)
        return PackageOutcome(path.name, peer.code, peer.name, "applied", msg, header.seq_from, header.seq_to,
                              header.records, result.applied, result.unchanged, result.older, result.quarantined,
                              dict(result.tables), receipt=receipt, receipt_error=receipt_error,
                              gap=common.gap_text(w.gaps), superseded=result.superseded, stale=stream.stale,
                              kept=sum(1 for k in result.kept))


class _Forked(Exception):
    """A refusal that still wrote a receipt (a fork, a package that refers to what we lack)."""

    def __init__(self, error: SyncError, receipt: str, receipt_error: str):
        super().__init__(error.message)
        self.error, self.receipt, self.receipt_error = error, receipt, receipt_error


