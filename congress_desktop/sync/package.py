"""The package file, and the small signed documents around it (enrolment, trust bundle, receipt).

A package file is::

    MAGIC (8 bytes "CDSYNCPK")
    header length (4 bytes, big-endian), header (UTF-8 JSON, clear text, at most 64 KiB):
        format, kind, package_id, direction, sender, sender_name, sender_key_id, recipient,
        recipient_key_id, seq_from, seq_to, records, created_at, body_size, ephemeral, nonce,
        and from format 2: epoch, epochs_before, prev_package (store/epochs.py: the sequence numbers
        count within the sender's epoch; prev_package lets the receiver see a fork)
    body: AES-256-GCM ciphertext of a zip (body_size bytes), then the 16-byte GCM tag
    signature: 64 bytes, Ed25519 by the sender over SHA-256 of everything before it

The AES key comes from X25519(ephemeral private key, recipient's public key) through HKDF-SHA256, so
only the recipient can read the body; the header is the AEAD's associated data, so it cannot be
changed either. The signature is checked before anything is decrypted: a package from an office we
do not trust is refused without touching its body.

The body zip holds ``manifest.json`` (package identity again, and per table: file, columns, rows,
size, sha256, and from format 2 ``fresh``: the records changed since the sender's epoch began;
attachments: sha256, size), ``data/<table>.jsonl`` (one JSON array per record, in the
manifest's column order) and ``attachments/<sha256>``. Every name, size, count and hash is checked;
anything unexpected refuses the whole package. Table files are read as a stream, line by line, with
a cap on the length of a line and on the number of rows, so memory stays bounded whatever a package
holds (a few MB that inflate to a GiB of short lines are refused at the manifest or the first lines).

Nothing here touches the database: see sync/engine.py."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from congress_desktop.core.files import canonical_json_bytes
from congress_desktop.sync.documents import (  # noqa: F401 (re-exported: callers import them from here)
    DOC_CONTEXT,
    DOC_FORMAT,
    MAX_DOCUMENT,
    SIG_SIZE,
    SyncError,
    b64,
    canonical,
    document_signed_by,
    parse_utc,
    read_document,
    sign_document,
    unb64,
    utc_text,
)
from congress_desktop.sync.keys import KeyPair, PublicKeys

FORMAT = 2
READABLE = (1, 2)              # format 1: before epochs (read as the sender's epoch '')
MAGIC = b"CDSYNCPK"
PACKAGE_SUFFIX = ".cdsync"
RECEIPT_SUFFIX = ".cdrcpt"
TAG_SIZE = 16
CHUNK = 1 << 20

# Limits: far above anything real (a town's whole history is some MB), low enough that a hostile or
# broken file cannot exhaust memory or disk.
MAX_HEADER = 64 * 1024
MAX_BODY = 4 * 1024**3
MAX_MEMBERS = 200_000
MAX_MEMBER = 1024**3             # one table file or one attachment, uncompressed
MAX_TOTAL = 8 * 1024**3          # all members, uncompressed
MAX_RATIO = 1000                 # uncompressed / compressed, for members over 1 MiB (zip bombs)
MAX_MANIFEST = 16 * 1024**2
MAX_SEQ = 2**53
MAX_RECORDS = 10_000_000         # in one package
MAX_TABLE_ROWS = 2_000_000       # of one table in one package
MAX_LINE = 16 * 1024**2          # one record as JSON
MIN_ROW_BYTES = 60               # id, owner, version, deleted and two times: no real record is shorter
CHUNK_BYTES = 8 * 1024**2        # rows handed to the database at once, at most
SPOOL_IN_MEMORY = 64 * 1024**2
PRELOAD_MAX = 64 * 1024**2       # table files read ahead for the next package, uncompressed
MAX_ANCESTORS = 32
MAX_ATTACHMENT = 200 * 1024**2   # the program stores at most 100 MB per attachment

CODE_RE = re.compile(r"^\d{12}\Z")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
HEX16_RE = re.compile(r"^[0-9a-f]{16}\Z")
SHA_RE = re.compile(r"^[0-9a-f]{64}\Z")
TABLE_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}\Z")
MEMBER_RE = re.compile(r"^(manifest\.json|data/[a-z][a-z0-9_]{0,62}\.jsonl|attachments/[0-9a-f]{64})\Z")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\Z")

HKDF_INFO = b"congress-desktop/sync/package/v1"
SIG_CONTEXT = b"congress-desktop/sync/package-signature/v1\0"


def _check_ending(table: TableData, unfinished: bool, count: int, sha256: str) -> None:
    """A table file read to its end: whole, with the manifest's line count and hash."""
    if unfinished:
        raise _bad(f"数据文件 {table.name} 不完整")
    if count != table.rows:
        raise _bad(f"数据文件 {table.name} 的记录数与清单不符", "manifest")
    if sha256 != table.sha256:
        raise SyncError(f"数据文件 {table.name} 的校验值与清单不符：数据包已损坏", "hash")


