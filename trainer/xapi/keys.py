"""What a statement can be found by (xAPI 1.0.3 Communication 2.1.3): the keys of
`XapiStatementKey`, derived from the statement's JSON alone (no database), so that the migration
that created the table and the storing of new statements derive them the same way.

Kinds:
* `agent`  — the actor, or the object when it is an Agent or identified Group (the `agent`
  filter);
* `agent+` — every agent anywhere: the above, context instructor and team, and the same inside
  a SubStatement (`related_agents=true`). Not the authority: the LRS returns the provider's own
  account there (operations.as_returned), the same on every statement of the provider;
* `activity` — the object when it is an Activity (the `activity` filter);
* `activity+` — the above, the context activities, and the same inside a SubStatement
  (`related_activities=true`);
* `verb`, `registration`;
* `ref` — the id of the statement a StatementRef object targets: a statement that targets another
  also carries its target's keys (Communication 2.1.4: a filter returns the statements that target
  a matching one), and `ref` finds the targeting statements when the target arrives later.
"""
from __future__ import annotations

IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")  # an agent's inverse functional ids
CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")
AGENT, AGENT_ANY, ACTIVITY, ACTIVITY_ANY = "agent", "agent+", "activity", "activity+"
VERB, REGISTRATION, REF = "verb", "registration", "ref"
# The keys a targeting statement takes over from its target (all but its own `ref`).
INHERITED = (AGENT, AGENT_ANY, ACTIVITY, ACTIVITY_ANY, VERB, REGISTRATION)
MAX_VALUE = 500


def actor_key(agent: dict) -> str:
    """The agent's inverse functional identifier as one comparable string ("" for an anonymous
    group). mbox is compared case-insensitively."""
    if "mbox" in agent:
        return "mbox:" + agent["mbox"].lower()
    if "mbox_sha1sum" in agent:
        return "mbox_sha1sum:" + agent["mbox_sha1sum"].lower()
    if "openid" in agent:
        return "openid:" + agent["openid"]
    if "account" in agent:
        return f"account:{agent['account']['homePage']}|{agent['account']['name']}"
    return ""


def context_activities(context: dict) -> list[dict]:
    """The context activities of every kind, each kind read as a list (a single object is one)."""
    found = []
    for kind in CONTEXT_ACTIVITY_KINDS:
        value = (context.get("contextActivities") or {}).get(kind)
        if isinstance(value, dict):
            value = [value]
        found += [a for a in value or [] if isinstance(a, dict)]
    return found


def _body_keys(stmt: dict, keys: set, *, sub: bool) -> None:
    """The keys of a statement's own parts, or of a SubStatement's (which count only as
    related: the filters without related_* look at the statement's own actor and object)."""
    context = stmt.get("context") or {}
    obj = stmt.get("object") or {}
    kind = obj.get("objectType", "Activity")
    agents = [stmt.get("actor"), context.get("instructor"), context.get("team"),
              obj if kind in ("Agent", "Group") else None]
    for agent in agents:
        if isinstance(agent, dict) and actor_key(agent):
            keys.add((AGENT_ANY, actor_key(agent)))
    activities = [a.get("id") for a in context_activities(context)]
    if kind == "Activity":
        activities.append(obj.get("id"))
    keys.update((ACTIVITY_ANY, a) for a in activities if isinstance(a, str))
    if not sub:
        for agent in (stmt.get("actor"), agents[-1]):
            if isinstance(agent, dict) and actor_key(agent):
                keys.add((AGENT, actor_key(agent)))
        if kind == "Activity" and isinstance(obj.get("id"), str):
            keys.add((ACTIVITY, obj["id"]))
        keys.add((VERB, (stmt.get("verb") or {}).get("id", "")))
        if isinstance(context.get("registration"), str):
            keys.add((REGISTRATION, context["registration"].lower()))
        if kind == "StatementRef" and isinstance(obj.get("id"), str):
            keys.add((REF, obj["id"].lower()))
    if kind == "SubStatement":
        _body_keys(obj, keys, sub=True)


def statement_keys(stmt: dict) -> set[tuple[str, str]]:
    """Every (kind, value) this statement is found by, its own (not its target's)."""
    keys: set[tuple[str, str]] = set()
    _body_keys(stmt, keys, sub=False)
    return {(kind, value[:MAX_VALUE]) for kind, value in keys if value}


def described_activities(stmt: dict) -> list[dict]:
    """The Activity objects of a statement that carry a definition: its object, its context
    activities, and the same in a SubStatement."""
    parts = [stmt]
    if stmt["object"].get("objectType") == "SubStatement":
        parts.append(stmt["object"])
    found = []
    for part in parts:
        candidates = context_activities(part.get("context") or {})
        if part["object"].get("objectType", "Activity") == "Activity":
            candidates.append(part["object"])
        found += [a for a in candidates if a.get("definition")]
    return found


def merge_definition(known: dict | None, sent: dict) -> dict:
    """An activity's canonical definition (GET /activities) after a statement describes it: the
    latest definition sent wins, property by property; language maps and extensions are merged
    key by key."""
    merged = dict(known or {})
    for key, value in sent.items():
        if key in ("name", "description", "extensions") and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def lend_target_keys(keys: dict[str, set], stored: dict[str, set] | None = None) -> None:
    """Each statement of `keys` (id → its keys) that targets another — its `ref` key — takes
    over its target's INHERITED keys, transitively (a chain of references). A target is looked
    up in `keys`, then among `stored` (the keys of statements stored earlier)."""
    stored = stored or {}
    targets = {sid: next((v for k, v in found if k == REF), None) for sid, found in keys.items()}
    changed = True
    while changed:
        changed = False
        for sid, target in targets.items():
            source = keys.get(target, stored.get(target)) if target else None
            lent = {(k, v) for k, v in source or () if k in INHERITED} - keys[sid]
            if lent:
                keys[sid] |= lent
                changed = True
