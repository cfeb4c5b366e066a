"""Time: moments are stored in UTC; days are the days of Việt Nam (Asia/Ho_Chi_Minh)."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

# The one zone of the product's days: "today", every displayed date and time, and Flask-Babel's
# BABEL_DEFAULT_TIMEZONE (trainer/__init__.py reads it from here). docs/i18n.md.
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def today() -> date:
    """Today in Việt Nam: at 23:30 UTC it is already the next day there (06:30, UTC+7)."""
    return datetime.now(LOCAL_ZONE).date()


def local(moment: datetime) -> datetime:
    """A stored moment in Việt Nam's time (naive ones were stored in UTC)."""
    return aware(moment).astimezone(LOCAL_ZONE)


def local_date(moment: date | datetime) -> date:
    """The day of Việt Nam a moment fell on; a date is already a day and stays as it is."""
    return local(moment).date() if isinstance(moment, datetime) else moment


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
