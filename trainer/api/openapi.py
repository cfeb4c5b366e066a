"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

Kept true by tests/test_api.py: every endpoint's real responses are validated against the
response schemas below (which forbid fields they do not list), and schemathesis fuzzes the API
from this document. Change a serialiser (serialize.py) and its schema here together."""
from __future__ import annotations

from courses import vocab
from trainer.learning.models import COHORT_STATUSES, ENROLLMENT_STATUSES

MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL: a larger one names nothing
VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict, *, required: list[str] | None = None, strict: bool = True,
         description: str | None = None) -> dict:
    """An object schema; response objects are strict (every field listed, all present)."""
    out = {"type": "object", "properties": properties,
           "required": list(properties) if required is None else required}
    if strict:
        out["additionalProperties"] = False
    if description:
        out["description"] = description
    return out


def _nullable(schema: dict) -> dict:
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


STRING, INT, NUMBER, BOOL = ({"type": "string"}, {"type": "integer"}, {"type": "number"},
                             {"type": "boolean"})
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}


def _ref_schema(*fields: str) -> dict:
    return _obj({"id": INT, **{f: STRING for f in fields}})


def _page_of(item: str) -> dict:
    return _obj({"items": {"type": "array", "items": _ref(item)},
                 "page": {"type": "integer", "minimum": 1},
                 "per_page": {"type": "integer", "minimum": 1},
                 "total": {"type": "integer", "minimum": 0},
                 "pages": {"type": "integer", "minimum": 1}},
                description=f"A page of {item} items, newest or alphabetical as the path says.")


def _schemas() -> dict:
    enrollment = {
        "id": INT, "official": _ref("OfficialRef"), "course": _ref("CourseRef"),
        "cohort_id": _nullable(INT),
        "status": {"type": "string", "enum": [c for c, _ in ENROLLMENT_STATUSES]},
        "score": _nullable(NUMBER), "completed_on": _nullable(DATE),
        "waitlist_position": _nullable(INT), "created_at": _nullable(DATETIME)}
    review_totals = {"participants": {"type": "integer", "minimum": 0},
                     "submitted": {"type": "integer", "minimum": 0},
                     "confirmed": {"type": "integer", "minimum": 0},
                     "share_confirmed": {"type": "number", "minimum": 0, "maximum": 100}}
    review_campaign = {
        "id": INT, "name": STRING, "status": {"type": "string", "enum": ["open", "closed"]},
        "period_start": DATE, "period_end": DATE,
        "unit_ids": {"type": "array", "items": INT},
        "position_codes": {"type": "array", "items": STRING},
        "competency_codes": {"type": "array", "items": STRING},
        "closed_at": _nullable(DATETIME), **review_totals}
    official = {
        "id": INT, "code": STRING, "full_name": STRING, "birth_date": DATE,
        "gender": {"type": "string", "enum": list(vocab.codes(vocab.GENDERS))},
        "ethnicity": STRING,
        "email": _nullable(STRING), "unit": _ref("UnitRef"),
        "position": {"oneOf": [_ref("PositionRef"), {"type": "null"}]},
    }
    cohort_schema = _obj({
        "id": INT, "code": STRING, "course": _ref("CourseRef"), "start_date": DATE,
        "end_date": DATE, "enrollment_closes": DATE, "capacity": INT,
        "seats_left": {"type": "integer", "minimum": 0}, "location": STRING,
        "mode": {"type": "string", "enum": list(vocab.codes(vocab.MODES))},
        "status": {"type": "string", "enum": [c for c, _ in COHORT_STATUSES]}})
    target = {
        "code": STRING, "title": STRING, "source": STRING, "threshold": NUMBER,
        "deadline": DATE, "counted": {"type": "integer", "minimum": 0},
        "total": {"type": "integer", "minimum": 0},
        "percent": {"type": "number", "minimum": 0, "maximum": 100},
        "met": BOOL, "by_unit": BOOL,
        "status": {"type": "string", "enum": ["met", "on_track", "at_risk", "off_track",
                                              "overdue", "no_history", "empty"]},
        "status_label": STRING, "forecast": _nullable(DATE),
    }
    return {
        "Error": _obj({"error": {"type": "string", "minLength": 1,
                                 "description": "The reason, in Vietnamese, for people."}}),
        "UnitRef": _ref_schema("code", "name"),
        "PositionRef": _ref_schema("code", "name"),
        "ProviderRef": _ref_schema("code", "name"),
        "CourseRef": _ref_schema("code", "name"),
        "OfficialRef": _ref_schema("code", "full_name"),
        "Official": _obj(official),
        "OfficialDetail": _obj(official | {
            "education": STRING, "political_theory": STRING, "state_management": STRING,
            "it_level": STRING, "digital_signature": BOOL, "record_digitised": BOOL,
            "qualifications": {"type": "array", "items": _obj({
                "label": STRING, "have": STRING, "need": _nullable(STRING), "ok": BOOL})},
            "ratings": {"type": "array", "items": _ref("Rating")},
            "updated_at": _nullable(DATETIME)}),
        "Rating": _obj({  # KH-7: one per period, latest first (docs/ratings.md)
            "year": INT,
            "period": {"type": "string", "enum": list(vocab.codes(vocab.RATING_PERIODS))},
            "period_no": {"type": "integer", "minimum": 0, "maximum": 12},
            "period_label": STRING, "period_end": DATE,
            "rating": {"type": "string", "enum": list(vocab.codes(vocab.RATINGS))},
            "note": STRING}),
        "OfficialPage": _page_of("Official"),
        "Gap": _obj({"competency_id": INT, "name": STRING, "group": STRING,
                     "required": {"type": "integer", "minimum": 0},
                     "current": {"type": "integer", "minimum": 0},
                     "gap": {"type": "integer", "minimum": 0}}),
        "Gaps": _obj({"official_id": INT, "gaps": {"type": "array", "items": _ref("Gap")}},
                     description="Every competency the official's position requires, the "
                                 "largest gap first; gap 0 means the level is met."),
        "PathStep": _obj({"course_id": INT, "name": STRING, "hours": NUMBER,
                          "explanation": STRING,
                          "open_cohorts": {"type": "array", "items": _ref("Cohort")}}),
        "LearningPath": _obj({"official_id": INT, "hours": NUMBER,
                              "courses": {"type": "array", "items": _ref("PathStep")},
                              "uncovered": {"type": "array", "items": STRING}}),
        "Course": _obj({
            "id": INT, "code": STRING, "name": STRING, "provider": _ref("ProviderRef"),
            "category": {"type": "string", "enum": list(vocab.codes(vocab.COURSE_CATEGORIES))},
            "mode": {"type": "string", "enum": list(vocab.codes(vocab.MODES))},
            "hours": INT, "pass_mark": NUMBER, "requires_approval": BOOL,
            "validity_months": _nullable(INT), "qualification_kind": _nullable(STRING),
            "qualification_level": _nullable(STRING), "cost": INT, "description": STRING}),
        "CoursePage": _page_of("Course"),
        "Cohort": cohort_schema,
        "CohortPage": _page_of("Cohort"),
        "Enrollment": _obj(enrollment),
        "EnrollmentPage": _page_of("Enrollment"),
        "EnrollmentWithWarning": _obj(
            {**enrollment, "away_warning": _nullable(STRING)},
            description="The enrollment, and the warning the web shows when the unit would have "
                        "more officials away in class at once than its limit "
                        "(max_away_percent); null when it would not."),
        "EnrollmentRequest": {
            "type": "object", "description": "Exactly one of cohort_id or course_id (a "
                                             "self-paced online course has no cohort).",
            "oneOf": [_obj({"cohort_id": ID_SCHEMA}, strict=False),
                      _obj({"course_id": ID_SCHEMA}, strict=False)],
            "example": {"cohort_id": 1}},
        "DecisionRequest": _obj({
            "decision": {"type": "string", "enum": ["approve", "reject"]},
            "reason": {"type": "string", "maxLength": 300,
                       "description": "Lý do từ chối (gửi cho cán bộ)."}},
            required=["decision"], strict=False),
        "ResultsRequest": _obj({"results": {"type": "array", "minItems": 1, "items": _obj({
            "enrollment_id": ID_SCHEMA,
            "outcome": {"type": "string", "enum": ["completed", "failed"]},
            "score": {"type": ["number", "null"], "minimum": 0, "maximum": 10}},
            required=["enrollment_id", "outcome"], strict=False)}}, strict=False),
        "ResultsRecorded": _obj({"cohort_id": INT, "recorded": {"type": "integer",
                                                                "minimum": 0}}),
        "Target": _obj(target),
        "TargetList": _obj({"items": {"type": "array", "items": _ref("Target")}}),
        "ReviewCampaign": _obj(review_campaign, description=(
            "A review campaign (đợt đánh giá, docs/reviews.md) with its totals: participants, "
            "self-assessed (submitted), confirmed by the supervisor, and the confirmed share "
            "(%).")),
        "ReviewCampaignList": _obj({"items": {"type": "array", "items": _ref("ReviewCampaign")}}),
        "Mentorship": _obj({
            "id": INT, "status": {"type": "string", "enum": ["active", "closed", "cancelled"]},
            "competency": _ref_schema("code", "name"),
            **{who: _obj({"id": INT, "code": STRING, "full_name": STRING,
                          "unit": _ref("UnitRef")}) for who in ("mentee", "mentor")},
            "target_level": {"type": "integer", "minimum": 1, "maximum": 4},
            "start_date": DATE, "end_date": DATE, "closed_on": _nullable(DATE),
            "reached_level": _nullable({"type": "integer", "minimum": 0, "maximum": 4}),
            "confirmed_by": _nullable(STRING),
            "sessions": {"type": "integer", "minimum": 0},
            "minutes": {"type": "integer", "minimum": 0}},
            description="An on-site mentorship (kèm cặp tại chỗ, KH-5): who mentors whom on "
                        "which competency to which level; closed: the level the supervisor "
                        "confirmed (`confirmed_by`), written as evidence; cancelled: who "
                        "cancelled (`confirmed_by`) and when (`closed_on`). docs/mentoring.md."),
        "MentorshipPage": _page_of("Mentorship"),
        "ReviewCampaignDetail": _obj(review_campaign | {"units": {"type": "array", "items": _obj({
            "unit_id": INT, "name": STRING, "depth": {"type": "integer", "minimum": 0},
            **review_totals})}}, description="The campaign and, per unit of its scope holding "
                                              "participants (tree order), the totals of the unit "
                                              "and the units below it."),
        "Staffing": _obj({
            "unit": {"oneOf": [_ref("UnitRef"), {"type": "null"}]},
            "totals": _obj({k: {"type": "integer", "minimum": 0} for k in (
                "approved", "filled", "vacancies", "over", "no_quota_filled")}),
            "items": {"type": "array", "items": _obj({
                "unit": _ref("UnitRef"), "position": _ref("PositionRef"),
                "approved": _nullable({"type": "integer", "minimum": 0}),
                **{k: {"type": "integer", "minimum": 0}
                   for k in ("filled", "vacancies", "over")}})}},
            description="Approved headcount (biên chế được giao) vs officials placed, per open "
                        "unit and position; `approved` null: no quota given (docs/staffing.md)."),
        "FeedbackCourse": _obj({
            "course_id": INT, "code": STRING, "name": STRING, "provider": STRING,
            "answers": _nullable({"type": "integer", "minimum": 1}),
            **{key: _nullable({"type": "number", "minimum": 1, "maximum": 5})
               for key in ("fit", "lecturers", "materials", "use_at_work")}},
            description="Averages of the learners' answers (1–5) about a course; null below "
                        "`threshold` counted answers (docs/feedback.md)."),
        "FeedbackCourseList": _obj({"threshold": {"type": "integer", "minimum": 1},
                                    "items": {"type": "array", "items": _ref("FeedbackCourse")}}),
        "TargetDetail": _obj(target | {
            "note": STRING, "population_text": STRING, "criterion_text": STRING,
            "pace": _nullable(NUMBER), "forecast_with_cohorts": _nullable(DATE),
            "per_unit": {"type": "array", "items": _obj({
                "unit_id": _nullable(INT), "unit_name": STRING,
                "counted": {"type": "integer", "minimum": 0},
                "total": {"type": "integer", "minimum": 0},
                "percent": {"type": "number", "minimum": 0, "maximum": 100},
                "rank": {"type": "integer", "minimum": 1}})}}),
    }


ERRORS = {400: "Tham số hoặc nội dung không đọc được.", 401: "Thiếu mã truy cập hoặc mã sai.",
          403: "Vai trò của tài khoản không được làm việc này.",
          404: "Không có, hoặc nằm ngoài phạm vi của tài khoản.",
          409: "Vi phạm quy tắc nghiệp vụ: thông báo nói rõ lý do."}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(op_id: str, summary: str, ok: tuple[int, str, str], errors: tuple[int, ...], *,
        params: list[dict] | None = None, body: str | None = None, description: str = "",
        tag: str) -> dict:
    responses = {str(ok[0]): _json(_ref(ok[1]), ok[2])}
    responses |= {str(code): _json(_ref("Error"), ERRORS[code]) for code in errors}
    out = {"operationId": op_id, "summary": summary, "tags": [tag], "responses": responses}
    if description:
        out["description"] = description
    if params:
        out["parameters"] = params
    if body:
        out["requestBody"] = {"required": True,
                              "content": {"application/json": {"schema": _ref(body)}}}
    return out


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _path(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


PAGING = [_query("page", ID_SCHEMA | {"default": 1}, "Trang (từ 1)."),
          _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                 "Số mục mỗi trang (tối đa 200).")]
OFFICIAL_ID = _path("official_id", ID_SCHEMA, "Mã số (id) của cán bộ.")


def _paths() -> dict:
    return {
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "Tài liệu OpenAPI này (không cần mã truy cập)",
            "tags": ["meta"], "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1",
                                  "content": {"application/json": {"schema": {
                                      "type": "object", "required": ["openapi", "paths"]}}}}}}},
        "/officials": {"get": _op(
            "listOfficials", "Cán bộ trong phạm vi của tài khoản",
            (200, "OfficialPage", "Theo tên gọi rồi họ tên, như trên web."), (400, 401, 404),
            tag="officials",
            description="HR: officials of its unit subtree; official: themselves; school: the "
                        "officials enrolled in its courses; admin: all. 404 when `unit` is "
                        "unknown or outside the scope.",
            params=[_query("unit", ID_SCHEMA, "Đơn vị (gồm cả các đơn vị trực thuộc)."),
                    _query("q", {"type": "string", "maxLength": 200},
                           "Tìm theo họ tên hoặc mã cán bộ, không phân biệt dấu."),
                    *PAGING])},
        "/officials/{official_id}": {"get": _op(
            "getOfficial", "Một cán bộ", (200, "OfficialDetail", "Hồ sơ và trình độ."),
            (401, 404), tag="officials", params=[OFFICIAL_ID])},
        "/officials/{official_id}/gaps": {"get": _op(
            "getOfficialGaps", "Năng lực còn thiếu so với vị trí việc làm",
            (200, "Gaps", "Các năng lực vị trí yêu cầu."), (401, 403, 404), tag="officials",
            params=[OFFICIAL_ID], description="Roles: official (themselves), hr, admin.")},
        "/officials/{official_id}/learning-path": {"get": _op(
            "getOfficialLearningPath", "Lộ trình học ngắn nhất bù các năng lực thiếu",
            (200, "LearningPath", "Các khóa theo thứ tự học, kèm lớp đang tuyển."),
            (401, 403, 404), tag="officials", params=[OFFICIAL_ID],
            description="Roles: official (themselves), hr, admin.")},
        "/courses": {"get": _op(
            "listCourses", "Danh mục khóa học", (200, "CoursePage", "Theo nhóm và tên."),
            (400, 401), tag="learning",
            params=[_query("q", {"type": "string", "maxLength": 200},
                           "Tìm theo tên hoặc mã, không phân biệt dấu."), *PAGING])},
        "/cohorts": {"get": _op(
            "listCohorts", "Các lớp", (200, "CohortPage",
                                      "open=1: sớm nhất trước; còn lại: mới nhất trước."),
            (400, 401), tag="learning",
            params=[_query("course", ID_SCHEMA, "Chỉ các lớp của khóa này."),
                    _query("open", {"type": "string", "enum": ["0", "1", "true", "false"]},
                           "1: chỉ các lớp còn nhận đăng ký (kèm số chỗ còn trống)."),
                    *PAGING])},
        "/cohorts/{cohort_id}/results": {"post": _op(
            "recordCohortResults", "Cơ sở đào tạo ghi kết quả học viên của lớp",
            (200, "ResultsRecorded", "Đã ghi tất cả."), (400, 401, 403, 404, 409),
            tag="learning", body="ResultsRequest",
            params=[_path("cohort_id", ID_SCHEMA, "Mã số (id) của lớp.")],
            description="Role: school (its own cohorts), admin. All or nothing: one result "
                        "that breaks a rule (score below the pass mark for `completed`, an "
                        "enrollment of another cohort…) records none, 409.")},
        "/enrollments": {
            "get": _op(
                "listEnrollments", "Các đăng ký học trong phạm vi",
                (200, "EnrollmentPage", "Mới nhất trước."), (400, 401), tag="learning",
                description="Official: their own; hr: its officials'; school: those in its "
                            "courses; admin: all.",
                params=[_query("cohort", ID_SCHEMA, "Chỉ các đăng ký của lớp này."),
                        _query("status", {"type": "string",
                                          "enum": [c for c, _ in ENROLLMENT_STATUSES]},
                               "Chỉ các đăng ký ở trạng thái này."), *PAGING]),
            "post": _op(
                "createEnrollment", "Cán bộ tự đăng ký một lớp hoặc khóa trực tuyến",
                (201, "EnrollmentWithWarning",
                 "Đã ghi danh, vào danh sách chờ, hoặc chờ duyệt (xem status); away_warning: "
                 "lưu ý khi đơn vị quá giới hạn cán bộ đi học cùng lúc."),
                (400, 401, 403, 404, 409), tag="learning", body="EnrollmentRequest",
                description="Role: official. 409 when a rule forbids it (already enrolled or "
                            "completed, enrollment closed, a classroom course without a "
                            "cohort…).")},
        "/enrollments/{enrollment_id}/withdraw": {"post": _op(
            "withdrawEnrollment", "Cán bộ rút đăng ký chưa bắt đầu học",
            (200, "Enrollment", "Đã rút; chỗ trống chuyển cho người đầu danh sách chờ."),
            (401, 403, 404, 409), tag="learning",
            params=[_path("enrollment_id", ID_SCHEMA, "Mã số (id) của đăng ký.")],
            description="Role: official (their own enrollment; another's is 404).")},
        "/enrollments/{enrollment_id}/decision": {"post": _op(
            "decideEnrollment", "Phòng tổ chức duyệt hoặc từ chối một đăng ký chờ duyệt",
            (200, "EnrollmentWithWarning",
             "Đã duyệt (có chỗ hoặc vào danh sách chờ) hoặc đã từ chối; away_warning như khi "
             "đăng ký."),
            (400, 401, 403, 404, 409), tag="learning", body="DecisionRequest",
            params=[_path("enrollment_id", ID_SCHEMA, "Mã số (id) của đăng ký.")],
            description="Roles: hr (officials of its unit subtree; others are 404), admin. "
                        "409 when the enrollment is not waiting for approval.")},
        "/targets": {"get": _op(
            "listTargets", "Các mục tiêu và tiến độ trong phạm vi",
            (200, "TargetList", "Theo thứ tự văn bản."), (401, 403), tag="targets",
            description="Roles: hr (its unit subtree), admin.")},
        "/feedback/courses": {"get": _op(
            "listCourseFeedback", "Ý kiến học viên: điểm trung bình theo khóa học",
            (200, "FeedbackCourseList", "Theo cơ sở đào tạo rồi tên khóa."), (401, 403),
            tag="learning",
            description="Roles: school (its own provider's courses), hr (every provider), "
                        "admin. Averages and counts are null until `threshold` answers count.")},
        "/staffing": {"get": _op(
            "getStaffing", "Biên chế được giao, số đang bố trí, còn thiếu, vượt",
            (200, "Staffing", "Theo mã đơn vị rồi mã vị trí việc làm."), (400, 401, 403, 404),
            tag="targets",
            params=[_query("unit", ID_SCHEMA, "Một đơn vị và các đơn vị trực thuộc (trong "
                                              "phạm vi; ngoài phạm vi: 404).")],
            description="Roles: hr (its unit subtree), admin.")},
        "/review-campaigns": {"get": _op(
            "listReviewCampaigns", "Các đợt đánh giá năng lực và tiến độ",
            (200, "ReviewCampaignList", "Đang đánh giá trước, hạn gần nhất trước."), (401, 403),
            tag="targets", description="Roles: hr (campaigns opened in its unit subtree), admin.")},
        "/review-campaigns/{campaign_id}": {"get": _op(
            "getReviewCampaign", "Một đợt đánh giá: tiến độ theo đơn vị",
            (200, "ReviewCampaignDetail", "Tiến độ theo đơn vị."), (401, 403, 404),
            tag="targets", params=[_path("campaign_id", ID_SCHEMA, "Mã số (id) của đợt.")],
            description="Roles: hr (campaigns opened in its unit subtree; others: 404), admin.")},
        "/mentorships": {"get": _op(
            "listMentorships", "Các đợt kèm cặp tại chỗ trong phạm vi",
            (200, "MentorshipPage", "Đang kèm cặp trước, mới bắt đầu trước."), (400, 401, 403),
            tag="officials",
            params=[_query("status", {"type": "string",
                                      "enum": ["active", "closed", "cancelled"]},
                           "Chỉ các đợt ở trạng thái này."), *PAGING],
            description="Roles: hr (mentees of its unit subtree), admin.")},
        "/targets/{code}": {"get": _op(
            "getTarget", "Một mục tiêu: tiến độ, dự báo, theo đơn vị",
            (200, "TargetDetail", "Tiến độ chi tiết."), (401, 403, 404), tag="targets",
            params=[_path("code", {"type": "string", "minLength": 1, "maxLength": 32},
                          "Mã mục tiêu, ví dụ DL-c.")],
            description="Roles: hr, admin.")},
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "trainer API", "version": VERSION,
                 "description": "Đào tạo, bồi dưỡng cán bộ, công chức cấp xã. Same rules and "
                                "scopes as the web; errors are {\"error\": \"<Vietnamese "
                                "message>\"}. See docs/api.md."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": n} for n in ("officials", "learning", "targets", "meta")],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "bearerFormat": "<key>.<secret>",
                "description": "A token from `trainer api token USERNAME`, acting with that "
                               "user's role and scope."}},
            "schemas": _schemas(),
        },
    }
