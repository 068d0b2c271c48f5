"""Keys and trust: this office's key pair, the enrolment a town carries to the city, the city's
trust bundle the towns import, and revoking an office's key."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from congress_desktop.core.context import (
    Context,
)
from congress_desktop.core.errors import CongressError, Exists, InvalidInput, NotFound
from congress_desktop.core.store.models import utcnow
from congress_desktop.core.store.models_sync import (
    SyncOwnKey,
    SyncPeer,
    SyncState,
)
from congress_desktop.sync import common
from congress_desktop.sync import keys as keymod
from congress_desktop.sync.keys import KeyPair, PublicKeys, normalise_fingerprint
from congress_desktop.sync.package import (
    DOC_FORMAT,
    SyncError,
    document_signed_by,
    read_document,
    sign_document,
    utc_text,
)
from congress_desktop.sync.rows import (
    ENROLMENT_KIND,
    ROLE_NAMES,
    TRUST_KIND,
    EnrolmentPreview,
    KeyInfo,
    PeerRow,
    TrustPreview,
    TrustResult,
)

# ====================================================================== keys

def own_keys(ctx: Context) -> KeyInfo | None:
    with ctx.store.session() as s:
        k = common.own_key_row(s)
        return common.key_info(ctx, k) if k else None


def key_passphrase_need(ctx: Context) -> str | None:
    """Before work that uses this office's private key: keys.UNLOCK or keys.CHOOSE when a person must
    type a passphrase first (the window asks on its own thread, then calls ``unlock_own_key``)."""
    k = own_keys(ctx)
    return keymod.passphrase_need(ctx.data_dir, k.key_id) if k else None


def new_key_passphrase_need() -> str | None:
    """keys.CHOOSE when ``init_keys`` here needs a new passphrase (no keyring, not Windows)."""
    return keymod.new_key_passphrase_need()


def unlock_own_key(ctx: Context, passphrase: str | None = None) -> KeyInfo:
    """Unwrap this office's private key now and keep it for the run (wrong passphrase: KeyUnavailable)."""
    _pair, info = common.my_pair(ctx, passphrase=passphrase)
    return info


def init_keys(ctx: Context, *, replace: bool = False, passphrase: str | None = None) -> KeyInfo:
    """Make this office's key pair. ``replace``: a new pair after a PC was replaced or a key leaked;
    the old one is retired and every peer must receive the new enrolment / trust bundle.
    ``passphrase``: the one chosen in the window, where the key is protected by a passphrase."""
    office = common.office(ctx)
    with ctx.store.session() as s:
        old = common.own_key_row(s)
        if old is not None and not replace:
            raise Exists("本单位已有同步密钥（指纹 " + old.fingerprint + "）。如果更换了电脑或密钥可能泄露，"
                         "请选择“重新生成密钥”（命令行：keys init --replace），然后重新登记")
    pair = KeyPair.generate()
    pub = pair.public
    try:
        keymod.save_private(ctx.data_dir, pair, passphrase=passphrase)
    except OSError as e:
        raise CongressError(f"无法保存私钥：{e.strerror or e}") from e
    with ctx.store.session() as s:
        now = utcnow()
        for k in s.scalars(select(SyncOwnKey).where(SyncOwnKey.retired_at.is_(None))):
            k.retired_at = now
        k = SyncOwnKey(key_id=pub.key_id, sign_public=pub.sign.hex(), box_public=pub.box.hex(),
                       fingerprint=pub.fingerprint(office.code), created_at=now)
        s.add(k)
        if old is not None:
            # a new key is a new stream: the peers start counting our changes from the first again
            for st in s.scalars(select(SyncState)):
                common.reset_stream(st)
        s.flush()
        return common.key_info(ctx, k)


def export_enrolment(ctx: Context, path: str | Path) -> KeyInfo:
    """The file a town carries to the city once (public keys only; nothing secret in it)."""
    pair, info = common.my_pair(ctx)
    office = common.office(ctx)
    doc = {"kind": ENROLMENT_KIND, "format": DOC_FORMAT, "code": office.code, "name": office.name, "role": office.role,
           "key_id": info.key_id, "sign_public": pair.public.sign.hex(), "box_public": pair.public.box.hex(),
           "fingerprint": info.fingerprint, "created_at": utc_text(info.created_at)}
    common.write_json_file(Path(path), sign_document(doc, pair))
    return info



def _public_from_doc(doc: dict, what: str) -> tuple[PublicKeys, str, str, str]:
    try:
        code, name, role = doc["code"], doc["name"], doc["role"]
        pub = PublicKeys.from_hex(doc["sign_public"], doc["box_public"])
    except (KeyError, TypeError, CongressError) as e:
        raise SyncError(f"{what}文件已损坏或不完整", "corrupt") from e
    if (not isinstance(code, str) or not re.fullmatch(r"\d{12}", code) or not isinstance(name, str)
            or not 0 < len(name) <= 100 or role not in ROLE_NAMES):
        raise SyncError(f"{what}文件已损坏或不完整", "corrupt")
    if not document_signed_by(doc, pub):
        raise SyncError(f"{what}文件的签名不对：文件被改动过或已损坏", "signature")
    if doc.get("key_id") != pub.key_id or doc.get("fingerprint") != pub.fingerprint(code):
        raise SyncError(f"{what}文件已损坏（密钥编号或指纹不符）", "corrupt")
    return pub, code, name, role


