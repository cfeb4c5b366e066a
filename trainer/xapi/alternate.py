"""The alternate request syntax of xAPI 1.0.3 (Communication 1.3): a client that cannot send
PUT, DELETE, custom headers or long query strings POSTs a form instead —
`POST /xapi/statements?method=PUT` with the body `statementId=…&content=<JSON>&Authorization=…`.

`AlternateSyntax` is WSGI middleware that turns such a request back into the request it stands
for before Flask sees it: the form's header fields (Authorization, X-Experience-API-Version,
Content-Type, Content-Length, If-Match, If-None-Match) become headers, `content` becomes the body,
every other field a query parameter. A request that breaks the syntax (not a POST, other query
parameters beside `method`, a body that is not a form) keeps its place but carries the reason in
`environ["trainer.xapi.refused"]`, which the blueprint answers with 400.
"""
from __future__ import annotations

import io
from urllib.parse import parse_qsl, urlencode

HEADER_FIELDS = {"authorization": "HTTP_AUTHORIZATION",
                 "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
                 "content-type": "CONTENT_TYPE", "content-length": None,
                 "if-match": "HTTP_IF_MATCH", "if-none-match": "HTTP_IF_NONE_MATCH"}
METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD"}
FORM = "application/x-www-form-urlencoded"
REFUSED = "trainer.xapi.refused"


class AlternateSyntax:
    def __init__(self, app, prefix: str, max_body: int):
        self.app, self.prefix, self.max_body = app, prefix, max_body

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.prefix + "/") and "method=" in environ.get("QUERY_STRING", ""):
            query = parse_qsl(environ["QUERY_STRING"], keep_blank_values=True)
            if any(k == "method" for k, _ in query):
                environ[REFUSED] = rewrite(environ, query, self.max_body)
        return self.app(environ, start_response)


def rewrite(environ: dict, query: list[tuple[str, str]], max_body: int) -> str | None:
    """Rewrite the environ in place; the reason it breaks the syntax, or None."""
    method = dict(query)["method"].upper()
    if environ["REQUEST_METHOD"] != "POST":
        return "Cú pháp thay thế (method=) chỉ dùng với POST."
    if method not in METHODS:
        return f"method “{method[:20]}” không hợp lệ: chỉ nhận GET, PUT, POST, DELETE, HEAD."
    if len(query) != 1:
        return ("Cú pháp thay thế chỉ nhận tham số method trên địa chỉ; các tham số khác gửi "
                "trong nội dung biểu mẫu.")
    if environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() != FORM:
        return f"Cú pháp thay thế cần nội dung dạng {FORM}."
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_body:
        return "Nội dung biểu mẫu quá lớn."
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    environ["CONTENT_LENGTH"], environ["wsgi.input"] = "0", io.BytesIO(b"")  # read: now empty
    try:
        fields = parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body))
    except ValueError:
        return "Nội dung biểu mẫu của cú pháp thay thế không đúng dạng mã hóa URL."
    params, content = [], b""
    environ["CONTENT_TYPE"] = "application/json"
    for name, value in fields:
        lowered = name.lower()
        if lowered == "content":
            content = value.encode("utf-8")
        elif lowered in HEADER_FIELDS:
            if HEADER_FIELDS[lowered]:
                environ[HEADER_FIELDS[lowered]] = value
        else:
            params.append((name, value))
    environ["REQUEST_METHOD"] = method
    environ["QUERY_STRING"] = urlencode(params)
    environ["CONTENT_LENGTH"] = str(len(content))
    environ["wsgi.input"] = io.BytesIO(content)
    return None
