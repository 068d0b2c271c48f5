"""Files sealed under a passphrase: the encrypted stick backup (``.cdbak``) and the encrypted
attachment files beside it. This module knows bytes and keys only; services/stick_backups.py holds
the use cases.

A sealed file is::

    MAGIC (8 bytes: "CDBACKUP" for a backup, "CDATTACH" for an attachment)
    header length (4 bytes, big-endian), header (UTF-8 JSON, clear text, at most 64 KiB)
    chunks: AES-256-GCM ciphertext of CHUNK plaintext bytes + 16-byte tag each; the last one shorter
            (possibly empty: its tag alone)

Chunk ``i`` is sealed with nonce = ``nonce`` from the header (7 random bytes) || i (4 bytes,
big-endian) || 1 for the last chunk, else 0 (the STREAM construction of Hoang, Reyhanitabar, Rogaway
and Vizár), and with MAGIC + length + header as associated data. So a changed header, a changed,
dropped, reordered or swapped chunk, a file cut short (even at a chunk boundary) and bytes appended
after the end are all refused; and the file is streamed: never more than one chunk in memory.

Keys: the backup key comes from the passphrase through Argon2id with the parameters and salt in the
header (each backup has its own salt, so its own key); HKDF-SHA256 splits it into the AES key and a
16-byte ``check`` kept in the header, which tells a wrong passphrase from a damaged file."""

from __future__ import annotations

import base64
import hmac
import json
import os
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TypedDict, Unpack

from cryptography.exceptions import InvalidKey, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

from congress_desktop.core.errors import Cancelled
from congress_desktop.core.files import canonical_json_bytes

BACKUP_MAGIC = b"CDBACKUP"
ATTACHMENT_MAGIC = b"CDATTACH"
FORMAT = 1
CHUNK = 1 << 20
TAG = 16
NONCE_PREFIX = 7
SALT = 16
MAX_HEADER = 64 * 1024
MAX_CHUNKS = 2**32  # the counter's room (4 TiB at 1 MiB a chunk)


@dataclass(frozen=True)
class KdfParams:
    """Argon2id's cost. The default is RFC 9106's second recommended choice (64 MiB, 3 passes, 4
    lanes): about 0.15 s on the development PC and 0.5 s on an office PC from 2012, with 64 MiB of
    memory, which every office PC that runs the program has."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def as_json(self) -> dict:
        return {"name": "argon2id", "memory_kib": self.memory_kib, "iterations": self.iterations,
                "lanes": self.lanes}

    @classmethod
    def from_json(cls, d: dict) -> KdfParams:
        """Parameters read from a file; refuses values no file of ours has (a hostile header must not
        make us allocate gigabytes or spin for hours)."""
        if not isinstance(d, dict) or d.get("name") != "argon2id":
            raise ValueError("unknown key derivation")
        p = cls(int(d["memory_kib"]), int(d["iterations"]), int(d["lanes"]))
        if not (8 * 1024 <= p.memory_kib <= 1024 * 1024 and 1 <= p.iterations <= 20 and 1 <= p.lanes <= 16):
            raise ValueError("key derivation parameters out of range")
        return p


DEFAULT_KDF = KdfParams()


class SealBroken(Exception):
    """The sealed data failed its check: changed, cut short, or not one of ours. Callers turn it into
    a CongressError naming the file."""


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str, size: int | None = None) -> bytes:
    raw = base64.b64decode(str(text), validate=True)
    if size is not None and len(raw) != size:
        raise ValueError("wrong length")
    return raw


def passphrase_bytes(passphrase: str) -> bytes:
    """The same passphrase typed on another PC or keyboard gives the same bytes (NFC, UTF-8)."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def argon2id(passphrase: str, salt: bytes, params: KdfParams = DEFAULT_KDF) -> bytes:
    return Argon2id(salt=salt, length=32, iterations=params.iterations, lanes=params.lanes,
                    memory_cost=params.memory_kib).derive(passphrase_bytes(passphrase))


def split_key(master: bytes, info: bytes, sizes: tuple[int, ...]) -> tuple[bytes, ...]:
    """Independent subkeys of one derived key (HKDF-SHA256 expand)."""
    raw = HKDFExpand(hashes.SHA256(), sum(sizes), info).derive(master)
    out, at = [], 0
    for n in sizes:
        out.append(raw[at:at + n])
        at += n
    return tuple(out)


def file_key(store_key: bytes, salt: bytes, info: bytes) -> bytes:
    """A key for one file from a key shared by many (each attachment file gets its own)."""
    return HKDF(hashes.SHA256(), 32, salt, info).derive(store_key)


def same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


