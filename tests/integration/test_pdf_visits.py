"""接待登记表, 意见建议交办单 (with 回执) and 办理情况汇总表 as real PDFs: text read back, font embedded,
pages rendered."""

from __future__ import annotations

import datetime as dt

from congress_desktop.places import contact_points
from congress_desktop.places.units import list_units
from congress_desktop.visits import opinions as ops
from congress_desktop.visits import report
from congress_desktop.visits import service as vis
from tests.pdfcheck import dark_pixel_ratio, page_count, pdf_fonts_embedded, pdf_text

TODAY = dt.date.today()


def test_visit_form_and_referral_slip(demo_ctx, tmp_path):
    ctx = demo_ctx
    home = next(p for p in contact_points.list_contact_points(ctx) if p.kind == "代表之家")
    cats = {c.name: c.id for c in ops.list_categories(ctx)}
    day = (TODAY - dt.timedelta(days=2)).isoformat()
    v = vis.save_visit(ctx, {
        "visit_date": day, "start_time": "09:00", "end_time": "11:00", "form": "接待日",
        "contact_point_id": home.id, "deputy_ids": list(home.deputy_ids[:2]),
        "visitors": [{"name": "龚德旺", "phone": "13872345678", "id_number": "420381198001011238"},
                     {"name": "覃秀芳", "village_group": "黄家村5组", "head_count": 2}],
        "opinions": [{"category_id": cats["基础设施"], "content": "黄家村3组通组公路塌方，请求尽快修复"},
                     {"category_id": cats["医疗"], "content": "医保报销材料", "on_the_spot": True,
                      "answer": "当场讲解了材料清单"}]})
    out = tmp_path / "接待登记表.pdf"
    assert report.print_visit_form(ctx, v.row.id, out) == 1
    text = pdf_text(out)
    for expected in ("人大代表联系群众接待登记表", home.name, *v.row.deputy_names, "龚德旺", "覃秀芳",
                     "黄家村3组通组公路塌方", "当场答复（说明解释）", "420381********1238", "接待代表（签字）"):
        assert expected in text.replace("\n", ""), expected
    assert "420381198001011238" not in text  # never the full ID number
    assert pdf_fonts_embedded(out) and dark_pixel_ratio(out) > 0.01

    unit = next(u for u in list_units(ctx) if u.name == "镇村镇建设服务中心")
    o = v.opinions[0]
    ops.act_on_opinion(ctx, o.id, {"action": "assign", "on": day, "unit_id": unit.id, "complex": True})
    out = tmp_path / "交办单.pdf"
    assert report.print_referral(ctx, o.id, out) == 1
    text = pdf_text(out).replace("\n", "")
    number = f"{day[:4]}-{ops.get_opinion(ctx, o.id).row.seq:05d}"
    for expected in ("意见建议交办单", number, "镇村镇建设服务中心", "黄家村3组通组公路塌方", "（复杂件）",
                     "三个面对面", "沿此线剪开", "意见建议办理回执", "□列入计划", "□不满意", "交办人（签字）"):
        assert expected in text, expected
    assert text.count(number) == 2  # on the slip and on the reply slip
    assert pdf_fonts_embedded(out)


def test_summary_by_state_category_and_unit(demo_ctx, tmp_path):
    ctx = demo_ctx
    start = TODAY.replace(month=1, day=1).isoformat()
    summary = ops.opinion_summary(ctx, start, TODAY.isoformat())
    out = tmp_path / "汇总表.pdf"
    pages = report.print_opinion_summary(ctx, out, start, TODAY.isoformat())
    assert pages == page_count(out) >= 1
    text = pdf_text(out).replace("\n", "")
    assert "意见建议办理情况汇总表" in text and f"{start} 至 {TODAY.isoformat()}" in text
    assert f"本期共受理意见建议 {summary.total.total} 件" in text
    for heading in ("一、按办理状态", "二、按类别", "三、按承办单位", "基础设施", "镇村镇建设服务中心", "办结率", "满意率"):
        assert heading in text, heading
    assert pdf_fonts_embedded(out) and dark_pixel_ratio(out) > 0.01
