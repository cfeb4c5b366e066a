"""trainer — training management for commune-level officials ("thiếu gì học nấy", LC-P1)."""
from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix

from trainer.audit import operations as audit
from trainer.core import cache, logs, security, settings, text, timeutil
from trainer.core.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """The app, configured from trainer.core.settings (defaults, instance/settings.toml, TRAINER_*
    variables, then `test_config`). Raises settings.ConfigError, in Vietnamese, when a setting
    is wrong — in production, when the secret key is missing."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_mapping(  # fixed: not settings a deployment changes
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE=timeutil.LOCAL_ZONE.key,  # the days people see: docs/i18n.md
        BOOTSTRAP_SERVE_LOCAL=True,
        PASSWORD_HASH_FAST=False,  # cheap hashes, for the test suite and benchmarks only
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    settings.load(app.config, app.instance_path, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    logs.init_app(app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    from trainer.xapi.alternate import AlternateSyntax
    app.wsgi_app = AlternateSyntax(app.wsgi_app, "/xapi", app.config["MAX_CONTENT_LENGTH"])
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from trainer import models  # noqa: F401  (all tables on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "vi")
    bootstrap.init_app(app)
    limiter.init_app(app)
    audit.init_app(app)
    cache.init_app(app, db.session)  # the data version every committed write advances
    text.init_app(db.session)  # every text stored in NFC
    security.init_app(app)  # CSP, security headers
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "warning"

    from trainer.core.forms_util import WTFormsVietnamese
    vietnamese = WTFormsVietnamese()

    @app.before_request
    def _wtforms_in_vietnamese() -> None:
        request.wtforms_translations = vietnamese  # see trainer/core/forms_util.py

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            @sa.event.listens_for(db.engine, "connect")
            def _fk_on(dbapi_conn, _record):  # SQLite ignores foreign keys unless asked
                dbapi_conn.execute("PRAGMA foreign_keys=ON")


def register_blueprints(app: Flask) -> None:
    """One blueprint an area, each owning its URL prefixes (docs/architecture.md)."""
    from trainer.api.views import bp as api_bp
    from trainer.audit.views import bp as audit_bp
    from trainer.auth.views import bp as auth_bp
    from trainer.cohorts.views import bp as cohorts_bp
    from trainer.core.health import bp as health_bp
    from trainer.degrees.views import bp as degrees_bp
    from trainer.demand.views import bp as demand_bp
    from trainer.feedback.views import bp as feedback_bp
    from trainer.interchange.views import bp as interchange_bp
    from trainer.jobs.views import bp as jobs_bp
    from trainer.learning.views import bp as learning_bp
    from trainer.mentoring.views import bp as mentoring_bp
    from trainer.notices.views import bp as notices_bp
    from trainer.plans.views import bp as plans_bp
    from trainer.records.views import bp as records_bp
    from trainer.reports.views import bp as reports_bp
    from trainer.reviews.views import bp as reviews_bp
    from trainer.staffing.views import bp as staffing_bp
    from trainer.targets.views import bp as targets_bp
    from trainer.units.views import bp as units_bp
    from trainer.xapi.views import bp as xapi_bp

    for bp in (health_bp, auth_bp, units_bp, audit_bp, records_bp, learning_bp, cohorts_bp,
               targets_bp, reports_bp, notices_bp, demand_bp, degrees_bp, plans_bp,
               interchange_bp, api_bp, xapi_bp, jobs_bp, mentoring_bp, feedback_bp,
               reviews_bp, staffing_bp):
        app.register_blueprint(bp)
    # Machines authenticate by token or key, not by a session cookie: no CSRF there (their rate
    # limit per credential is set where their blueprints are made, trainer.auth.tokens).
    csrf.exempt(api_bp)
    csrf.exempt(xapi_bp)


def register_errorhandlers(app: Flask) -> None:
    """Every error answers a Vietnamese page (JSON under /api and /xapi). The page extends
    base.html, which reads the signed-in user from the database: when that fails (the database
    is down) the standalone errors_plain.html, which needs nothing, answers instead — never
    Flask's bare English page. Bad parameters become 400/404 here too (trainer/core/params.py)."""
    from flask import jsonify
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout
    from werkzeug.exceptions import HTTPException

    from trainer.core import params

    app.url_value_preprocessor(params.ids_in_range)
    app.before_request(params.refuse_nul)
    messages = {
        400: "Yêu cầu không hợp lệ.", 401: "Cần đăng nhập.",
        403: "Bạn không có quyền xem trang này.", 404: "Không tìm thấy trang hoặc hồ sơ.",
        405: "Thao tác không được phép.", 409: "Yêu cầu mâu thuẫn với dữ liệu hiện có.",
        413: "Tệp hoặc dữ liệu gửi lên quá lớn (tối đa {mb} MB).",
        415: "Kiểu dữ liệu gửi lên không được hỗ trợ.",
        429: "Bạn đã thử quá nhiều lần trong một thời gian ngắn. Vui lòng đợi rồi thử lại.",
        500: "Hệ thống gặp lỗi. Vui lòng thử lại sau.",
        503: "Hệ thống tạm thời không truy cập được cơ sở dữ liệu. Vui lòng thử lại sau ít "
             "phút.",
    }

    def database_down(error) -> bool:
        """The server error came from a database that does not answer (refused, timed out,
        connection lost, locked): 503, try again later."""
        return isinstance(getattr(error, "original_exception", None), (
            OperationalError, InterfaceError, DisconnectionError, PoolTimeout))

    def page(code: int, message: str, **context):
        try:
            db.session.rollback()  # a failed statement must not spoil what the page reads
        except Exception as e:  # noqa: BLE001 — the database may be unreachable
            app.logger.debug("rollback before the error page failed: %s", type(e).__name__)
        try:
            return render_template("errors.html", code=code, message=message, **context)
        except Exception as e:  # noqa: BLE001 — what broke the request may break base.html
            app.logger.warning("error page %s shown without base.html (%s)", code,
                               type(e).__name__)
            # Straight from the environment: render_template would run the context processors,
            # and Flask-Login's loads the user from the database again.
            return app.jinja_env.get_template("errors_plain.html").render(
                code=code, message=message, **context)

    def render_error(error):
        code = getattr(error, "code", None) or 500
        if code == 500 and database_down(error):
            code = 503
        message = messages.get(code, "Có lỗi xảy ra.").format(
            mb=app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))
        if isinstance(error, params.BadParameter):
            message = error.description
        if request.path.startswith(("/api/", "/xapi/")) or request.path in ("/api", "/xapi"):
            # Machines read JSON (an unknown path, a method no route takes, a body too large).
            response = jsonify({"error": message} if request.path.startswith("/api")
                               else {"error": code, "message": message, "errors": [message]})
        else:
            response = app.make_response(page(code, message))
        response.status_code = code
        if isinstance(error, HTTPException):  # Allow (405), Retry-After (429)…
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
        if code == 405 and request.path.startswith("/api/v1/"):
            from trainer.api.views import allowed_methods  # not the catch-all's methods
            response.headers["Allow"] = ", ".join(allowed_methods())
        if code == 503:
            response.headers["Retry-After"] = "60"
        return response

    def csrf_error(error):
        # Why, for the administrator (a proxy that strips the Referer, an expired page…).
        app.logger.warning("CSRF refused on %s: %s", request.path[:120], error.description)
        return page(400, messages[400], csrf=True), 400

    for code in messages:
        app.register_error_handler(code, render_error)
    app.register_error_handler(CSRFError, csrf_error)