_TABLE_KEYS = frozenset({"name", "file", "columns", "rows", "size", "sha256"})  # a manifest table line


def _dir(spool_dir: Path | None) -> str | None:
    return str(spool_dir) if spool_dir is not None else None


# ------------------------------------------------------------------ package header

HEADER_FIELDS_V1: dict[str, type] = {
    "format": int, "kind": str, "package_id": str, "direction": str, "sender": str, "sender_name": str,
    "sender_key_id": str, "recipient": str, "recipient_key_id": str, "seq_from": int, "seq_to": int,
    "records": int, "created_at": str, "body_size": int, "ephemeral": str, "nonce": str,
}
HEADER_FIELDS: dict[str, type] = {**HEADER_FIELDS_V1, "epoch": str, "epochs_before": list, "prev_package": str}


@dataclass(frozen=True)
class Header:
    package_id: str
    direction: str          # up (town -> city) / down (city -> town)
    sender: str
    sender_name: str
    sender_key_id: str
    recipient: str
    recipient_key_id: str
    seq_from: int
    seq_to: int
    records: int
    created_at: str
    body_size: int = 0
    ephemeral: str = ""
    nonce: str = ""
    format: int = FORMAT
    epoch: str = ""                       # the sender's epoch ('' in a format-1 package)
    epochs_before: tuple[str, ...] = ()   # the epochs it replaced, oldest first
    prev_package: str = ""                # the sender's previous package to this receiver in this epoch

    def as_dict(self) -> dict:
        d = {"format": self.format, "kind": "package", "package_id": self.package_id,
             "direction": self.direction, "sender": self.sender, "sender_name": self.sender_name,
             "sender_key_id": self.sender_key_id, "recipient": self.recipient,
             "recipient_key_id": self.recipient_key_id, "seq_from": self.seq_from, "seq_to": self.seq_to,
             "records": self.records, "created_at": self.created_at, "body_size": self.body_size,
             "ephemeral": self.ephemeral, "nonce": self.nonce}
        if self.format >= 2:
            d |= {"epoch": self.epoch, "epochs_before": list(self.epochs_before), "prev_package": self.prev_package}
        return d

    def to_bytes(self) -> bytes:
        return canonical_json_bytes(self.as_dict())

    @property
    def file_name(self) -> str:
        # the id's random end: its first digits are a time that stays the same for a minute, and a
        # package from before a restore may carry the same last number as one made after it
        return f"pkg-{self.sender}-{self.recipient}-{self.seq_to:010d}-{self.package_id[-12:]}{PACKAGE_SUFFIX}"

    @property
    def total_size(self) -> int:
        return len(MAGIC) + 4 + len(self.to_bytes()) + self.body_size + TAG_SIZE + SIG_SIZE


CORRUPT = "数据包已损坏，无法读取（文件内容被改动，或不是本程序生成的数据包）"
TRUNCATED = "数据包不完整：文件比应有的短，可能在写入时被中断或U盘被提前拔出。请让对方重新导出"


