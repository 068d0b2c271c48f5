"""代表名册 and 代表信息卡 as a user gets them: text, embedded font, something printed, page frame."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest

from congress_desktop.core.errors import Cancelled
from congress_desktop.deputies.report import RosterOptions, render_deputy_card, render_roster
from congress_desktop.deputies.rows import DeputyRow
from tests.pdfcheck import dark_pixel_ratio, pdf_fonts, pdf_fonts_embedded, pdf_pages_text, pdf_text

OFFICE = "丹江口市六里坪镇人大"
VILLAGES = ["六里坪村", "孙家湾村", "马家岗村", "石鼓社区", "余家湾村", "洪家沟村"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉德福春梅海燕"
ID_NUMBER = "420381197503120017"


def make_deputy(i: int, **over) -> DeputyRow:
    values = dict(
        id=f"dep-{i:04d}",
        name=SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 3) % len(GIVEN)] * (i % 2),
        gender="男" if i % 3 else "女",
        ethnicity="土家族" if i % 11 == 0 else "汉族",
        birth_date=f"19{60 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        id_number=ID_NUMBER,
        political="中共党员" if i % 2 else "群众",
        education="大专",
        work_unit="六里坪镇某某村党支部书记、村委会主任" if i % 4 else "丹江口市某某农业发展有限公司总经理",
        mobile=f"139{i:08d}",
        phone="",
        village_id=f"v{i % len(VILLAGES)}",
        village_name=VILLAGES[i % len(VILLAGES)],
        levels=("town", "county") if i % 5 == 0 else ("town",),
        term="第十九届",
        constituency=f"第{1 + i % 12}选区",
        group_name=f"第{1 + i % 4}代表小组",
        elected_on="2021-10-20",
        status="在任",
        status_date="",
        status_reason="",
        note="",
        version=1,
    )
    values.update(over)
    return DeputyRow(**values)


DEPUTIES = sorted((make_deputy(i) for i in range(150)), key=lambda d: VILLAGES.index(d.village_name))


@pytest.fixture(scope="module")
def roster_pdf(tmp_path_factory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("roster") / "代表名册.pdf"
    pages = render_roster(path, OFFICE, DEPUTIES, RosterOptions(group_by="village"))
    return path, pages


@pytest.fixture(scope="module")
def roster_pages(roster_pdf) -> list[str]:
    """The text of each page (extracting it is the slow part: once per module)."""
    return pdf_pages_text(roster_pdf[0])


@pytest.fixture(scope="module")
def card_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("card") / "代表信息卡.pdf"
    deputy = make_deputy(7, levels=("town", "county"), status="终止", status_date="2024-03-01", status_reason="调离本行政区域",
                         note="2023年度履职积极，提出建议5件。")
    assert render_deputy_card(path, OFFICE, deputy) == 1
    return path


def test_roster_text_has_title_names_village_heading_and_page_number(roster_pages):
    text = "\n".join(roster_pages)
    assert "代表名册" in text
    assert DEPUTIES[0].name in text and DEPUTIES[-1].name in text
    assert "六里坪村（共 25 人）" in text
    assert "第 1 页" in text
    assert OFFICE in text


def test_roster_does_not_print_id_numbers(roster_pages):
    text = "\n".join(roster_pages)
    assert ID_NUMBER not in text
    assert "420381" not in text


def test_roster_summary_counts_men_women_and_levels(roster_pages):
    last = roster_pages[-1]
    assert "汇总" in last
    assert "总数" in last and "150" in last
    assert "乡镇人大代表" in last


def test_roster_font_is_embedded_as_subset(roster_pdf):
    path, _ = roster_pdf
    fonts = pdf_fonts(path)
    assert fonts
    assert all(f["file"] == "/FontFile2" for f in fonts)  # TrueType, embedded
    assert all(re.match(r"^/[A-Z]{6}\+", f["base_font"]) for f in fonts), fonts  # subset prefix
    assert pdf_fonts_embedded(path)
    reader = pypdf.PdfReader(str(path))
    assert "STSong" not in str([f["base_font"] for f in fonts])
    assert reader.metadata.title == "代表名册"


def test_roster_first_page_is_not_blank(roster_pdf):
    path, _ = roster_pdf
    assert dark_pixel_ratio(path, 0) > 0.01


def test_roster_runs_over_pages_with_header_and_footer_on_each(roster_pdf, roster_pages):
    pages = roster_pdf[1]
    texts = roster_pages
    assert pages == len(texts) > 1
    for n, page in enumerate(texts, start=1):
        assert OFFICE in page and "代表名册" in page
        assert f"第 {n} 页 / 共 {pages} 页" in page
        assert "生成时间" in page and "文档指纹" in page
    # every page that lists deputies has the column header, including continued tables
    for page in texts:
        if "139000" in page:
            assert "工作单位及职务" in page and "出生年月" in page


def test_roster_grouped_by_deputy_group(tmp_path):
    path = tmp_path / "by-group.pdf"
    chosen = sorted(DEPUTIES[:40], key=lambda d: d.group_name)
    render_roster(path, OFFICE, chosen, RosterOptions(group_by="group", title="代表名册（按小组）", signatures=None))
    text = pdf_text(path)
    first = sum(d.group_name == "第1代表小组" for d in chosen)
    assert f"第1代表小组（共 {first} 人）" in text
    assert "签字" not in text
    assert "所在村(社区)" in text


def test_roster_fingerprint_depends_on_data_not_on_time(tmp_path):
    def footer_fp(p: Path) -> str:
        return re.search(r"文档指纹：([0-9a-f]{8})", pdf_text(p)).group(1)

    a, b, c = tmp_path / "a.pdf", tmp_path / "b.pdf", tmp_path / "c.pdf"
    render_roster(a, OFFICE, DEPUTIES[:5])
    render_roster(b, OFFICE, DEPUTIES[:5])
    render_roster(c, OFFICE, DEPUTIES[:4])
    assert footer_fp(a) == footer_fp(b) != footer_fp(c)


def test_cancelled_roster_raises_and_leaves_no_file(tmp_path):
    path = tmp_path / "名册.pdf"
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        render_roster(path, OFFICE, DEPUTIES, cancel=cancel)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


def test_failed_rewrite_keeps_the_previous_file(tmp_path):
    path = tmp_path / "名册.pdf"
    render_roster(path, OFFICE, DEPUTIES[:3])
    before = path.read_bytes()
    with pytest.raises(Cancelled):
        render_roster(path, OFFICE, DEPUTIES, cancel=lambda: True)
    assert path.read_bytes() == before


def test_roster_reports_progress_up_to_total(tmp_path):
    seen: list[tuple[int, int]] = []
    render_roster(tmp_path / "p.pdf", OFFICE, DEPUTIES[:30], progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert all(d <= t for d, t in seen)


def test_deputy_card_is_one_page_with_masked_id_and_status(card_pdf):
    text = pdf_text(card_pdf)
    assert "代表信息卡" in text
    assert "420381********0017" in text
    assert ID_NUMBER not in text
    assert "终止" in text and "2024-03-01" in text and "调离本行政区域" in text
    assert "乡镇、县市" in text
    assert "贴照片处" in text
    assert "第 1 页 / 共 1 页" in text
    assert len(pypdf.PdfReader(str(card_pdf)).pages) == 1


def test_deputy_card_font_embedded_and_page_not_blank(card_pdf):
    assert pdf_fonts_embedded(card_pdf)
    assert dark_pixel_ratio(card_pdf, 0) > 0.005


def test_deputy_card_with_very_long_texts_stays_on_one_page(tmp_path):
    path = tmp_path / "long.pdf"
    long = "某" * 200
    deputy = make_deputy(3, name="欧阳娜娜", work_unit="某某单位" * 80, note="履职情况良好。" * 300,
                         status="暂停", status_date="2024-05-01", status_reason="说明" * 200,
                         political=long, education=long, ethnicity=long, village_name=long, group_name=long,
                         term=long, constituency=long, mobile=long, phone=long, elected_on=long)
    assert render_deputy_card(path, OFFICE, deputy) == 1
    text = pdf_text(path)
    assert "欧阳娜娜" in text and "…" in text
