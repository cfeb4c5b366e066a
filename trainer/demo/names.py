"""Name lists for the demo province: Vietnamese personal names by ethnic group and commune names.

Everything here is plain data and small pure helpers; the generator (`generate.py`) draws from
these lists with a seeded random generator, so the same seed gives the same people.
"""
from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate, product

from trainer.core.display import fold

# ---------------------------------------------------------------------------------------------
# Personal names
# ---------------------------------------------------------------------------------------------

# Kinh surnames with rough national frequencies (%).
KINH_SURNAMES = (
    ("Nguyễn", 31), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4),
    ("Đặng", 2.5), ("Bùi", 2.5), ("Đỗ", 2.5), ("Hồ", 1.5), ("Ngô", 1.5), ("Dương", 1.2),
    ("Lý", 0.6), ("Đinh", 1), ("Trịnh", 1), ("Đào", 1), ("Lương", 0.8), ("Mai", 0.6),
    ("Tạ", 0.5), ("Phan", 1.5), ("Cao", 0.5), ("Lưu", 0.5), ("Tô", 0.4), ("Chu", 0.4),
    ("Nông", 0.3), ("Kiều", 0.3), ("Lại", 0.3), ("Hà", 0.6),
)
KINH_MALE_MIDDLE = (
    ("Văn", 30), ("Đức", 10), ("Minh", 8), ("Quang", 7), ("Hữu", 6), ("Xuân", 5), ("Ngọc", 4),
    ("Thành", 4), ("Trung", 3), ("Công", 4), ("Mạnh", 3), ("Tiến", 3), ("Duy", 3),
    ("Hoàng", 3), ("Anh", 2), ("Đình", 4), ("Thế", 3), ("Việt", 2), ("Bá", 1), ("Trọng", 2),
)
KINH_MALE_GIVEN = (
    "Anh", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Giang", "Hải", "Hiếu", "Hoàng", "Hùng",
    "Huy", "Khánh", "Kiên", "Long", "Mạnh", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quang",
    "Quân", "Sơn", "Thắng", "Thành", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Toàn", "Thịnh",
    "Tâm", "Hưng", "Lâm", "Khoa", "Hậu", "Chiến", "Lợi", "Thái", "Trường", "Tú", "Hiệp", "Quyết",
    "Thanh", "Tiến", "Đông", "Hòa",
)
KINH_FEMALE_MIDDLE = (
    ("Thị", 55), ("Thu", 6), ("Thanh", 5), ("Ngọc", 5), ("Minh", 3), ("Phương", 3), ("Thùy", 4),
    ("Hồng", 4), ("Kim", 3), ("Mai", 2), ("Bích", 2), ("Hải", 2), ("Khánh", 2), ("Diệu", 1),
    ("Quỳnh", 1), ("Lan", 1),
)
KINH_FEMALE_GIVEN = (
    "Anh", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng", "Huệ",
    "Hương", "Hường", "Lan", "Liên", "Linh", "Loan", "Mai", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh",
    "Phương", "Quyên", "Quỳnh", "Tâm", "Thảo", "Thủy", "Trang", "Uyên", "Vân", "Yến", "Thúy",
    "Huyền", "Lý", "Nguyệt", "Thơm", "Xuân", "Hòa", "Thắm", "Trinh", "Vy",
)


@dataclass(frozen=True)
class NameStyle:
    surnames: tuple  # (name, weight)
    male_middle: tuple  # (name, weight)
    male_given: tuple
    female_middle: tuple  # (name, weight)
    female_given: tuple
    kinh_given: float = 0.0  # share of people of the group with a Kinh-style middle/given name


