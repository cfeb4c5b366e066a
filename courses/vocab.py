"""Vietnamese enumerations shared by the catalog, the engine and the app (DOMAIN.md).

Each ordered scale is a tuple of (code, Vietnamese label); the index in the tuple is the rank,
so "qualification >= level" is a comparison of indices. Codes are ASCII and stable (they are
stored in the database and in import files); labels are what users see.
"""
from __future__ import annotations

# Proficiency scale for every competency, 0 (none) to 4 (expert) — DESIGN.md.
PROFICIENCY = (
    (0, "Chưa có"),
    (1, "Cơ bản"),
    (2, "Trung bình"),
    (3, "Khá"),
    (4, "Thành thạo"),
)
MAX_LEVEL = 4

# KH-1: three groups of the position competency framework.
COMPETENCY_GROUPS = (
    ("pham_chat", "Phẩm chất chính trị, đạo đức, phục vụ nhân dân"),
    ("thuc_thi", "Năng lực thực thi công vụ"),
    ("phat_trien", "Năng lực phát triển"),
)

# KH-9: the four kinds of area whose priorities differ.
REGIONS = (
    ("urban", "Đô thị"),
    ("rural", "Nông thôn"),
    ("mountain", "Miền núi, vùng đồng bào dân tộc thiểu số"),
    ("island", "Hải đảo"),
)

UNIT_KINDS = (
    ("province", "Tỉnh, thành phố"),
    ("commune", "Xã"),
    ("ward", "Phường"),
    ("special_zone", "Đặc khu"),
    ("department", "Phòng, ban, trung tâm"),
)

# Domains (lĩnh vực) a competency belongs to; used to group the framework on screens and in
# reports. The catalog loader rejects a domain not listed here.
COMPETENCY_DOMAINS = (
    ("political_theory", "Lý luận chính trị"),
    ("ethics", "Đạo đức công vụ, văn hóa công sở"),
    ("digital", "Kỹ năng số, chính quyền điện tử"),
    ("data", "Quản trị dữ liệu"),
    ("ai", "Ứng dụng trí tuệ nhân tạo"),
    ("land", "Quản lý đất đai"),
    ("construction", "Xây dựng"),
    ("justice", "Tư pháp"),
    ("finance", "Tài chính – kế toán"),
    ("culture_society", "Văn hóa – xã hội"),
    ("ethnic_religion", "Dân tộc, tôn giáo"),
    ("citizen_reception", "Tiếp công dân"),
    ("complaints", "Khiếu nại, tố cáo"),
    ("state_management", "Quản lý nhà nước"),
    ("admin_skills", "Kỹ năng hành chính"),
    ("home_affairs", "Nội vụ"),
    ("public_service", "Phục vụ hành chính công"),
    ("law", "Pháp luật"),
    ("situation_handling", "Xử lý tình huống"),
    ("policy_communication", "Chính sách, truyền thông chính sách"),
    ("coordination", "Phối hợp liên ngành"),
    ("mass_mobilisation", "Dân vận"),
    ("poverty_reduction", "Giảm nghèo"),
    ("rural_economy", "Kinh tế nông thôn"),
    ("urban_management", "Quản lý đô thị"),
    ("labour", "Lao động – việc làm"),
    ("environment", "Tài nguyên – môi trường"),
    ("tourism", "Du lịch cộng đồng"),
    ("mediation", "Hòa giải ở cơ sở"),
    ("social_risk", "Quản lý rủi ro xã hội"),
    ("defence_security", "Quốc phòng, an ninh"),
    ("sea_sovereignty", "Biển, đảo và chủ quyền biển"),
    ("strategy", "Tư duy chiến lược, lãnh đạo"),
    ("resources", "Huy động nguồn lực"),
    ("innovation", "Đổi mới sáng tạo"),
)

POSITION_GROUPS = (
    ("leadership", "Lãnh đạo"),
    ("manager", "Trưởng, phó phòng"),
    ("specialist", "Chuyên viên"),
)

# Ordered qualification scales (DOMAIN.md, enumerations).
EDUCATION = (
    ("none", "Chưa qua đào tạo"),
    ("so_cap", "Sơ cấp"),
    ("trung_cap", "Trung cấp"),
    ("cao_dang", "Cao đẳng"),
    ("dai_hoc", "Đại học"),
    ("thac_si", "Thạc sĩ"),
    ("tien_si", "Tiến sĩ"),
)
POLITICAL_THEORY = (
    ("none", "Chưa qua đào tạo"),
    ("so_cap", "Sơ cấp"),
    ("trung_cap", "Trung cấp"),
    ("cao_cap", "Cao cấp"),
    ("cu_nhan", "Cử nhân"),
)
STATE_MANAGEMENT = (
    ("none", "Chưa"),
    ("chuyen_vien", "Chuyên viên"),
    ("chuyen_vien_chinh", "Chuyên viên chính"),
    ("chuyen_vien_cao_cap", "Chuyên viên cao cấp"),
)
IT_LEVEL = (
    ("none", "Chưa có"),
    ("co_ban", "Cơ bản"),
    ("nang_cao", "Nâng cao"),
)
# A qualification a course can grant, or a position can require: kind -> ordered scale.
QUALIFICATION_SCALES = {
    "education": EDUCATION,
    "political_theory": POLITICAL_THEORY,
    "state_management": STATE_MANAGEMENT,
    "it_level": IT_LEVEL,
}
QUALIFICATION_LABELS = {
    "education": "Trình độ chuyên môn",
    "political_theory": "Lý luận chính trị",
    "state_management": "Quản lý nhà nước",
    "it_level": "Tin học",
}