def _header_from(raw: bytes) -> Header:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SyncError(CORRUPT, "corrupt") from e
    if not isinstance(doc, dict):
        raise SyncError(CORRUPT, "corrupt")
    fmt = doc.get("format")
    if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
        raise SyncError(f"该数据包由更新版本的程序生成（格式 {fmt}），本程序只能读取格式 {FORMAT}。"
                        "请先升级本程序再导入", "format")
    fields = HEADER_FIELDS_V1 if fmt == 1 else HEADER_FIELDS
    if set(doc) != set(fields) or doc.get("kind") != "package":
        raise SyncError(CORRUPT, "corrupt")
    for key, typ in fields.items():
        if not isinstance(doc[key], typ) or isinstance(doc[key], bool):
            raise SyncError(CORRUPT, "corrupt")
    if isinstance(fmt, int) and fmt >= 2:
        before = doc["epochs_before"]
        if (not UUID_RE.match(doc["epoch"]) or len(before) > MAX_ANCESTORS
                or not all(isinstance(e, str) and UUID_RE.match(e) for e in before)
                or len(set(before)) != len(before) or doc["epoch"] in before
                or not (doc["prev_package"] == "" or UUID_RE.match(doc["prev_package"]))):
            raise SyncError(CORRUPT, "corrupt")
        doc["epochs_before"] = tuple(before)
    ok = (doc["format"] in READABLE and UUID_RE.match(doc["package_id"]) and doc["direction"] in ("up", "down")
          and CODE_RE.match(doc["sender"]) and CODE_RE.match(doc["recipient"])
          and HEX16_RE.match(doc["sender_key_id"]) and HEX16_RE.match(doc["recipient_key_id"])
          and 0 < len(doc["sender_name"]) <= 100
          and 0 <= doc["seq_from"] <= MAX_SEQ and 0 <= doc["seq_to"] <= MAX_SEQ
          and doc["seq_from"] <= doc["seq_to"] + 1 and 0 <= doc["records"] <= MAX_RECORDS
          and ISO_RE.match(doc["created_at"]) and 0 <= doc["body_size"] <= MAX_BODY)
    if not ok:
        raise SyncError(CORRUPT, "corrupt")
    try:
        unb64(doc["ephemeral"], 32)
        unb64(doc["nonce"], 12)
        parse_utc(doc["created_at"])
    except ValueError as e:
        raise SyncError(CORRUPT, "corrupt") from e
    doc.pop("kind")
    return Header(**doc)


