"""Every setting in one place: its default and its meaning. A deployment sets them with
`TRAINER_<KEY>` environment variables or in `instance/settings.toml` (the environment wins);
values are read as JSON when they parse (`35`, `true`, `{"young": 0.5}`), else as text. The
README's configuration table lists exactly these keys (a test checks it).

Nothing here imports the rest of the app: areas read `current_app.config[KEY]`, or the reader
below for a setting several areas share."""
from __future__ import annotations

import copy
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context

ENVIRONMENTS = ("development", "test", "production")
SECRET_MIN_LENGTH = 32
SETTINGS_FILE = "settings.toml"


class ConfigError(RuntimeError):
    """A setting is missing or wrong: the app refuses to start. The message is Vietnamese and
    names the variable."""


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    meaning: str
    kind: str = ""  # text, int, bool or object; by default, the default's type

    @property
    def type(self) -> str:
        if self.kind:
            return self.kind
        if isinstance(self.default, bool):
            return "bool"
        if isinstance(self.default, int):
            return "int"
        return "object" if isinstance(self.default, dict) else "text"


SETTINGS: tuple[Setting, ...] = (
    Setting("ENV", "production", "`development`, `test` or `production`; production refuses to "
            "start without a secret key, and sends cookies only over HTTPS"),
    Setting("SECRET_KEY", None, "signs sessions, CSRF tokens and password-reset links: at least "
            "32 random characters, e.g. `python3 -c 'import secrets; print(secrets.token_hex(32))'`"
            "; required in production; development keeps a random one in `instance/secret_key`"),
    Setting("DATABASE_URL", "sqlite:///trainer.db", "the database: SQLite in `instance/` by "
            "default; production `postgresql+psycopg://user@host/db`"),
    Setting("REDIS_PREFIX", "trainer", "the prefix of this deployment's keys in Redis (rate "
            "limits, the data version, cached results, the jobs' queue `<prefix>:exports` and "
            "files): two deployments may share one Redis"),
    Setting("REDIS_URL", "", "the store web processes share (rate-limit counters, the data "
            "version, cached results: docs/decisions.md; the background jobs' queue and files: "
            "docs/jobs.md), e.g. `redis://127.0.0.1:6379/0`; empty: kept in each process's "
            "memory — fine on one machine with one worker, wrong with several — and the large "
            "exports cannot be made (they are background jobs)"),
    Setting("PUBLIC_URL", "", "the address users open, e.g. `https://daotao.laichau.gov.vn`: "
            "links in e-mails (password reset) are built from it, never from the request's Host"),
    Setting("PROXY_COUNT", 0, "how many reverse proxies (nginx) stand in front: their "
            "X-Forwarded-For/-Proto/-Host headers are trusted that many hops (ProxyFix)"),
    Setting("SESSION_COOKIE_SECURE", None, "send the session cookie over HTTPS only; default: "
            "on in production, off otherwise", kind="bool"),
    Setting("LOG_LEVEL", "INFO", "`DEBUG`, `INFO`, `WARNING` or `ERROR`: one line per request "
            "at INFO, errors with their traceback"),
    Setting("MAX_CONTENT_LENGTH", 20 * 1024 * 1024, "largest request body in bytes (uploads)"),
    Setting("BLAS_THREADS", 1, "threads numpy's BLAS may use per process under `trainer serve`; "
            "1 lets the workers share the cores instead of fighting over them"),
    Setting("MAIL_SERVER", "", "SMTP host for e-mails; unset: they wait in the outbox"),
    Setting("MAIL_PORT", 25, "SMTP port"),
    Setting("MAIL_USERNAME", "", "SMTP login"),
    Setting("MAIL_PASSWORD", "", "SMTP password"),
    Setting("MAIL_USE_TLS", False, "STARTTLS to the SMTP server"),
    Setting("MAIL_FROM", "dao-tao@localhost", "sender address of e-mails"),
    Setting("PASSWORD_MIN_LENGTH", 10, "shortest password accepted (docs/accounts.md)"),
    Setting("RESET_LINK_MINUTES", 60, "how long a “Quên mật khẩu” link stays valid"),
    Setting("FORGOT_PASSWORD_LIMIT", "5 per 15 minutes", "“Quên mật khẩu” requests allowed per "
            "address and per account (Flask-Limiter syntax)"),
    Setting("SESSION_IDLE_MINUTES", 60, "an official's or a school's session ends after this "
            "long without a request"),
    Setting("SESSION_IDLE_MINUTES_STAFF", 30, "the same for HR and admin accounts"),
    Setting("SESSION_MAX_HOURS", 12, "a session ends this long after sign-in, whatever happens"),
    Setting("SESSION_MAX_HOURS_STAFF", 8, "the same for HR and admin accounts"),
    Setting("LOGIN_LIMIT", "20 per 10 minutes", "sign-in attempts allowed per address "
            "(Flask-Limiter syntax); over it: 429"),
    Setting("LOGIN_LOCK_AFTER", 5, "wrong passwords in a row that lock an account"),
    Setting("LOGIN_LOCK_MINUTES", 15, "how long such a lock lasts (an admin can lift it)"),
    Setting("API_TOKEN_DAYS", 365, "JSON API tokens and xAPI keys expire after this many days"),
    Setting("API_RATE_LIMIT", "600 per minute", "requests allowed per API token or xAPI key"),
    Setting("IMPORT_MAX_ROWS", 50_000, "rows an import file may hold (checked before parsing)"),
    Setting("IMPORT_MAX_UNCOMPRESSED_MB", 50, "megabytes an .xlsx may hold once unzipped "
            "(checked before parsing: a zip bomb is refused)"),
    Setting("XAPI_MAX_DEPTH", 32, "nesting depth of a JSON body the xAPI and JSON API accept"),
    Setting("XAPI_MAX_ARRAY", 1000, "items of any JSON array (statements in one POST…)"),
    Setting("XAPI_MAX_STRING", 20_000, "characters of any JSON string"),
    Setting("AUDIT_RETENTION_DAYS", 1095, "audit rows older than this are deleted by "
            "`trainer audit prune`"),
    Setting("YOUNG_AGE_LIMIT", 35, "below this age an official counts as young (KH-11 priority, "
            "reports)"),
    Setting("PRIORITY_WEIGHTS", {"gap": 1.0, "mandatory": 1.0, "young": 0.3, "female": 0.3,
                                 "minority": 0.3},
            "who is invited first to a proposed class (docs/demand.md); a partial object "
            "overrides only its keys"),
    Setting("REVIEW_AFTER_MONTHS", 3, "months after a course when its post-training review "
            "is due (KH-6)"),
    Setting("REVIEW_PERIOD_MONTHS", 12, "an official not assessed for this long is “not "
            "reviewed” (KH-2 warnings)"),
    Setting("STALE_MONTHS", 12, "a record not updated for this long is stale in the national "
            "export"),
)
DEFAULTS = {s.key: s.default for s in SETTINGS}
TRUE, FALSE = ("1", "true", "yes", "on", "có"), ("0", "false", "no", "off", "không", "")


