"""Domain events: an area says what happened; the areas that care listen (blinker signals, as
Flask itself uses). This is how a lower area lets a higher one know without importing it
(docs/architecture.md): learning says "tell this official", the notices area writes the notice
and the e-mail; auth says "this was changed, that was read", the audit area writes the row.

Receivers run in the sender's transaction, synchronously. An event that must be heard (a notice,
an audit row) is sent through `_deliver`, which refuses to drop it when nobody listens: the
listening areas connect when they are imported, and `trainer.models` imports them all."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# "Tell this official": kwargs official, kind, title, body, link, dedupe_key. The notices area
# answers the Notification it wrote, or None when the dedupe key was already used.
official_told = _signals.signal("official-told")
# "Send this e-mail" to an address that is not an official's (a password-reset link).
mail_requested = _signals.signal("mail-requested")
# An auditable change (in the caller's transaction) or read (written after the response):
# kwargs action, subject_type, subject_id, detail, actor, actor_name, access (bool).
audited = _signals.signal("audited")
# "This enrollment was completed" (learning.record_result, the one place a pass is recorded):
# kwargs enrollment. The feedback area hears it and invites the learner to rate the course.
enrollment_completed = _signals.signal("enrollment-completed")


class NobodyListens(RuntimeError):
    """An event that must be recorded had no receiver: an area was not imported."""


def _deliver(signal, **kwargs):
    """Send an event that must be heard; the first listener's answer."""
    if not signal.receivers:
        raise NobodyListens(f"no receiver for the '{signal.name}' event")
    return signal.send(None, **kwargs)[0][1]


def tell(official, kind: str, title: str, body: str = "", *, link: str = "",
         dedupe_key: str | None = None):
    """Tell an official something (in-app, and by e-mail when they have an address). With a
    `dedupe_key` the same notice is sent only once; returns None when it was already sent."""
    return _deliver(official_told, official=official, kind=kind, title=title, body=body,
                    link=link, dedupe_key=dedupe_key)


def completed(enrollment) -> None:
    """An enrollment was just completed (a pass), in the caller's transaction."""
    _deliver(enrollment_completed, enrollment=enrollment)


def send_mail(to_address: str, subject: str, body: str) -> None:
    _deliver(mail_requested, to_address=to_address, subject=subject, body=body)


def audit(action: str, *, subject_type: str = "", subject_id=None, detail: str = "",
          actor=None, actor_name: str = ""):
    """A change, recorded in the caller's transaction (written with the change or not at all).
    `actor_name` names an actor without an account (an xAPI key's provider)."""
    return _deliver(audited, action=action, subject_type=subject_type, subject_id=subject_id,
                    detail=detail, actor=actor, actor_name=actor_name, access=False)


def audit_access(action: str, *, subject_type: str = "", subject_id=None, detail: str = "",
                 actor=None, actor_name: str = "") -> None:
    """A read of personal data (a record viewed, a search, an export, a sign-in): written after
    the response is built, whatever the view does with its transaction."""
    _deliver(audited, action=action, subject_type=subject_type, subject_id=subject_id,
             detail=detail, actor=actor, actor_name=actor_name, access=True)