def read_header(path: Path) -> Header:
    """The clear-text header, after checking the file's size against it (a short file is refused here)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(len(MAGIC) + 4)
            if len(head) < len(MAGIC) + 4:
                short = MAGIC.startswith(head[:len(MAGIC)])
                raise SyncError(TRUNCATED if short else CORRUPT, "truncated" if short else "corrupt")
            if head[:len(MAGIC)] != MAGIC:
                raise SyncError("这不是同步数据包，或文件开头已损坏", "corrupt")
            (length,) = struct.unpack(">I", head[len(MAGIC):])
            if length > MAX_HEADER or length < 2:
                raise SyncError(CORRUPT, "corrupt")
            raw = f.read(length)
    except OSError as e:
        raise read_error(e) from e
    if len(raw) < length:
        raise SyncError(TRUNCATED, "truncated")
    header = _header_from(raw)
    try:
        spelled = header.to_bytes()
    except UnicodeEncodeError as e:  # a lone surrogate in a text field: no header we write
        raise SyncError(CORRUPT, "corrupt") from e
    if spelled != raw:  # one spelling only: nothing hides in whitespace or key order
        raise SyncError(CORRUPT, "corrupt")
    if size < header.total_size:
        raise SyncError(TRUNCATED, "truncated")
    if size > header.total_size:
        raise SyncError("数据包末尾有多余的内容，文件已损坏", "corrupt")
    return header


def read_error(e: OSError) -> SyncError:
    return SyncError(f"读取文件时出错：{e.strerror or e}。如果是U盘，请检查是否已插好，必要时复制到本机后再导入",
                     "io")


def _aes_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=HKDF_INFO).derive(shared)


def seal(out: IO[bytes], header: Header, body: IO[bytes], sender: KeyPair, recipient: PublicKeys) -> Header:
    """Encrypt ``body`` (a readable binary file at position 0) to ``recipient`` and sign; write to ``out``."""
    body.seek(0, os.SEEK_END)
    body_size = body.tell()
    body.seek(0)
    if body_size > MAX_BODY:
        raise SyncError("要导出的数据超过了单个数据包的上限（4 GB），请联系技术支持", "limits")
    eph = X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    nonce = os.urandom(12)
    key = _aes_key(eph.exchange(recipient.box_key()), eph_pub, recipient.box)
    header = Header(**{**header.__dict__, "body_size": body_size, "ephemeral": b64(eph_pub), "nonce": b64(nonce)})
    raw = header.to_bytes()
    prefix = MAGIC + struct.pack(">I", len(raw)) + raw
    digest = hashlib.sha256(prefix)
    out.write(prefix)
    enc = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(prefix)
    while chunk := body.read(CHUNK):
        ct = enc.update(chunk)
        digest.update(ct)
        out.write(ct)
    tail = enc.finalize() + enc.tag
    digest.update(tail)
    out.write(tail)
    out.write(sender.sign(SIG_CONTEXT + digest.digest()))
    return header


def check_signature(path: Path, header: Header, sender: PublicKeys) -> None:
    """Ed25519 over the whole file before the signature, read once from disk."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            remaining = header.total_size - SIG_SIZE
            while remaining > 0:
                chunk = f.read(min(CHUNK, remaining))
                if not chunk:
                    raise SyncError(TRUNCATED, "truncated")
                digest.update(chunk)
                remaining -= len(chunk)
            sig = f.read(SIG_SIZE)
    except OSError as e:
        raise read_error(e) from e
    if len(sig) != SIG_SIZE or not sender.verify(sig, SIG_CONTEXT + digest.digest()):
        raise SyncError("数据包签名校验失败：文件在导出后被改动或已损坏，或不是该单位签发的。请让对方重新导出", "signature")