def load(config, instance_path: str, test_config: dict | None = None) -> None:
    """Fill `config` (a Flask Config): defaults, then instance/settings.toml, then TRAINER_*
    variables, then `test_config`; check them; derive what Flask and its extensions read."""
    config.from_mapping(copy.deepcopy(DEFAULTS))  # nested keys (…__young) must not edit DEFAULTS
    path = Path(instance_path) / SETTINGS_FILE
    if path.exists():
        with path.open("rb") as f:
            try:
                values = tomllib.load(f)
            except tomllib.TOMLDecodeError as e:
                raise ConfigError(f"Tệp cấu hình {path} sai cú pháp TOML: {e}") from None
        unknown = sorted(set(values) - set(DEFAULTS))
        if unknown:
            raise ConfigError(f"Tệp cấu hình {path}: không có thiết lập " +
                              ", ".join(unknown) + " (xem bảng cấu hình trong README).")
        config.update(values)
    config.from_prefixed_env("TRAINER")
    if test_config:
        config.update(test_config)
    _check(config)
    _derive(config, instance_path)


def _check(config) -> None:
    """Each setting in its type (an environment variable is JSON when it parses, so "123456"
    arrives as a number and "true" as a boolean), or a Vietnamese error naming it."""
    for setting in SETTINGS:
        key, value = setting.key, config.get(setting.key)
        if value is None:
            continue
        if setting.type == "text" and not isinstance(value, str):
            config[key] = str(value).lower() if isinstance(value, bool) else str(value)
        elif setting.type == "bool" and not isinstance(value, bool):
            text = str(value).strip().casefold()
            if text not in TRUE + FALSE:
                raise ConfigError(f"TRAINER_{key} = “{value}” phải là true hoặc false.")
            config[key] = text in TRUE
        elif setting.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"TRAINER_{key} = “{value}” phải là một số nguyên.")
        elif setting.type == "object" and not isinstance(value, dict):
            raise ConfigError(f"TRAINER_{key} phải là một đối tượng JSON, ví dụ "
                              '{"young": 0.5}.')
    if config["ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"TRAINER_ENV = “{config['ENV']}” không hợp lệ: chọn "
                          + ", ".join(ENVIRONMENTS) + ".")
    level = str(config.get("LOG_LEVEL", "")).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"TRAINER_LOG_LEVEL = “{config['LOG_LEVEL']}” không hợp lệ: chọn "
                          "DEBUG, INFO, WARNING hoặc ERROR.")