def read_enrolment(ctx: Context, path: str | Path) -> EnrolmentPreview:
    """Read an enrolment file and say what enrolling it would do (the city checks the fingerprint)."""
    return _enrolment(ctx, common.read_file(path, "登记"))[0]


def _enrolment(ctx: Context, data: bytes) -> tuple[EnrolmentPreview, PublicKeys]:
    office = common.office(ctx)
    doc = read_document(data, ENROLMENT_KIND, "登记")
    pub, code, name, role = _public_from_doc(doc, "登记")
    if office.role != "city":
        raise InvalidInput("只有市人大常委会登记乡镇的密钥；乡镇请导入市人大下发的信任包")
    if role != "town":
        raise InvalidInput(f"“{name}”不是乡镇（街道）的登记文件")
    if code == office.code:
        raise InvalidInput("这是本单位自己的登记文件")
    with ctx.store.session() as s:
        same = s.scalars(select(SyncPeer).where(SyncPeer.key_id == pub.key_id)).first()
        current = s.scalars(select(SyncPeer).where(SyncPeer.code == code, SyncPeer.revoked_at.is_(None))).first()
        return EnrolmentPreview(code, name, role, pub.key_id, pub.fingerprint(code), str(doc.get("created_at", "")),
                                common.peer_row(current) if current else None,
                                already=same is not None and same.revoked_at is None,
                                revoked=same is not None and same.revoked_at is not None), pub


def enrol_office(ctx: Context, path: str | Path, *, fingerprint: str, replace: bool = False) -> PeerRow:
    """Enrol a town's key after its fingerprint was checked (by phone or on the stamped form).

    ``replace``: the town already has a key here (PC replaced): that key is revoked, this one
    enrolled, and the town's changes are counted again from the first."""
    # the file is read once: the key enrolled is the key whose fingerprint was just compared
    preview, pub = _enrolment(ctx, common.read_file(path, "登记"))
    if normalise_fingerprint(fingerprint) != preview.fingerprint:
        raise InvalidInput("输入的指纹与登记文件不一致，未登记。请与对方逐组核对指纹；不一致时不要登记，"
                           "请让对方重新导出登记文件", field="fingerprint")
    if preview.already:
        raise Exists(f"“{preview.name}”的这把密钥已经登记过了")
    if preview.revoked:
        raise InvalidInput("这把密钥已被吊销，不能再次登记。请让对方重新生成密钥后再导出登记文件")
    if preview.current is not None and not replace:
        raise Exists(f"“{preview.name}”已登记了另一把密钥（指纹 {preview.current.fingerprint}）。"
                     "如果该单位更换了电脑或重新生成了密钥，请选择“换机重新登记”（命令行加 --replace），"
                     "旧密钥将被吊销")
    code, name, role = preview.code, preview.name, preview.role
    with ctx.store.session() as s:
        now = utcnow()
        for old in s.scalars(select(SyncPeer).where(SyncPeer.code == code, SyncPeer.revoked_at.is_(None))):
            old.revoked_at = now
            old.revoke_reason = "换机重新登记"
        p = SyncPeer(code=code, name=name, role=role, key_id=pub.key_id, sign_public=pub.sign.hex(),
                     box_public=pub.box.hex(), fingerprint=pub.fingerprint(code), enrolled_at=now,
                     revoke_reason="")
        s.add(p)
        st = common.state(s, code)
        if preview.current is not None:
            # a new PC may hold an older copy of the database: send the city's records down again
            common.reset_stream(st)
        s.flush()
        return common.peer_row(p)


def revoke_office(ctx: Context, code: str, reason: str = "") -> PeerRow:
    """Stop accepting packages signed by an office's current key (lost or stolen PC, key leaked)."""
    reason = (reason or "").strip() or "已吊销"
    with ctx.store.session() as s:
        p = s.scalars(select(SyncPeer).where(SyncPeer.code == code, SyncPeer.revoked_at.is_(None))).first()
        if p is None:
            raise NotFound(f"没有区划代码为 {code} 的有效登记")
        p.revoked_at = utcnow()
        p.revoke_reason = reason[:200]
        s.flush()
        return common.peer_row(p)


def list_peers(ctx: Context, *, include_revoked: bool = True) -> list[PeerRow]:
    with ctx.store.session() as s:
        q = select(SyncPeer).order_by(SyncPeer.code, SyncPeer.id)
        if not include_revoked:
            q = q.where(SyncPeer.revoked_at.is_(None))
        return [common.peer_row(p) for p in s.scalars(q)]