@functools.cache
def _asset_version(folder: str, filename: str) -> int:
    path = Path(folder) / filename
    return int(path.stat().st_mtime) if path.is_file() else 0


def register_commands(app: Flask) -> None:
    from trainer.cli import register_commands as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from trainer.core import display
    from trainer.learning.models import COHORT_STATUSES, ENROLLMENT_STATUSES
    from trainer.learning.operations import waitlist_position
    from trainer.notices.operations import unread_count

    def vn_unread() -> int:
        from flask_login import current_user
        if current_user.is_authenticated and current_user.official_id:
            return unread_count(current_user.official_id)
        return 0

    from trainer.org.queries import is_province_hr

    app.jinja_env.globals.update(vn=display, statuses=ENROLLMENT_STATUSES,
                                 is_province_hr=is_province_hr,
                                 cohort_statuses=COHORT_STATUSES, vn_unread=vn_unread,
                                 waitlist_position=waitlist_position)
    app.jinja_env.filters["vndate"] = display.vndate
    app.jinja_env.filters["vntime"] = display.vntime

    @app.url_defaults
    def _static_version(endpoint, values):
        """Static URLs carry the file's modification time (`?v=`): nginx lets browsers keep
        them a week, and a new version of app.js or app.css is a new URL."""
        if endpoint == "static" and "filename" in values:
            values.setdefault("v", _asset_version(app.static_folder, values["filename"]))
    app.jinja_env.filters["vnnum"] = display.vnnum