THAI = NameStyle(
    surnames=(("Lò", 20), ("Lường", 12), ("Tòng", 10), ("Quàng", 8), ("Cầm", 7), ("Điêu", 6),
              ("Vì", 6), ("Hoàng", 6), ("Lù", 4), ("Bạc", 3), ("Mè", 2), ("Sầm", 2), ("Hà", 3)),
    male_middle=(("Văn", 85), ("Chính", 5), ("Xuân", 5), ("Thanh", 5)),
    male_given=("Hặc", "Khương", "Tiến", "Thanh", "Ẻn", "Ơn", "Pọm", "Xiêng", "Khăm", "Thoại",
                "Hùng", "Chiến", "Phong", "Kiên", "Dũng", "Tuấn", "Quyết", "Bình", "Tới", "Biên",
                "Lả", "Panh", "Sáng", "Thương", "Ban"),
    female_middle=(("Thị", 92), ("Thu", 4), ("Hồng", 4)),
    female_given=("Ọn", "Ẻm", "Xuân", "Hương", "Lả", "Pâng", "Ngọc", "Thanh", "Hoa", "Duyên",
                  "Dung", "Nguyệt", "Xiêm", "Bun", "Thoan", "Kim", "Lan", "Phương", "Ánh", "Ọi"),
    kinh_given=0.3,
)
MONG = NameStyle(
    surnames=(("Giàng", 18), ("Vàng", 14), ("Sùng", 12), ("Lý", 10), ("Thào", 10), ("Hạng", 7),
              ("Mùa", 6), ("Lầu", 5), ("Vừ", 5), ("Tráng", 4), ("Lù", 3), ("Chá", 2), ("Cứ", 2),
              ("Hầu", 1), ("Sình", 1)),
    male_middle=(("A", 45), ("Seo", 15), ("Văn", 30), ("Sái", 5), ("Chứ", 5)),
    male_given=("Páo", "Chứ", "Dình", "Sử", "Pó", "Lử", "Sinh", "Thề", "Chính", "Dế", "Tủa",
                "Dua", "Vư", "Chá", "Phềnh", "Sếnh", "Mang", "Lềnh", "Nhà", "Dơ", "Của", "Pháo"),
    female_middle=(("Thị", 90), ("Mỷ", 5), ("Sua", 5)),
    female_given=("Mỷ", "Dợ", "Sua", "Máy", "Dế", "Chở", "Pàng", "Mai", "Hoa", "Sa", "Dung", "Nhìa",
                  "Say", "Chơ", "Pà", "Chi", "Lan", "Vư"),
    kinh_given=0.2,
)
DAO = NameStyle(
    surnames=(("Tẩn", 20), ("Chảo", 18), ("Phàn", 14), ("Lý", 12), ("Đặng", 12), ("Triệu", 12),
              ("Lò", 6), ("Bàn", 6)),
    male_middle=(("Láo", 20), ("Ông", 15), ("Văn", 40), ("Kiến", 10), ("Quẩy", 10), ("Sành", 5)),
    male_given=("San", "Mẩy", "Chài", "Chiêu", "Phấu", "Quẩy", "Lở", "Dụ", "Chòi", "Kiều", "Phú",
                "Sơn", "Hùng", "Tả", "Sinh", "Vần"),
    female_middle=(("Mụi", 35), ("Thị", 55), ("Sử", 10)),
    female_given=("Chiêu", "Mẩy", "Xuân", "Lở", "Dính", "Siểu", "Hoa", "Liên", "Tả", "Chài", "Dung",
                  "Phương"),
    kinh_given=0.25,
)
HA_NHI = NameStyle(
    surnames=(("Lý", 25), ("Chu", 20), ("Phu", 12), ("Pờ", 12), ("Lò", 12), ("Chang", 8),
              ("Sừ", 6), ("Ly", 5)),
    male_middle=(("Gò", 20), ("Xá", 15), ("A", 25), ("Văn", 30), ("Chà", 10)),
    male_given=("Xá", "Pứ", "Sa", "Hừ", "Chừ", "Hờ", "Gơ", "Ngừ", "Xe", "Phì", "Lỳ", "Chơ", "Mờ"),
    female_middle=(("Mé", 25), ("Thị", 60), ("Mỳ", 15)),
    female_given=("Ga", "Sỉ", "Cho", "Pa", "Xé", "Gạ", "Sú", "Mơ", "Chừ", "Hờ", "Lan"),
    kinh_given=0.2,
)
GIAY = NameStyle(
    surnames=(("Hoàng", 25), ("Lò", 20), ("Vàng", 15), ("Lù", 12), ("Sần", 10), ("Lồ", 8),
              ("Giàng", 5), ("Vương", 5)),
    male_middle=(("Văn", 90), ("Seo", 10)),
    male_given=("Chiến", "Dình", "Lìn", "Sáng", "Quân", "Thanh", "Hùng", "Phương", "Chầu", "Sìn",
                "Tuấn", "Lợi"),
    female_middle=(("Thị", 100),),
    female_given=("Nhung", "Lan", "Hạnh", "Dín", "Ởn", "Phương", "Vân", "Mai", "Sinh", "Hoa"),
    kinh_given=0.4,
)
LU = NameStyle(
    surnames=(("Lò", 40), ("Tao", 20), ("Đao", 15), ("Lường", 15), ("Lý", 10)),
    male_middle=(("Văn", 100),),
    male_given=("Kim", "Ún", "Bun", "Ngọc", "Tiến", "Xiêng", "Pặn", "Thanh", "Hương"),
    female_middle=(("Thị", 100),),
    female_given=("Ơn", "Bua", "Hoa", "Phương", "Xuân", "Đôi", "Ún"),
    kinh_given=0.3,
)
LA_HU = NameStyle(
    surnames=(("Lò", 30), ("Chu", 20), ("Phùng", 15), ("Lý", 15), ("Vàng", 10), ("Mùa", 10)),
    male_middle=(("Xà", 25), ("A", 35), ("Văn", 40)),
    male_given=("Pa", "Xè", "Phì", "Xá", "Sa", "Chừ", "Lừ", "Nhù", "Pó"),
    female_middle=(("Na", 30), ("Thị", 70)),
    female_given=("Pa", "Mé", "Xé", "Sú", "Mi", "Hoa"),
    kinh_given=0.2,
)
# Khơ Mú, Lào, Cống, Si La and Mảng officials in Lai Châu mostly carry Thái-style names.
THAI_LIKE = NameStyle(
    surnames=(("Lò", 30), ("Vì", 20), ("Quàng", 15), ("Lường", 15), ("Cầm", 10), ("Pờ", 5),
              ("Chang", 5)),
    male_middle=THAI.male_middle, male_given=THAI.male_given,
    female_middle=THAI.female_middle, female_given=THAI.female_given, kinh_given=0.35,
)


