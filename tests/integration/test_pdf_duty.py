"""代表履职情况通报 and 代表履职档案 as real PDFs: the text read back, the font embedded, the charts drawn
(the page rendered is not blank), through the service and from the command line."""

from __future__ import annotations

import datetime as dt
import json
import shutil

from congress_desktop.duty import evaluation as evs
from congress_desktop.duty import report
from congress_desktop.duty import rules as ev
from tests.integration.test_cli import cli
from tests.pdfcheck import dark_pixel_ratio, pdf_fonts_embedded, pdf_text, render_page, render_page_png

TODAY = dt.date.today()


def last_quarter() -> tuple[str, str]:
    y, q = ev.quarter_of(TODAY)
    return ev.quarter_bounds(*((y - 1, 4) if q == 1 else (y, q - 1)))


def chart_ink(path, box: tuple[float, float, float, float]) -> float:
    """Share of dark pixels in a part of page 1 (box as fractions of width and height)."""
    img = render_page(path, 0, scale=0.75).convert("L")
    w, h = img.size
    part = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    hist = part.histogram()
    return sum(hist[:200]) / (part.width * part.height)


def test_notice_of_the_demo_quarter_prints_with_table_charts_and_reminders(demo_ctx, tmp_path):
    ctx = demo_ctx
    e = evs.evaluate(ctx, *last_quarter())
    pdf = tmp_path / "通报.pdf"
    pages = report.print_duty_notice(ctx, pdf, e.date_from, e.date_to)
    assert pages >= 2
    text = pdf_text(pdf)
    assert f"{e.title}代表履职情况通报" in text
    for words in ("一、总体情况", "各月履职活动次数", "各项积分合计", "二、代表履职积分", "三、表现突出的代表",
                  "四、需要提醒的代表", "代表资格风险", "按期间关闭时的考评办法第 1 版计算", "计分办法",
                  "《代表法》规定"):
        assert words in text, words
    for r in e.rows:
        assert r.name in text
    assert pdf_fonts_embedded(pdf)
    assert dark_pixel_ratio(pdf, 0) > 0.02
    assert chart_ink(pdf, (0.05, 0.33, 0.5, 0.65)) > 0.05  # the bars of the month chart
    render_page_png(pdf, 0, tmp_path / "notice.png")


def test_voter_rating_share_in_the_notice_table_is_never_broken_inside_the_number(demo_ctx, tmp_path):
    """The 选民测评 column is narrow: the result and the 称职 share go on two lines of their own, so
    「75.9%」 is never printed as 「75.」 and 「9%」."""
    ctx = demo_ctx
    a, b = last_quarter()
    p = evs.period_for(ctx, a, b)
    evs.reopen_period(ctx, p.id)
    deputy = evs.evaluate_period(ctx, p.id).rows[0]
    evs.set_rating(ctx, p.id, deputy.deputy_id, ("41", "12", "1"))  # 75.9 % 称职, result 基本称职
    pdf = tmp_path / "通报.pdf"
    report.print_duty_notice(ctx, pdf, a, b)
    lines = [line.strip().replace("\u00a0", " ") for line in pdf_text(pdf).splitlines()]
    assert "称职 75.9%" in lines
    assert not any(line.endswith("75.") for line in lines)


def test_duty_file_of_a_deputy_prints_records_points_and_charts(demo_ctx, tmp_path):
    ctx = demo_ctx
    e = evs.evaluate(ctx, *last_quarter())
    best = e.rows[0]
    year = (f"{TODAY.year}-01-01", f"{TODAY.year}-12-31")
    pdf = tmp_path / "档案.pdf"
    pages = report.print_duty_file(ctx, best.deputy_id, *year, pdf)
    assert pages >= 1
    f = evs.duty_file(ctx, best.deputy_id, *year)
    text = pdf_text(pdf).replace("\n", "")
    for words in ("代表履职档案", best.name, f"{TODAY.year}年度", "考评结果", "积分明细", "履职记录",
                  f"列第 {f.score.rank} 名", "各月履职活动次数", "各项得分", "代表本人（签字）"):
        assert words in text, words
    for entry in f.entries[:5]:
        assert entry.ref.title[:10] in text
    assert pdf_fonts_embedded(pdf)
    assert chart_ink(pdf, (0.05, 0.35, 0.5, 0.6)) > 0.02
    render_page_png(pdf, 0, tmp_path / "file.png")


def test_evaluate_json_and_print_from_the_command_line(demo_ctx, tmp_path):
    folder = tmp_path / "cli"
    shutil.copytree(demo_ctx.data_dir, folder, ignore=shutil.ignore_patterns("logs", "backups"))
    date_from, date_to = last_quarter()
    r = cli(folder, "evaluate", "--from", date_from, "--to", date_to, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["closed"] is True and data["scheme"] == 1 and len(data["rows"]) == 62
    top = data["rows"][0]
    assert top["rank"] == 1 and top["grade"] == "优秀"
    records = [x for item in top["items"].values() for x in item["records"]]
    assert records and all({"kind", "id", "date", "title"} <= set(x) for x in records)
    assert all(item["count"] == len(item["records"]) for item in top["items"].values())

    r = cli(folder, "scheme", "set", "suggestion", "--points", "6", "--cap", "30")
    assert r.returncode == 0 and "第 2 版" in r.stdout
    r = cli(folder, "evaluate", "--period", f"{date_from[:4]}Q{(int(date_from[5:7]) - 1) // 3 + 1}", "--json")
    assert json.loads(r.stdout)["scheme"] == 1  # the closed quarter keeps its version

    out = tmp_path / "通报.pdf"
    r = cli(folder, "print", "duty-notice", "--from", date_from, "--to", date_to, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "代表履职情况通报" in pdf_text(out)
    out = tmp_path / "档案.pdf"
    r = cli(folder, "print", "duty-file", top["name"], "--from", date_from, "--to", date_to, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert top["name"] in pdf_text(out)
    r = cli(folder, "evaluate", "--from", date_to, "--to", date_from)
    assert r.returncode == 1 and "截止日期不能早于起始日期" in r.stderr