def _derive(config, instance_path: str) -> None:
    env = config["ENV"]
    key = config.get("SECRET_KEY")
    if not key:
        if env == "production":
            raise ConfigError(
                "Chưa đặt TRAINER_SECRET_KEY: ở môi trường production ứng dụng không chạy khi "
                "thiếu khóa bí mật. Tạo một khóa bằng lệnh\n"
                "  python3 -c 'import secrets; print(secrets.token_hex(32))'\n"
                "rồi đặt TRAINER_SECRET_KEY=<khóa> trong tệp môi trường của dịch vụ "
                "(docs/deploy.md), hoặc SECRET_KEY trong instance/settings.toml.")
        key = _development_key(instance_path) if env == "development" else secrets.token_hex(32)
        config["SECRET_KEY"] = key
    elif env == "production" and (len(str(key)) < SECRET_MIN_LENGTH or len(set(str(key))) < 10):
        raise ConfigError(
            f"TRAINER_SECRET_KEY quá yếu: cần ít nhất {SECRET_MIN_LENGTH} ký tự ngẫu nhiên. Tạo "
            "khóa mới bằng python3 -c 'import secrets; print(secrets.token_hex(32))'.")
    config["SQLALCHEMY_DATABASE_URI"] = config.get("SQLALCHEMY_DATABASE_URI") or \
        config["DATABASE_URL"]
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = env == "production"
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    config["LOG_LEVEL"] = str(config["LOG_LEVEL"]).upper()
    config.setdefault("TESTING", env == "test")
    # Flask-Limiter: the shared store when there is one (several workers must count together).
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"] or "memory://")
    config.setdefault("RATELIMIT_KEY_PREFIX", config["REDIS_PREFIX"])
    # A moving window: 5 tries are 5 tries in any 15 minutes, not 10 across a window's edge.
    config.setdefault("RATELIMIT_STRATEGY", "moving-window")


def _development_key(instance_path: str) -> str:
    """A random key made once and kept in instance/secret_key (never in the code or in git)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


# --- The one reader of a setting that several areas use ------------------------------------------

def _value(key: str):
    return current_app.config[key] if has_app_context() else DEFAULTS[key]


def young_age_limit() -> int:
    """Below this age an official counts as young (KH-4 priority, KH-11 composition, targets)."""
    return int(_value("YOUNG_AGE_LIMIT"))


def stale_months() -> int:
    """A record not updated for this many months is stale (national export, quality checks)."""
    return int(_value("STALE_MONTHS"))