def _kinh_like(surnames) -> NameStyle:
    return NameStyle(surnames=surnames, male_middle=KINH_MALE_MIDDLE,
                     male_given=KINH_MALE_GIVEN, female_middle=KINH_FEMALE_MIDDLE,
                     female_given=KINH_FEMALE_GIVEN, kinh_given=1.0)


KINH = _kinh_like(KINH_SURNAMES)
NAME_STYLES: dict[str, NameStyle] = {
    "Kinh": KINH,
    "Tày": _kinh_like((("Hoàng", 25), ("Nông", 20), ("Lương", 12), ("Triệu", 10), ("Ma", 8),
                       ("Hà", 10), ("Lục", 5), ("Bế", 10))),
    "Nùng": _kinh_like((("Hoàng", 25), ("Nông", 25), ("Lục", 15), ("Lăng", 10), ("Chu", 10),
                        ("Mã", 15))),
    "Mường": _kinh_like((("Đinh", 30), ("Bùi", 30), ("Quách", 15), ("Hà", 15), ("Xa", 10))),
    "Hoa": _kinh_like((("Lý", 25), ("Trương", 20), ("Châu", 15), ("Quách", 15), ("Lâm", 15),
                       ("Lưu", 10))),
    "Thái": THAI,
    "Mông": MONG,
    "Dao": DAO,
    "Hà Nhì": HA_NHI,
    "Giáy": GIAY,
    "Lự": LU,
    "La Hủ": LA_HU,
    "Khơ Mú": THAI_LIKE,
    "Lào": THAI_LIKE,
    "Cống": THAI_LIKE,
    "Si La": THAI_LIKE,
    "Mảng": THAI_LIKE,
}

