"""The small signed documents around a package (enrolment, trust bundle, receipt), the error every
sync check raises, and the text forms both use (base64, UTC times, canonical JSON).

A document is JSON with ``kind``, ``format`` and ``signature``: Ed25519 over DOC_CONTEXT and the
canonical JSON of the rest. sync/package.py re-exports these names."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from congress_desktop.core.errors import CongressError
from congress_desktop.core.files import canonical_json_bytes
from congress_desktop.sync.keys import KeyPair, PublicKeys

SIG_SIZE = 64
DOC_FORMAT = 1                 # enrolment, trust bundle, receipt (a receipt's new fields are optional)
MAX_DOCUMENT = 1024**2           # enrolment, trust bundle, receipt
DOC_CONTEXT = b"congress-desktop/sync/document-signature/v1\0"


class SyncError(CongressError):
    """A package, receipt or key file refused; ``kind`` says why in one word (tests, logs)."""

    code = "sync"

    def __init__(self, message: str, kind: str = "invalid", **details):
        super().__init__(message, **details)
        self.kind = kind


def utc_text(t: dt.datetime | None = None) -> str:
    return (t or dt.datetime.now(dt.UTC).replace(tzinfo=None)).replace(tzinfo=None).isoformat(timespec="seconds")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, size: int | None = None) -> bytes:
    if not isinstance(text, str) or len(text) > 200:
        raise ValueError("bad base64")
    data = base64.b64decode(text.encode("ascii"), validate=True)
    if size is not None and len(data) != size:
        raise ValueError("bad length")
    return data


def canonical(doc: dict) -> bytes:
    return canonical_json_bytes(doc)


# ------------------------------------------------------------------ signed JSON documents

def sign_document(doc: dict, pair: KeyPair) -> bytes:
    """A JSON document with its Ed25519 signature in ``signature`` (over the canonical JSON)."""
    body = dict(doc)
    body.pop("signature", None)
    sig = pair.sign(DOC_CONTEXT + canonical(body))
    return json.dumps(body | {"signature": b64(sig)}, ensure_ascii=False, indent=1).encode("utf-8")


def read_document(data: bytes, kind: str, what: str) -> dict:
    """Parse a signed document of ``kind``; the signature is checked by the caller, who knows the key."""
    if len(data) > MAX_DOCUMENT:
        raise SyncError(f"{what}文件过大，不是本程序生成的文件", "limits")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SyncError(f"{what}文件已损坏或不完整，无法读取", "corrupt") from e
    if not isinstance(doc, dict) or doc.get("kind") != kind:
        raise SyncError(f"这不是{what}文件", "corrupt")
    fmt = doc.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool):
        raise SyncError(f"{what}文件已损坏或不完整，无法读取", "corrupt")
    if fmt > DOC_FORMAT:
        raise SyncError(f"该{what}文件由更新版本的程序生成（格式 {fmt}），本程序只能读取格式 {DOC_FORMAT}，请先升级本程序",
                        "format")
    if fmt < 1 or not isinstance(doc.get("signature"), str):
        raise SyncError(f"{what}文件已损坏或不完整，无法读取", "corrupt")
    try:
        canonical(doc)  # what its signature is checked over: a lone surrogate cannot be spelled
    except (UnicodeEncodeError, ValueError, RecursionError) as e:
        raise SyncError(f"{what}文件已损坏或不完整，无法读取", "corrupt") from e
    return doc


def document_signed_by(doc: dict, keys: PublicKeys) -> bool:
    try:
        sig = unb64(doc["signature"], SIG_SIZE)
    except (ValueError, KeyError):
        return False
    body = {k: v for k, v in doc.items() if k != "signature"}
    return keys.verify(sig, DOC_CONTEXT + canonical(body))