def export_trust_bundle(ctx: Context, path: str | Path) -> KeyInfo:
    """City: its own public keys and the list of enrolled towns, signed, for the towns to import."""
    office = common.office(ctx)
    if office.role != "city":
        raise InvalidInput("信任包由市人大常委会导出")
    pair, info = common.my_pair(ctx)
    with ctx.store.session() as s:
        offices = [{"code": p.code, "name": p.name, "role": p.role, "key_id": p.key_id, "fingerprint": p.fingerprint,
                    "revoked": p.revoked_at is not None} for p in s.scalars(select(SyncPeer).order_by(SyncPeer.code))]
    doc = {"kind": TRUST_KIND, "format": DOC_FORMAT, "code": office.code, "name": office.name, "role": "city",
           "key_id": info.key_id, "sign_public": pair.public.sign.hex(), "box_public": pair.public.box.hex(),
           "fingerprint": info.fingerprint, "issued_at": utc_text(), "offices": offices}
    common.write_json_file(Path(path), sign_document(doc, pair))
    return info


REVOKED_CITY_KEY = "这是市人大已经更换（作废）的旧密钥的信任包，未导入。请向市人大索取最新的信任包"


def _read_trust(ctx: Context, path: str | Path):
    office = common.office(ctx)
    if office.role != "town":
        raise InvalidInput("信任包由乡镇导入；市人大登记乡镇请用“登记乡镇”")
    doc = read_document(common.read_file(path, "信任包"), TRUST_KIND, "信任包")
    pub, code, name, role = _public_from_doc(doc, "信任包")
    if role != "city":
        raise SyncError("信任包不是市人大常委会签发的", "corrupt")
    offices = doc.get("offices")
    if not isinstance(offices, list) or not all(isinstance(o, dict) for o in offices):
        raise SyncError("信任包已损坏或不完整", "corrupt")
    mine = own_keys(ctx)
    me_enrolled = mine is not None and any(
        o.get("code") == office.code and o.get("key_id") == mine.key_id and not o.get("revoked") for o in offices)
    towns = sum(1 for o in offices if o.get("role") == "town" and not o.get("revoked"))
    return pub, code, name, me_enrolled, towns


def read_trust_bundle(ctx: Context, path: str | Path) -> TrustPreview:
    pub, code, name, me_enrolled, towns = _read_trust(ctx, path)
    with ctx.store.session() as s:
        same = s.scalars(select(SyncPeer).where(SyncPeer.key_id == pub.key_id)).first()
        if same is not None and same.revoked_at is not None:
            raise InvalidInput(REVOKED_CITY_KEY)
        known = same is not None
        current = [] if known else common.active_peers(s, "city")
        return TrustPreview(code, name, pub.key_id, pub.fingerprint(code), towns, me_enrolled, known,
                            current[0].fingerprint if current else "")


def import_trust_bundle(ctx: Context, path: str | Path, *, fingerprint: str = "", replace: bool = False) -> TrustResult:
    """Town: trust the city's keys from its bundle. A city key this town does not trust yet needs
    ``fingerprint``, checked by phone or against the city's stamped form (a swapped bundle would
    otherwise send every later package to whoever made it); the same key again (a new list of towns)
    does not. A bundle with a different city key than the one trusted now also needs ``replace``."""
    pub, code, name, me_enrolled, towns = _read_trust(ctx, path)
    if fingerprint and normalise_fingerprint(fingerprint) != pub.fingerprint(code):
        raise InvalidInput("输入的指纹与信任包中市人大的密钥指纹不一致，未导入。请与市人大核对", field="fingerprint")
    replaced = False
    with ctx.store.session() as s:
        same = s.scalars(select(SyncPeer).where(SyncPeer.key_id == pub.key_id)).first()
        if same is not None and same.revoked_at is not None:
            raise InvalidInput(REVOKED_CITY_KEY)
        if same is None:
            if not fingerprint:
                raise InvalidInput(f"这是“{name}”的一把新密钥（指纹 {pub.fingerprint(code)}），导入前须核对指纹："
                                   "请对照市人大盖章的密钥登记表，或电话请市人大逐组朗读（命令行加 --fingerprint）",
                                   field="fingerprint")
            current = common.active_peers(s, "city")
            if current and not replace:
                raise Exists(f"本单位已信任“{current[0].name}”的另一把密钥（指纹 {current[0].fingerprint}）。"
                             "如果市人大更换了密钥，请核对新指纹后勾选“替换原来的密钥”（命令行加 --replace）")
            now = utcnow()
            for c in current:
                c.revoked_at = now
                c.revoke_reason = "市人大更换密钥"
                replaced = True
            s.add(SyncPeer(code=code, name=name, role="city", key_id=pub.key_id, sign_public=pub.sign.hex(),
                           box_public=pub.box.hex(), fingerprint=pub.fingerprint(code), enrolled_at=now,
                           revoke_reason=""))
            st = common.state(s, code)
            if replaced:
                common.reset_stream(st)
        else:
            same.name = name
    return TrustResult(code, name, pub.fingerprint(code), towns, me_enrolled, replaced)