def open_body(path: Path, header: Header, me: KeyPair, spool_dir: Path | None = None) -> IO[bytes]:
    """Decrypt the body into a temporary file (memory up to 64 MiB, then ``spool_dir``).

    Call after :func:`check_signature`. The plaintext is used only after the GCM tag checked out."""
    key = _aes_key(me.box_private.exchange(_peer(header.ephemeral)), unb64(header.ephemeral, 32),
                   me.public.box)
    raw = header.to_bytes()
    prefix = MAGIC + struct.pack(">I", len(raw)) + raw
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=_dir(spool_dir))
    try:
        with open(path, "rb") as f:
            f.seek(len(prefix) + header.body_size)
            tag = f.read(TAG_SIZE)
            f.seek(len(prefix))
            dec = Cipher(algorithms.AES(key), modes.GCM(unb64(header.nonce, 12), tag)).decryptor()
            dec.authenticate_additional_data(prefix)
            remaining = header.body_size
            while remaining > 0:
                chunk = f.read(min(CHUNK, remaining))
                if not chunk:
                    raise SyncError(TRUNCATED, "truncated")
                out.write(dec.update(chunk))
                remaining -= len(chunk)
            dec.finalize()
    except InvalidTag as e:
        out.close()
        raise SyncError("数据包无法解密：它不是用本单位当前的密钥加密的，或内容已损坏", "decrypt") from e
    except OSError as e:
        out.close()
        raise read_error(e) from e
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def _peer(ephemeral_b64: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(unb64(ephemeral_b64, 32))


# ------------------------------------------------------------------ body (zip)

@dataclass
class TableData:
    name: str
    columns: list[str]
    rows: int
    sha256: str
    size: int
    # records changed since the sender's epoch began (format 2): True = all of them; ids; or none
    fresh: bool | frozenset[str] = False

    def is_fresh(self, record_id: str) -> bool:
        return self.fresh is True or (bool(self.fresh) and record_id in self.fresh)  # type: ignore[operator]


@dataclass
class Manifest:
    package_id: str
    sender: str
    recipient: str
    seq_from: int
    seq_to: int
    tables: list[TableData] = field(default_factory=list)
    attachments: dict[str, int] = field(default_factory=dict)  # sha256 -> size

    @property
    def records(self) -> int:
        return sum(t.rows for t in self.tables)


class BodyWriter:
    """Builds the body zip in a temporary file: add tables row by row, then attachments."""

    def __init__(self, header: Header, spool_dir: Path | None = None):
        self.header = header
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=_dir(spool_dir))
        self.zip = zipfile.ZipFile(self.file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.tables: list[TableData] = []
        self.attachments: dict[str, int] = {}

    def add_table(self, name: str, columns: list[str], rows: Iterator[list] | list[list],
                  fresh: bool | frozenset[str] = False) -> int:
        digest = hashlib.sha256()
        count = size = 0
        with self.zip.open(f"data/{name}.jsonl", "w", force_zip64=True) as member:
            buf = io.BytesIO()
            for row in rows:
                line = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
                buf.write(line)
                count += 1
                if buf.tell() > CHUNK:
                    data = buf.getvalue()
                    digest.update(data)
                    member.write(data)
                    size += len(data)
                    buf = io.BytesIO()
            data = buf.getvalue()
            digest.update(data)
            member.write(data)
            size += len(data)
        self.tables.append(TableData(name, list(columns), count, digest.hexdigest(), size, fresh))
        return count

    def abort(self) -> None:
        """Give up: the zip is closed before its file (its finaliser would write to a closed file)."""
        try:
            self.zip.close()
        except (OSError, ValueError):
            pass
        self.file.close()

    def add_attachment(self, sha256: str, path: Path) -> None:
        if sha256 in self.attachments:
            return
        self.zip.write(path, f"attachments/{sha256}")
        self.attachments[sha256] = path.stat().st_size

    def finish(self) -> IO[bytes]:
        h = self.header
        manifest = {
            "format": h.format, "package_id": h.package_id, "sender": h.sender, "recipient": h.recipient,
            "seq_from": h.seq_from, "seq_to": h.seq_to,
            "tables": [{"name": t.name, "file": f"data/{t.name}.jsonl", "columns": t.columns, "rows": t.rows,
                        "size": t.size, "sha256": t.sha256}
                       | ({"fresh": t.fresh if isinstance(t.fresh, bool) else sorted(t.fresh)} if t.fresh else {})
                       for t in self.tables],
            "attachments": [{"sha256": k, "size": v} for k, v in sorted(self.attachments.items())],
        }
        self.zip.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        self.zip.close()
        self.file.seek(0)
        return self.file


BODY_BAD = "数据包内容不符合格式要求（{}），已拒绝导入。请让对方用本程序重新导出"


def _bad(reason: str, kind: str = "body") -> SyncError:
    return SyncError(BODY_BAD.format(reason), kind)


class BodyReader:
    """Strict reader of a decrypted body: names, sizes, counts and hashes, all checked."""

    def __init__(self, file: IO[bytes], header: Header):
        self.header = header
        self._lines: dict[str, list[bytes]] = {}  # table -> its lines, when preloaded
        self._errors: dict[str, SyncError] = {}  # table -> what preloading it found wrong
        try:
            self.zip = zipfile.ZipFile(file)
            infos = self.zip.infolist()
        except Exception as e:  # BadZipFile, struct.error, NotImplementedError("zip file version …"), …
            raise _bad("不是有效的压缩包") from e
        try:
            self._check_members(infos)
            self.manifest = self._manifest()
        except BaseException:
            self.zip.close()
            raise

    def _check_members(self, infos: list[zipfile.ZipInfo]) -> None:
        if len(infos) > MAX_MEMBERS:
            raise _bad(f"文件数超过 {MAX_MEMBERS}", "limits")
        total = 0
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if not MEMBER_RE.match(name) or name in self.members:
                raise _bad(f"含有不允许的文件名“{name[:80]}”", "paths")
            if info.flag_bits & 0x1:
                raise _bad("含有加密的文件")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _bad("压缩方式不支持")
            if info.file_size > MAX_MEMBER or info.file_size < 0:
                raise _bad(f"文件“{name}”大小异常", "limits")
            if info.file_size > 1024**2 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise _bad(f"文件“{name}”压缩比异常", "limits")
            total += info.file_size
            self.members[name] = info
        if total > MAX_TOTAL:
            raise _bad("解压后总大小异常", "limits")
        if "manifest.json" not in self.members:
            raise _bad("缺少清单 manifest.json")

    def read_member(self, name: str, limit: int) -> bytes:
        info = self.members[name]
        if info.file_size > limit:
            raise _bad(f"文件“{name}”大小异常", "limits")
        try:
            with self.zip.open(info) as f:
                data = f.read(limit + 1)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, struct.error,
                NotImplementedError) as e:
            raise _bad(f"文件“{name}”已损坏") from e
        except Exception as e:  # zlib.error and friends from a forged stream
            raise _bad(f"文件“{name}”已损坏") from e
        if len(data) != info.file_size:
            raise _bad(f"文件“{name}”大小与目录不符", "limits")
        return data

    def _manifest(self) -> Manifest:
        raw = self.read_member("manifest.json", MAX_MANIFEST)
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise _bad("清单无法读取") from e
        h = self.header
        if not isinstance(doc, dict) or doc.get("format") != h.format:
            raise _bad("清单格式不对")
        same = (doc.get("package_id") == h.package_id and doc.get("sender") == h.sender
                and doc.get("recipient") == h.recipient and doc.get("seq_from") == h.seq_from
                and doc.get("seq_to") == h.seq_to)
        if not same:
            raise _bad("清单与数据包头不一致", "manifest")
        tables, atts = doc.get("tables"), doc.get("attachments")
        if not isinstance(tables, list) or not isinstance(atts, list):
            raise _bad("清单格式不对")
        m = Manifest(h.package_id, h.sender, h.recipient, h.seq_from, h.seq_to)
        listed = {"manifest.json"}
        for t in tables:
            m.tables.append(self._table_entry(t, listed))
        for a in atts:
            sha, size = self._attachment_entry(a, listed)
            m.attachments[sha] = size
        extra = set(self.members) - listed
        if extra:
            raise _bad(f"含有清单以外的文件“{sorted(extra)[0][:80]}”", "manifest")
        if m.records != h.records:
            raise _bad("记录数与数据包头不符", "manifest")
        return m

    def _table_entry(self, t: object, listed: set[str]) -> TableData:
        """One checked table line of the manifest (its file is added to ``listed``)."""
        h = self.header
        if not isinstance(t, dict) or set(t) - {"fresh"} != _TABLE_KEYS or ("fresh" in t and h.format < 2):
            raise _bad("清单中的数据表说明不对")
        name, cols = t["name"], t["columns"]
        if (not isinstance(name, str) or not TABLE_RE.match(name) or t["file"] != f"data/{name}.jsonl"
                or not isinstance(cols, list) or not cols or len(cols) > 500
                or not all(isinstance(c, str) and TABLE_RE.match(c) for c in cols)
                or len(set(cols)) != len(cols)
                or not _is_count(t["rows"]) or not _is_count(t["size"])
                or not isinstance(t["sha256"], str) or not SHA_RE.match(t["sha256"])):
            raise _bad("清单中的数据表说明不对")
        if t["file"] in listed:
            raise _bad(f"数据表“{name}”重复")
        if t["rows"] > MAX_TABLE_ROWS:
            raise _bad(f"数据表“{name}”的记录数（{t['rows']}）超过单个数据包的上限 {MAX_TABLE_ROWS}", "limits")
        if t["size"] < t["rows"] * MIN_ROW_BYTES:  # millions of empty lines in a few bytes: a bomb
            raise _bad(f"数据文件 {t['file']} 的大小与记录数不符", "limits")
        fresh = _fresh(t.get("fresh", False), t["rows"])
        info = self.members.get(t["file"])
        if info is None:
            raise _bad(f"缺少数据文件 {t['file']}", "manifest")
        if info.file_size != t["size"]:
            raise _bad(f"数据文件 {t['file']} 的大小与清单不符", "manifest")
        listed.add(t["file"])
        return TableData(name, cols, t["rows"], t["sha256"], t["size"], fresh)

    def _attachment_entry(self, a: object, listed: set[str]) -> tuple[str, int]:
        """One checked attachment line of the manifest: (sha256, size)."""
        if (not isinstance(a, dict) or set(a) != {"sha256", "size"} or not isinstance(a["sha256"], str)
                or not SHA_RE.match(a["sha256"]) or not _is_count(a["size"])):
            raise _bad("清单中的附件说明不对")
        member = f"attachments/{a['sha256']}"
        info = self.members.get(member)
        if info is None or info.file_size != a["size"] or member in listed:
            raise _bad("附件与清单不符", "manifest")
        listed.add(member)
        return a["sha256"], a["size"]

    def preload(self, limit: int = PRELOAD_MAX) -> None:
        """Read, check and split the table files now, up to ``limit`` bytes in all (the rest is read
        when its rows are asked for). The import calls this for the next package on a second thread
        while the current one is written (inflating and hashing release the GIL). A table file found
        bad is not raised here but when its rows are asked for, so the package's errors come in the
        order of reading it on the spot (an unknown table, say, before a bad hash further on)."""
        total = 0
        for t in self.manifest.tables:
            if t.rows == 0:
                continue
            if total + t.size > limit:
                break
            try:
                self._lines[t.name] = [line for part in self._stream(t, MAX_TABLE_ROWS) for line in part]
            except SyncError as e:
                self._errors[t.name] = e
                break
            total += t.size

    def _stream(self, table: TableData, chunk_rows: int) -> Iterator[list[bytes]]:
        """The lines of a table file as it is inflated, in groups of at most ``chunk_rows`` lines and
        about CHUNK_BYTES: never the whole file in memory. The line count and the hash are known only
        at the end, so a bad file is refused there; the rows before it were written inside the
        package's one transaction, which the refusal rolls back."""
        name = f"data/{table.name}.jsonl"
        digest = hashlib.sha256()
        count = 0
        group: list[bytes] = []
        group_bytes = 0
        pending: list[bytes] = []  # the start of a line that has not ended yet
        pending_bytes = 0
        try:
            with self.zip.open(self.members[name]) as f:
                while block := f.read(CHUNK):
                    digest.update(block)
                    pieces = block.split(b"\n")
                    if len(pieces) > 1:
                        pieces[0] = b"".join(pending) + pieces[0]
                        pending, pending_bytes = [], 0
                    tail = pieces.pop()
                    if tail:
                        pending.append(tail)
                        pending_bytes += len(tail)
                        if pending_bytes > MAX_LINE:
                            raise _bad(f"数据文件 {table.name} 中有一行超过 {MAX_LINE // 1024**2} MB", "limits")
                    if not pieces:
                        continue
                    count += len(pieces)
                    if count > table.rows:  # more lines than the manifest says: stop reading at once
                        raise _bad(f"数据文件 {table.name} 的记录数与清单不符", "manifest")
                    if len(pieces[0]) > MAX_LINE:
                        raise _bad(f"数据文件 {table.name} 中有一行超过 {MAX_LINE // 1024**2} MB", "limits")
                    group += pieces
                    group_bytes += len(block)  # near enough: what this block added
                    while len(group) >= chunk_rows:
                        yield group[:chunk_rows]
                        group = group[chunk_rows:]
                        group_bytes = sum(map(len, group))
                    if group_bytes >= CHUNK_BYTES:
                        yield group
                        group, group_bytes = [], 0
        except SyncError:
            raise
        except Exception as e:  # BadZipFile (a CRC), zlib.error and friends from a forged stream
            raise _bad(f"文件“{name}”已损坏") from e
        _check_ending(table, bool(pending), count, digest.hexdigest())
        if group:
            yield group

    def table_rows(self, table: TableData, chunk_rows: int = 5000) -> Iterator[list[list]]:
        """Rows of one table in chunks (at most ``chunk_rows`` rows and about CHUNK_BYTES each)."""
        if table.name in self._errors:
            raise self._errors.pop(table.name)
        lines = self._lines.pop(table.name, None)
        if lines is not None:
            groups: Iterator[list[bytes]] = iter(_groups(lines, chunk_rows))
        else:
            groups = self._stream(table, chunk_rows)
        width = len(table.columns)
        for part in groups:
            rows = _parse_rows(table.name, part)
            if len(rows) != len(part) or set(map(type, rows)) != {list} or set(map(len, rows)) != {width}:
                raise _bad(f"数据文件 {table.name} 中有格式不对的行")
            yield rows

    def copy_attachment(self, sha256: str, out: IO[bytes]) -> int:
        """Inflate an attachment into ``out`` while hashing it: never held in memory whole."""
        name = f"attachments/{sha256}"
        info = self.members[name]
        if info.file_size > MAX_ATTACHMENT:
            raise _bad(f"附件“{sha256[:12]}…”超过 {MAX_ATTACHMENT // 1024**2} MB", "limits")
        digest = hashlib.sha256()
        size = 0
        try:
            with self.zip.open(info) as f:
                while block := f.read(CHUNK):
                    digest.update(block)
                    out.write(block)
                    size += len(block)
        except Exception as e:
            raise _bad(f"文件“{name}”已损坏") from e
        if size != info.file_size:
            raise _bad(f"文件“{name}”大小与目录不符", "limits")
        if digest.hexdigest() != sha256:
            raise SyncError("附件的校验值不符：数据包已损坏", "hash")
        return size

    def close(self) -> None:
        self.zip.close()


