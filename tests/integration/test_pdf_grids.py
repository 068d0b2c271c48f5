"""网格化履职名册 and 代表公示牌 as a user gets them from the demo town: text, embedded font, large type."""

from __future__ import annotations

import pypdf

from congress_desktop.grids import report as grid_report
from congress_desktop.grids import service as grids
from tests.pdfcheck import (
    dark_pixel_ratio,
    page_count,
    pdf_fonts_embedded,
    pdf_pages_text,
    pdf_text,
    render_page_png,
)


def flat(text: str) -> str:
    return text.replace("\n", "").replace(" ", "")


def test_town_roster_lists_every_grid_deputy_and_the_deputies_not_yet_placed(demo_ctx, tmp_path):
    out = tmp_path / "网格化履职名册.pdf"
    pages = grid_report.print_grid_roster(demo_ctx, out)
    assert pages == page_count(out) >= 2
    text = flat(pdf_text(out))
    assert "网格化履职名册" in text and "全镇" in text
    roster = grids.roster_on(demo_ctx)
    for rg in roster:
        assert rg.grid.code in text and rg.grid.name in text
        for m in rg.members:
            assert m.name in text and m.mobile in text
    assert "责任代表" in text and "网格员电话" in text
    unplaced = grids.check_grids(demo_ctx).of_kind("unplaced")
    assert unplaced and "未入格代表：" in text
    assert all(i.deputy in text.split("未入格代表：")[1] for i in unplaced)
    assert pdf_fonts_embedded(out)
    assert dark_pixel_ratio(out, 0) > 0.01
    landscape = pypdf.PdfReader(str(out)).pages[0].mediabox
    assert landscape.width > landscape.height


def test_village_roster_holds_only_that_village(demo_ctx, tmp_path):
    grids.accept_placements(demo_ctx, grids.suggest_placements(demo_ctx).proposals)
    one = grids.list_grids(demo_ctx)[-1]
    out = tmp_path / "村名册.pdf"
    grid_report.print_grid_roster(demo_ctx, out, village=one.village_code)
    text = flat(pdf_text(out))
    assert f"{one.village_name}网格化履职名册" in text
    mine = [g for g in grids.list_grids(demo_ctx) if g.village_id == one.village_id]
    others = [g for g in grids.list_grids(demo_ctx) if g.village_id != one.village_id]
    assert all(g.code in text for g in mine) and not any(g.code in text for g in others)
    assert "未入格代表" not in text


def test_boards_one_page_per_grid_in_large_type(demo_ctx, tmp_path):
    grids.accept_placements(demo_ctx, grids.suggest_placements(demo_ctx).proposals)
    out = tmp_path / "公示牌.pdf"
    roster = grids.roster_on(demo_ctx)
    pages = grid_report.print_grid_boards(demo_ctx, out)
    assert pages == len(roster) == page_count(out)
    texts = pdf_pages_text(out)
    for rg, text in zip(roster, texts, strict=True):
        t = flat(text)
        assert "人大代表联系网格公示牌" in t and rg.grid.name in t and "代表为您做什么" in t
        assert all(m.name in t and m.mobile in t for m in rg.members)
        assert rg.grid.worker_phone in t
    assert pdf_fonts_embedded(out)
    # names and phones are printed big enough to read on a notice board from a few metres
    rg = next(r for r in roster if r.members)
    page = pypdf.PdfReader(str(out)).pages[roster.index(rg)]
    sizes: dict[str, float] = {}

    def seen(text, _cm, _tm, _font, size):
        for ch in text.strip():
            sizes[ch] = max(sizes.get(ch, 0), size)

    page.extract_text(visitor_text=seen)
    assert min(sizes[ch] for ch in rg.members[0].name) >= 30
    assert min(sizes[ch] for ch in rg.members[0].mobile) >= 24
    png = render_page_png(out, roster.index(rg), tmp_path / "board.png", scale=1.0)
    assert png.stat().st_size > 10_000
    portrait = pypdf.PdfReader(str(out)).pages[0].mediabox
    assert portrait.height > portrait.width


def test_boards_of_one_village_and_an_empty_grid_says_so(demo_ctx, tmp_path):
    empty = next(rg for rg in grids.roster_on(demo_ctx) if not rg.members)
    out = tmp_path / "村公示牌.pdf"
    pages = grid_report.print_grid_boards(demo_ctx, out, village=empty.grid.village_name)
    assert pages == len(grids.list_grids(demo_ctx, empty.grid.village_id))
    assert "本网格暂未安排代表" in flat(pdf_text(out))