# Ethnic make-up of the officials of a commune, by region (weights). Lai Châu-like: Thái and
# Mông are the largest groups in the mountain communes; the lowland and urban ones are mostly
# Kinh; the (simulated) island zones are Kinh.
ETHNIC_MIX = {
    "mountain": (("Thái", 27), ("Mông", 22), ("Kinh", 22), ("Dao", 9), ("Hà Nhì", 5),
                 ("Giáy", 4), ("Lự", 2), ("La Hủ", 2), ("Khơ Mú", 2), ("Tày", 1.5), ("Lào", 1),
                 ("Cống", 1), ("Si La", 0.5), ("Mảng", 0.5)),
    "rural": (("Kinh", 74), ("Thái", 12), ("Giáy", 4), ("Tày", 4), ("Mường", 3), ("Nùng", 2),
              ("Mông", 1)),
    "urban": (("Kinh", 80), ("Thái", 8), ("Tày", 3), ("Mông", 3), ("Giáy", 2), ("Mường", 2),
              ("Dao", 1), ("Nùng", 1)),
    "island": (("Kinh", 97), ("Hoa", 2), ("Mường", 1)),
}


_CUMULATIVE: dict[int, tuple[tuple, list[float], float, object]] = {}


def weighted(rng: random.Random, pairs):
    """One value from (value, weight) pairs: what `rng.choices(values, weights)[0]` draws, from
    the same single `rng.random()`, with the running sums of the weights computed once a list
    (the generator draws hundreds of thousands of times from the same few constant tuples)."""
    cached = _CUMULATIVE.get(id(pairs))
    if cached is None or cached[3] is not pairs:
        values = tuple(p[0] for p in pairs)
        cum = list(accumulate(p[1] for p in pairs))
        cached = _CUMULATIVE[id(pairs)] = (values, cum, cum[-1] + 0.0, pairs)
    values, cum, total, _ = cached
    return values[bisect(cum, rng.random() * total, 0, len(values) - 1)]


def full_name(rng: random.Random, ethnicity: str, gender: str) -> str:
    style = NAME_STYLES.get(ethnicity, KINH)
    surname = weighted(rng, style.surnames)
    if style is not KINH and style.kinh_given < 1.0 and rng.random() < style.kinh_given:
        style = NameStyle(surnames=style.surnames, male_middle=KINH_MALE_MIDDLE,
                          male_given=KINH_MALE_GIVEN, female_middle=KINH_FEMALE_MIDDLE,
                          female_given=KINH_FEMALE_GIVEN)
    if gender == "female":
        middle = weighted(rng, style.female_middle)
        given = rng.choice(style.female_given)
    else:
        middle = weighted(rng, style.male_middle)
        given = rng.choice(style.male_given)
    if middle == given:  # "Văn Văn", "Thị Thị" never happen; pick another given name
        pool = style.female_given if gender == "female" else style.male_given
        given = pool[(pool.index(given) + 1) % len(pool)]
    return f"{surname} {middle} {given}"


def ascii_fold(text: str) -> str:
    """'Nguyễn Văn Đức' -> 'nguyen van duc' (for demo e-mail addresses)."""
    return fold(text)


def email_stem(name: str) -> str:
    """Government-style mailbox: given name + initials of surname and middle names
    ('Nguyễn Văn Hùng' -> 'hungnv')."""
    parts = ascii_fold(name).split()
    return parts[-1] + "".join(p[0] for p in parts[:-1])


# ---------------------------------------------------------------------------------------------
# Commune names
# ---------------------------------------------------------------------------------------------