# ------------------------------------------------------------------ the passphrase verifier
def make_verifier(passphrase: str, params: KdfParams = DEFAULT_KDF) -> str:
    """An Argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash): enough to check a typed
    passphrase, useless to decrypt anything (backups have their own salts)."""
    kdf = Argon2id(salt=os.urandom(SALT), length=32, iterations=params.iterations, lanes=params.lanes,
                   memory_cost=params.memory_kib)
    return kdf.derive_phc_encoded(passphrase_bytes(passphrase))


def verifier_matches(passphrase: str, verifier: str) -> bool:
    try:
        Argon2id.verify_phc_encoded(passphrase_bytes(passphrase), verifier)
    except InvalidKey:
        return False
    return True


# ------------------------------------------------------------------ sealing
class Watch(TypedDict, total=False):
    """What a caller may watch while a file is sealed or opened."""

    total: int  # the plaintext size, for progress
    progress: Callable[[int, int], None] | None
    cancel: Callable[[], bool] | None
    on_plain: Callable[[bytes], None] | None  # sees each plaintext chunk (a hash on the way)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


def header_block(magic: bytes, header: dict) -> bytes:
    raw = canonical_json_bytes(header)
    if len(raw) > MAX_HEADER:
        raise ValueError("header too long")
    return magic + struct.pack(">I", len(raw)) + raw


def seal(src: BinaryIO, dst: BinaryIO, magic: bytes, header: dict, key: bytes, **watch: Unpack[Watch]) -> int:
    """Write the sealed form of everything ``src`` holds to ``dst``; ``header`` must hold ``nonce``
    (b64 of NONCE_PREFIX bytes). Returns the plaintext size."""
    total, progress = watch.get("total", 0), watch.get("progress")
    cancel, on_plain = watch.get("cancel"), watch.get("on_plain")
    prefix = unb64(header["nonce"], NONCE_PREFIX)
    block = header_block(magic, header)
    dst.write(block)
    aead = AESGCM(key)
    done = index = 0
    chunk = src.read(CHUNK)
    while True:
        if cancel and cancel():
            raise Cancelled()
        following = src.read(CHUNK) if len(chunk) == CHUNK else b""
        last = not following
        if on_plain:
            on_plain(chunk)
        dst.write(aead.encrypt(_nonce(prefix, index, last), chunk, block))
        done += len(chunk)
        index += 1
        if progress:
            progress(done, total)
        if last:
            return done
        chunk = following


@dataclass(frozen=True)
class Opened:
    header: dict
    block: bytes  # MAGIC + length + header: the associated data


def read_header(f: BinaryIO, magic: bytes) -> Opened:
    """The clear header of a sealed file (nothing is checked cryptographically yet). Raises
    SealBroken when the file does not start like one of ours."""
    start = f.read(len(magic) + 4)
    if len(start) < len(magic) + 4 or start[:len(magic)] != magic:
        raise SealBroken("not a sealed file of this kind")
    (size,) = struct.unpack(">I", start[len(magic):])
    if size > MAX_HEADER:
        raise SealBroken("header too long")
    raw = f.read(size)
    if len(raw) != size:
        raise SealBroken("header cut short")
    try:
        header = json.loads(raw.decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError("header is no object")
        if header.get("format") != FORMAT:
            raise SealBroken(f"format {header.get('format')!r}")
        unb64(header["nonce"], NONCE_PREFIX)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise SealBroken(f"unreadable header: {e}") from e
    return Opened(header, start + raw)


def unseal(f: BinaryIO, opened: Opened, key: bytes, out: BinaryIO | None, **watch: Unpack[Watch]) -> int:
    """Decrypt the chunks after the header (``f`` positioned there) into ``out`` (None: only check).
    Raises SealBroken at the first chunk that fails its tag, when the file ends before its last chunk
    or goes on after it. ``out`` may hold part of the plaintext then: write it to a temporary file and
    use that only when this returns. Returns the plaintext size."""
    total, progress = watch.get("total", 0), watch.get("progress")
    cancel, on_plain = watch.get("cancel"), watch.get("on_plain")
    prefix = unb64(opened.header["nonce"], NONCE_PREFIX)
    aead = AESGCM(key)
    done = index = 0
    piece = f.read(CHUNK + TAG)
    while True:
        if cancel and cancel():
            raise Cancelled()
        if len(piece) < TAG:
            raise SealBroken("cut short")
        following = f.read(CHUNK + TAG) if len(piece) == CHUNK + TAG else b""
        last = not following
        if index >= MAX_CHUNKS:
            raise SealBroken("too many chunks")
        try:
            plain = aead.decrypt(_nonce(prefix, index, last), piece, opened.block)
        except InvalidTag as e:
            raise SealBroken(f"chunk {index} fails its check") from e
        if on_plain:
            on_plain(plain)
        if out is not None:
            out.write(plain)
        done += len(plain)
        index += 1
        if progress:
            progress(done, total)
        if last:
            return done
        piece = following
