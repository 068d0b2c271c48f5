"""统计用区划代码 (12 digits): province 2, city 2, county 2, township 3, village 3."""

from __future__ import annotations

from dataclasses import dataclass

from congress_desktop.core.text import digits_only


class RegionCodeError(ValueError):
    pass


@dataclass(frozen=True)
class RegionCode:
    code: str
    level: str  # city / county / town / village
    kind: str   # 街道 / 镇 / 乡 / 居委会 / 村委会 / 县级 / 地级 ...

    @property
    def county(self) -> str:
        return self.code[:6]

    @property
    def town(self) -> str:
        return self.code[:9]


def township_kind(three: str) -> str:
    n = int(three)
    if 1 <= n <= 99:
        return "街道"
    if 100 <= n <= 199:
        return "镇"
    if 200 <= n <= 399:
        return "乡"
    # 400-599 are 政府驻地 / 类似乡级单位 (开发区, 农场) in the public tables.
    return "类似乡级单位"


def parse_region_code(value: object) -> RegionCode:
    code = digits_only(value)
    if len(code) != 12:
        raise RegionCodeError(f"区划代码应为 12 位数字，这里是 {len(code)} 位")
    province, city, county, town, village = code[:2], code[2:4], code[4:6], code[6:9], code[9:]
    if not (11 <= int(province) <= 82):
        raise RegionCodeError("区划代码前两位（省级）不正确")
    if town == "000":
        if village != "000":
            raise RegionCodeError("区划代码结构不正确：乡级为 000 时村级也应为 000")
        if county == "00":
            return RegionCode(code, "city", "地级")
        return RegionCode(code, "county", "县级")
    if county == "00" and city != "00":
        # 东莞、中山等不设区的市直接辖乡镇, allowed
        pass
    if village == "000":
        return RegionCode(code, "town", township_kind(town))
    n = int(village)
    if 1 <= n <= 199:
        kind = "居委会"
    elif 200 <= n <= 399:
        kind = "村委会"
    else:
        kind = "类似村级单位"
    return RegionCode(code, "village", kind)


def validate_office_code(value: object, role: str) -> RegionCode:
    """A town office needs a township code; a city office needs a county- or prefecture-level code."""
    rc = parse_region_code(value)
    if role == "town" and rc.level != "town":
        raise RegionCodeError("乡镇（街道）人大的区划代码应到乡级，后三位为 000、第 7-9 位不为 000，"
                              "如 420381100000")
    if role == "city" and rc.level not in ("county", "city"):
        raise RegionCodeError("市人大常委会的区划代码应为县级或地级，后六位为 000000，如 420381000000")
    return rc


def validate_village_code(value: object, town_code: str | None = None) -> RegionCode:
    rc = parse_region_code(value)
    if rc.level != "village":
        raise RegionCodeError("村（社区）的区划代码最后三位不能是 000")
    if town_code and rc.town != town_code[:9]:
        raise RegionCodeError(f"村（社区）区划代码的前 9 位应与本乡镇一致（{town_code[:9]}）")
    return rc