# Annual rating (Decree 335/2025), best first is rank 3.
RATINGS = (
    ("khong_hoan_thanh", "Không hoàn thành nhiệm vụ"),
    ("hoan_thanh", "Hoàn thành nhiệm vụ"),
    ("hoan_thanh_tot", "Hoàn thành tốt nhiệm vụ"),
    ("xuat_sac", "Hoàn thành xuất sắc nhiệm vụ"),
)

# Rating periods (KH-7, LC-b, TQ III.2: quarterly, also monthly, and annual); `period_no` is 0
# for a year, 1–4 for a quarter, 1–12 for a month.
RATING_PERIODS = (
    ("year", "Năm"),
    ("quarter", "Quý"),
    ("month", "Tháng"),
)

MODES = (
    ("in_person", "Trực tiếp"),
    ("online", "Trực tuyến"),
    ("blended", "Kết hợp"),
)

COURSE_CATEGORIES = (
    ("digital", "Kỹ năng số, chuyển đổi số"),
    ("political_theory", "Lý luận chính trị"),
    ("state_management", "Quản lý nhà nước"),
    ("professional", "Chuyên môn, nghiệp vụ"),
    ("skills", "Kỹ năng hành chính, công vụ"),
    ("ethics", "Đạo đức công vụ, văn hóa công sở"),
    ("law", "Cập nhật pháp luật"),
    ("defence", "Quốc phòng, an ninh"),
    ("degree", "Đào tạo trình độ (văn bằng)"),
)

PROVIDER_KINDS = (
    ("academy", "Học viện"),
    ("political_school", "Trường Chính trị tỉnh"),
    ("university", "Trường đại học, học viện"),
    ("college", "Trường cao đẳng"),
    ("commune_centre", "Trung tâm chính trị cấp xã"),
    ("online", "Nền tảng trực tuyến"),
)

GENDERS = (("male", "Nam"), ("female", "Nữ"))

ASSESSMENT_SOURCES = (
    ("self", "Tự đánh giá"),
    ("supervisor", "Cấp trên đánh giá"),
    ("test", "Kiểm tra, sát hạch"),
    ("course", "Hoàn thành khóa học"),
    ("mentoring", "Kèm cặp tại chỗ"),  # KH-5: a mentorship closed with the supervisor's say-so
)

# The 54 ethnic groups, GSO order (codes 21–54 unverified, DOMAIN.md). Code = index + 1.
ETHNICITIES = (
    "Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "Mông", "Dao", "Gia Rai", "Ê Đê",
    "Ba Na", "Sán Chay", "Chăm", "Cơ Ho", "Xơ Đăng", "Sán Dìu", "Hrê", "Ra Glai", "Mnông", "Thổ",
    "Xtiêng", "Khơ Mú", "Bru-Vân Kiều", "Cơ Tu", "Giáy", "Tà Ôi", "Mạ", "Giẻ-Triêng", "Co",
    "Chơ Ro", "Xinh Mun", "Hà Nhì", "Chu Ru", "Lào", "La Chí", "Kháng", "Phù Lá", "La Hủ",
    "La Ha", "Pà Thẻn", "Lự", "Ngái", "Chứt", "Lô Lô", "Mảng", "Cơ Lao", "Bố Y", "Cống", "Si La",
    "Pu Péo", "Rơ Măm", "Brâu", "Ơ Đu",
)
ETHNICITY_ALIASES = {"H'Mông": "Mông", "Hmông": "Mông", "M'Nông": "Mnông", "X'Tiêng": "Xtiêng",
                     "Khơ-me": "Khmer", "Khơme": "Khmer", "Ê-đê": "Ê Đê", "Gia-rai": "Gia Rai",
                     "Ba-na": "Ba Na"}


def codes(scale) -> tuple:
    return tuple(code for code, _ in scale)


def label(scale, code, default: str = "") -> str:
    for c, text in scale:
        if c == code:
            return text
    return default


def rank(scale, code) -> int:
    """Index of `code` in an ordered scale; -1 when unknown."""
    for i, (c, _) in enumerate(scale):
        if c == code:
            return i
    return -1


def normalise_ethnicity(name: str) -> str | None:
    """Canonical ethnicity name for a name or alias, ignoring case; None when unknown."""
    name = (name or "").strip()
    folded = name.casefold()
    for e in ETHNICITIES:
        if e.casefold() == folded:
            return e
    for alias, e in ETHNICITY_ALIASES.items():
        if alias.casefold() == folded:
            return e
    return None