def _groups(lines: list[bytes], chunk_rows: int) -> Iterator[list[bytes]]:
    for start in range(0, len(lines), chunk_rows):
        part = lines[start:start + chunk_rows]
        size = sum(map(len, part))
        if size <= CHUNK_BYTES:
            yield part
            continue
        n = max(1, len(part) * CHUNK_BYTES // size)  # long rows: smaller groups
        for i in range(0, len(part), n):
            yield part[i:i + n]


def _no_constant(name: str):
    raise ValueError(name)


def _parse_rows(table: str, part: list[bytes]) -> list:
    text = b"[" + b",".join(part) + b"]"
    try:
        return orjson.loads(text)  # 2-3x the speed of json (a fifth of a big import's Python time)
    except orjson.JSONDecodeError:
        pass
    # what orjson refuses and json reads: integers over 64 bits, lone surrogates. Read them, so the
    # value checks (sync/checks.py) can name the record and the field; never NaN or Infinity
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as e:
        raise _bad(f"数据文件 {table} 中有无法读取的行") from e


def _fresh(value: Any, rows: int) -> bool | frozenset[str]:
    if isinstance(value, bool):
        return value
    if (not isinstance(value, list) or len(value) > rows
            or not all(isinstance(v, str) and UUID_RE.match(v) for v in value) or len(set(value)) != len(value)):
        raise _bad("清单中的数据表说明不对")
    return frozenset(value)


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_SEQ