# Communes of Lai Châu after the 2025 merger (real names; the demo province is simulated).
MOUNTAIN_COMMUNES = (
    "Bình Lư", "Tam Đường", "Sìn Hồ", "Phong Thổ", "Mường Tè", "Nậm Nhùn", "Pa Tần", "Bum Tở",
    "Dào San", "Sì Lở Lầu", "Mù Cả", "Tủa Sín Chải", "Nậm Tăm", "Mường Kim", "Khoen On",
    "Pắc Ta", "Bản Bo", "Khun Há", "Bum Nưa", "Thu Lũm", "Pa Ủ", "Hua Bum", "Nậm Mạ", "Lê Lợi",
    "Pu Sam Cáp", "Sin Suối Hồ", "Hồng Thu", "Nậm Hàng", "Mường Mô", "Tà Tổng", "Khổng Lào",
    "Mường Khoa", "Nậm Sỏ", "Tả Lèng", "Hoang Thèn", "Nậm Cuổi", "Tả Phìn", "Ka Lăng",
    "Mồ Sì San", "Vàng Ma Chải", "Nậm Xe", "Mường So", "Căn Co", "Ma Quai", "Pa Vây Sử",
)
_MOUNTAIN_PREFIX = ("Nậm", "Pa", "Mường", "Bản", "Tà", "Sìn", "Pu", "Huổi", "Nà", "Phìn", "Sin",
                    "Ma", "Tả", "Mù", "Lả", "Ka", "Hua", "Khổng", "Chăn", "Pắc")
_MOUNTAIN_SUFFIX = ("Khao", "Lư", "Chà", "Pồ", "Sáng", "Bon", "Lay", "Ban", "Sam", "Pục", "Tấu",
                    "Khuông", "Chải", "Nhé", "Vai", "Lùng", "Hỏ", "Cang", "Mơ", "Pín")

RURAL_COMMUNES = ("Than Uyên", "Tân Uyên", "Mường Than", "Phúc Than", "Trung Đồng",
                  "Thân Thuộc", "Hố Mít", "Bản Hon")
_KINH_PREFIX = ("Tân", "Phúc", "An", "Bình", "Hòa", "Thịnh", "Hưng", "Đồng", "Trung", "Quang",
                "Vĩnh", "Thanh", "Minh", "Phú", "Xuân", "Đại")
_KINH_SUFFIX = ("Lợi", "Hòa", "Phú", "An", "Thành", "Tiến", "Lạc", "Yên", "Hưng", "Sơn", "Lâm",
                "Bình", "Thuận", "Phong", "Thịnh", "Khánh")

URBAN_WARDS = ("Tân Phong", "Đoàn Kết", "Quyết Thắng", "Quyết Tiến", "Đông Phong")
ISLAND_ZONES = ("Hòn Ngư", "Bạch Sa", "Hòn Mê", "Cồn Ngọc", "Đảo Yến", "Hòn Khoai", "Bãi Ngang",
                "Hòn Sơn")


def _names(real, prefixes, suffixes, n: int, taken: set[str]) -> list[str]:
    out = []
    for name in list(real) + [f"{a} {b}" for a, b in product(prefixes, suffixes)]:
        if len(out) == n:
            break
        if name not in taken and name.split()[0] != name.split()[-1]:
            out.append(name)
            taken.add(name)
    if len(out) < n:  # beyond ~400 names of a kind: number them
        base = out[:] or ["Mới"]
        i = 2
        while len(out) < n:
            for name in base:
                if len(out) == n:
                    break
                numbered = f"{name} {i}"
                if numbered not in taken:
                    out.append(numbered)
                    taken.add(numbered)
            i += 1
    return out


def commune_names(n_mountain: int, n_rural: int, n_urban: int, n_island: int):
    """Distinct place names for each kind of commune (without the 'Xã'/'Phường' word)."""
    taken: set[str] = set()
    mountain = _names(MOUNTAIN_COMMUNES, _MOUNTAIN_PREFIX, _MOUNTAIN_SUFFIX, n_mountain, taken)
    rural = _names(RURAL_COMMUNES, _KINH_PREFIX, _KINH_SUFFIX, n_rural, taken)
    urban_taken: set[str] = set()  # a ward may share a name with a commune of another kind
    urban = _names(URBAN_WARDS, _KINH_PREFIX, tuple(reversed(_KINH_SUFFIX)), n_urban,
                   urban_taken)
    island = _names(ISLAND_ZONES, ("Hòn", "Cồn", "Đảo"), ("Ngư", "Sa", "Yến", "Ngọc", "Tre",
                                                         "Mun", "Cau", "Khô"), n_island, set())
    return mountain, rural, urban, island
