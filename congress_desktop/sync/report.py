"""Sync paperwork: the key fingerprint form (密钥登记表) a town stamps and the city checks, and the
city's summary by town for a period (A4 landscape)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table, TableStyle

from congress_desktop.core import pdf as layout
from congress_desktop.core.context import Cancel, Context, Progress, never_cancel, no_progress
from congress_desktop.core.errors import CongressError
from congress_desktop.sync import common
from congress_desktop.sync.rows import ROLE_NAMES
from congress_desktop.sync.summary import COLUMNS, CitySummary, city_summary, summary_notes
from congress_desktop.sync.trust import own_keys, read_enrolment


@dataclass(frozen=True)
class FingerprintForm:
    """What the key fingerprint form shows: who, which key, made when, for what."""
    office_name: str
    code: str
    role_label: str
    key_id: str
    fingerprint: str
    created: str
    purpose: str


def print_fingerprint_form(ctx: Context, path: str | Path, *, enrolment: str | Path | None = None) -> int:
    """密钥登记表: this office's key (to stamp and send), or a received enrolment file (city)."""
    office = common.office(ctx)
    if enrolment:
        p = read_enrolment(ctx, enrolment)
        return render_fingerprint_form(path, FingerprintForm(
            p.name, p.code, ROLE_NAMES[p.role], p.key_id, p.fingerprint, p.created_at[:16].replace("T", " "),
            f"{office.name}登记核对用"))
    k = own_keys(ctx)
    if k is None:
        raise CongressError("本单位还没有同步密钥，请先生成密钥", code="no_keys")
    created = k.created_at.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    purpose = "报市人大常委会登记，用于U盘数据同步" if office.role == "town" else "供各乡镇核对市人大密钥"
    return render_fingerprint_form(path, FingerprintForm(office.name, office.code, ROLE_NAMES[office.role], k.key_id,
                                                         k.fingerprint, created, purpose))


def print_city_summary(ctx: Context, path: str | Path, date_from: str, date_to: str,
                       progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """The city's summary by town for a period, one A4 landscape table."""
    summary = city_summary(ctx, date_from, date_to)
    return render_city_summary(path, ctx.require_office().name, summary, progress=progress, cancel=cancel)


def render_fingerprint_form(path: str | Path, form: FingerprintForm) -> int:
    """One A4 page: who, which key, the fingerprint in large digits, signatures and a place for the seal."""
    office_name, code, key_id, fingerprint = form.office_name, form.code, form.key_id, form.fingerprint
    st = layout.styles()
    big = layout.styles().title.clone("cd-fingerprint", fontSize=22, leading=32, spaceAfter=0)
    width = layout.frame_width(False)
    rows = [
        ["单位名称", office_name],
        ["单位类型", form.role_label],
        ["统计用区划代码", code],
        ["密钥编号", key_id],
        ["密钥生成时间", form.created],
        ["用途", form.purpose],
    ]
    info = Table([[layout.para(a, st.label), layout.para(b, st.body)] for a, b in rows],
                 colWidths=[40 * mm, width - 40 * mm])
    info.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
        ("GRID", (0, 0), (-1, -1), 0.6, layout.RULE),
        ("BACKGROUND", (0, 0), (0, -1), layout.HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    groups = fingerprint.split()
    half = (len(groups) + 1) // 2
    fp = Table([[layout.para("  ".join(groups[:half]), big)], [layout.para("  ".join(groups[half:]), big)]],
               colWidths=[width])
    fp.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, layout.INK), ("TOPPADDING", (0, 0), (-1, -1), 6),
                            ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    story = [
        *layout.title_block("数据同步密钥登记表", "乡镇人大工作台 · U盘数据同步"),
        info,
        Spacer(1, 6 * mm),
        layout.para("密钥指纹（核对时逐组朗读，每组四位数字）：", st.heading),
        fp,
        Spacer(1, 4 * mm),
        layout.para("核对方法：市人大在程序中打开本单位的登记文件，程序显示的指纹应与本表完全一致。"
                    "也可以电话逐组朗读核对。任何一组不一致，都不要登记，请重新导出登记文件。"
                    "本表只含公开信息（公钥指纹），不含任何私钥或密码。", st.body),
        Spacer(1, 10 * mm),
        layout.para("单位（盖章）：", st.body),
        Spacer(1, 24 * mm),
    ]
    return layout.build_pdf(path, "数据同步密钥登记表", story, office_name=office_name,
                            content={"code": code, "key_id": key_id, "fingerprint": fingerprint},
                            signatures=["经办人", "负责人"])


def render_city_summary(path: str | Path, office_name: str, summary: CitySummary, *,
                        progress: Progress | None = None, cancel: Cancel | None = None) -> int:
    header: Sequence[str] = [h for _, h in COLUMNS]
    rows: Sequence[Sequence[object]] = summary.rows()
    period, notes = summary.period_label, summary_notes(summary)
    st = layout.styles()
    width = layout.frame_width(True)
    weights = [26, 10, 10, 10, 13, 10, 10, 10, 16, 14][:len(header)]
    align = ["left"] + ["center"] * (len(header) - 1)
    last = len(rows)
    table = layout.data_table(header, rows, layout.scale_widths(weights, width), align=align,
                              extra_style=[("BACKGROUND", (0, last), (-1, last), layout.HEADER_FILL)] if rows else [])
    story = [*layout.title_block("各乡镇（街道）人大工作汇总", f"统计期间：{period}"), table, Spacer(1, 4 * mm)]
    story += [layout.para(n, st.small) for n in notes]
    return layout.build_pdf(path, "各乡镇人大工作汇总", story, office_name=office_name, landscape=True,
                            content={"period": period, "rows": [list(map(str, r)) for r in rows]},
                            progress=progress, cancel=cancel)
