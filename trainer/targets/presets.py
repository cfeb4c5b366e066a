"""The quantified targets of the provincial plans (REQUIREMENTS.md) as data: each preset is
seeded as a `Target` row (`operations.seed_presets`) with its source ID, then HR may edit it.
The JSON shapes of `population` and `criterion` are in docs/targets.md; interpretations of the
documents in docs/decisions.md (Targets)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class TargetSpec:
    """A target definition not (yet) stored: the same attribute names as the `Target` model, so
    progress can be computed from either."""
    code: str
    title: str
    source: str
    population: dict
    criterion: dict
    threshold: float  # percent (of officials; of units for `unit_headcount`)
    deadline: date
    note: str = ""
    preset: bool = field(default=True)
    # Earlier definitions of this preset (the fields that changed, as they were): a row still
    # holding one word for word was never edited and takes the current one (`seed_presets`).
    former: tuple[dict, ...] = ()


END_2030 = date(2030, 12, 31)
EVERYONE: dict = {}
WITH_POSITION = {"has_position": True}
REFORM_DAY = "2025-07-01"  # the two-level local government starts: positions are the new ones
LC_1B_STAND_IN_NOTE = ("Chưa có dữ liệu riêng về “chuyên môn không phù hợp”: tính trên mọi người "
                       "có vị trí; người đã đạt mọi năng lực thực thi công vụ của vị trí thì "
                       "không cần đào tạo lại.")

PRESETS: tuple[TargetSpec, ...] = (
    TargetSpec("DL-a", "Rà soát, đánh giá cán bộ theo khung năng lực vị trí việc làm", "DL-a",
               WITH_POSITION, {"kind": "reviewed", "since": REFORM_DAY}, 100, date(2026, 6, 30),
               "Tính các lần đánh giá từ 01/07/2025, ngày chính quyền địa phương hai cấp bắt đầu "
               "hoạt động: đánh giá trước đó là theo vị trí cũ. Được tính khi cấp trên đánh giá "
               "(kể cả trong đợt đánh giá), kiểm tra, sát hạch hoặc kèm cặp xác nhận; tự đánh giá "
               "chưa tính. Người chưa được đánh giá đạt chuẩn sẽ vào danh sách đào tạo hoặc bố "
               "trí lại."),
    TargetSpec("DL-b", "Mỗi xã, phường có kế hoạch đào tạo, bồi dưỡng hằng năm", "DL-b",
               EVERYONE, {"kind": "unit_plan"}, 100, END_2030,
               "Chỉ tiêu tính theo đơn vị: tỷ lệ xã, phường, đặc khu có kế hoạch của năm đang diễn "
               "ra đã được tỉnh phê duyệt (kế hoạch năm sau lập trước 31/12); một xã được tính từ "
               "ngày kế hoạch được phê duyệt."),
    TargetSpec("DL-c", "Bồi dưỡng kỹ năng số, kỹ năng hành chính, đạo đức công vụ", "DL-c",
               EVERYONE, {"kind": "course", "categories": ["digital", "skills", "ethics"],
                          "match": "all"}, 100, END_2030,
               "Kỹ năng hành chính gồm tiếp dân, xử lý tình huống."),
    TargetSpec("DL-d", "Cập nhật kiến thức chuyển đổi số, công nghệ thông tin, khai thác dữ liệu",
               "DL-d", EVERYONE, {"kind": "course", "categories": ["digital"], "match": "any"},
               100, END_2030),
    TargetSpec("DL-đ", "Thành thạo văn bản điện tử, chữ ký số, nền tảng dùng chung", "DL-đ",
               EVERYONE, {"kind": "competency", "codes": ["CDS-02", "CDS-03"], "level": 2},
               100, END_2030, "CDS-02 văn bản điện tử, chữ ký số; CDS-03 nền tảng dùng chung."),
    TargetSpec("DL-e", "Hồ sơ điện tử chuẩn hóa trong cơ sở dữ liệu của tỉnh", "DL-e", EVERYONE,
               {"kind": "record_digitised"}, 100, END_2030),
    TargetSpec("DL-m", "Kỹ năng số đáp ứng yêu cầu chính quyền số", "DL-m", WITH_POSITION,
               {"kind": "no_gap", "domains": ["digital", "data", "ai"]}, 100, END_2030,
               "Không còn thiếu hụt ở các năng lực số, dữ liệu, AI mà vị trí việc làm yêu cầu."),
    TargetSpec("KH-10", "Cập nhật kiến thức mới, nhất là công nghệ thông tin, chuyển đổi số",
               "KH-10", EVERYONE, {"kind": "course", "categories": ["digital", "law"],
                                   "match": "any"}, 100, END_2030,
               "Kiến thức mới: khóa kỹ năng số, chuyển đổi số hoặc cập nhật pháp luật "
               "còn hiệu lực."),
    TargetSpec("LC-1b", "Đào tạo lại người có chuyên môn chưa phù hợp vị trí mới", "LC-1b",
               {"has_position": True, "field_mismatch": True},
               {"kind": "no_gap", "groups": ["thuc_thi"]}, 100, date(2028, 12, 31),
               "Đối tượng: người có chuyên ngành đào tạo không thuộc các ngành mà vị trí việc làm "
               "chấp nhận (danh mục vị trí); người chưa ghi chuyên ngành, hoặc vị trí chưa có "
               "danh sách ngành, chưa được tính. Đạt khi đã đạt mọi năng lực thực thi công vụ của "
               "vị trí (đã được đào tạo lại).",
               former=({"population": WITH_POSITION, "note": LC_1B_STAND_IN_NOTE},)),
    TargetSpec("LC-2", "Đào tạo, bồi dưỡng theo vị trí việc làm", "LC-2", WITH_POSITION,
               {"kind": "no_gap"}, 100, END_2030),
    TargetSpec("LC-3", "Cập nhật pháp luật, đạo đức, văn hóa công vụ, công nghệ thông tin",
               "LC-3", EVERYONE, {"kind": "course", "categories": ["law", "ethics", "digital"],
                                  "match": "all"}, 70, END_2030),
    TargetSpec("LC-4", "Xếp loại hoàn thành nhiệm vụ trở lên", "LC-4", EVERYONE,
               {"kind": "rating", "level": "hoan_thanh"}, 100, END_2030),
    TargetSpec("LC-4b", "Xếp loại hoàn thành tốt nhiệm vụ trở lên", "LC-4", EVERYONE,
               {"kind": "rating", "level": "hoan_thanh_tot"}, 95, END_2030,
               "Văn bản: trên 95%."),
    TargetSpec("LC-5", "Lãnh đạo chủ chốt có trình độ thạc sĩ", "LC-5",
               {"position_groups": ["leadership"]},
               {"kind": "qualification", "qualification": "education", "level": "thac_si"},
               75, END_2030),
    TargetSpec("LC-5b", "Phó Chủ tịch HĐND, UBND có lý luận chính trị cao cấp", "LC-5b",
               {"position_codes": ["PCT-UBND", "PCT-HDND"]},
               {"kind": "qualification", "qualification": "political_theory",
                "level": "cao_cap"}, 100, END_2030, "Cao cấp hoặc cử nhân."),
    TargetSpec("LC-5c", "Lãnh đạo chủ chốt mỗi xã có nữ và người dân tộc thiểu số", "LC-5",
               EVERYONE, {"kind": "unit_composition", "position_groups": ["leadership"],
                          "female": True, "minority": True}, 100, END_2030,
               "Chỉ tiêu tính theo đơn vị: tỷ lệ xã, phường, đặc khu mà trong những người giữ vị "
               "trí lãnh đạo có ít nhất một nữ và ít nhất một người dân tộc thiểu số. Giới tính, "
               "dân tộc, vị trí không có ngày ghi nhận: chỉ có số liệu hôm nay."),
    TargetSpec("LC-6a", "Trưởng, phó phòng có trình độ thạc sĩ", "LC-6",
               {"position_groups": ["manager"]},
               {"kind": "qualification", "qualification": "education", "level": "thac_si"},
               25, END_2030),
    TargetSpec("LC-6b", "Trưởng, phó phòng có lý luận chính trị cao cấp", "LC-6",
               {"position_groups": ["manager"]},
               {"kind": "qualification", "qualification": "political_theory",
                "level": "cao_cap"}, 50, END_2030),
    TargetSpec("LC-7a", "Công chức chuyên môn có trình độ đại học", "LC-7",
               {"position_groups": ["specialist"]},
               {"kind": "qualification", "qualification": "education", "level": "dai_hoc"},
               100, END_2030),
    TargetSpec("LC-7b", "Công chức chuyên môn có lý luận chính trị trung cấp", "LC-7",
               {"position_groups": ["specialist"]},
               {"kind": "qualification", "qualification": "political_theory",
                "level": "trung_cap"}, 80, END_2030, "Văn bản: trên 80%."),
    TargetSpec("HT-3", "Số hóa hồ sơ cán bộ trong cơ sở dữ liệu dùng chung", "HT-3", EVERYONE,
               {"kind": "record_digitised"}, 100, date(2027, 12, 31)),
    TargetSpec("HT-6", "Cấp chữ ký số cá nhân", "HT-6", EVERYONE,
               {"kind": "digital_signature"}, 100, date(2027, 12, 31), "Trước năm 2028."),
    TargetSpec("HT-7", "Mỗi trạm y tế xã có ít nhất 4 bác sĩ", "HT-7", EVERYONE,
               {"kind": "unit_headcount", "count": 4, "unit_name_contains": "Trạm Y tế",
                "qualification": "education", "level": "dai_hoc",
                "field_contains": ["bác sĩ", "y khoa", "y đa khoa"]}, 100, date(2027, 12, 31),
               "Chỉ tiêu tính theo đơn vị: tỷ lệ trạm y tế đủ 4 bác sĩ (đại học ngành y)."),
)
BY_CODE = {t.code: t for t in PRESETS}
ORDER = {t.code: i for i, t in enumerate(PRESETS)}
