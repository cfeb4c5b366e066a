"""The shapes a statement is returned in (xAPI 1.0.3 Communication 2.1.3, `format`):

* `exact` — as received (with what the LRS sets);
* `ids` — Agents and identified Groups reduced to objectType and their identifier, anonymous
  Groups to their members' identifiers, Activities and Verbs to their id;
* `canonical` — Activities carry the LRS's canonical definition (keys.merge_definition) and every
  language map keeps one language, the best for the request's Accept-Language.

Pure functions: the caller passes the definitions it knows and the chooser of a language.
"""
from __future__ import annotations

from collections.abc import Callable

from trainer.xapi.keys import CONTEXT_ACTIVITY_KINDS, IFI_KEYS

LANGUAGE_MAPS = ("name", "description")


def arrays(stmt: dict) -> dict:
    """The statement with each kind of context activities as a list (Data 2.4.6.2: an LRS
    returns a single object sent there as a list of one)."""
    out = dict(stmt)
    for part_key in (None, "object"):
        part = out if part_key is None else out.get(part_key)
        if not isinstance(part, dict) or not isinstance(part.get("context"), dict):
            continue
        activities = part["context"].get("contextActivities")
        if isinstance(activities, dict) and any(isinstance(v, dict)
                                                for v in activities.values()):
            part = dict(part)
            part["context"] = {**part["context"], "contextActivities": {
                k: [v] if isinstance(v, dict) else v for k, v in activities.items()}}
            if part_key is None:
                out = part
            else:
                out["object"] = part
    return out


def _agent_ids(agent: dict) -> dict:
    out = {k: agent[k] for k in IFI_KEYS if k in agent}
    if "objectType" in agent:
        out["objectType"] = agent["objectType"]
    if agent.get("objectType") == "Group" and not any(k in agent for k in IFI_KEYS):
        out["member"] = [_agent_ids(m) for m in agent.get("member", [])]
    return out


def _one_language(value: dict, choose: Callable[[list[str]], str | None]) -> dict:
    if not isinstance(value, dict) or len(value) <= 1:
        return value
    best = choose(list(value))
    return {best: value[best]} if best in value else value


def _definition(definition: dict, choose) -> dict:
    out = dict(definition)
    for key in LANGUAGE_MAPS:
        if key in out:
            out[key] = _one_language(out[key], choose)
    for key in ("choices", "scale", "source", "target", "steps"):
        if isinstance(out.get(key), list):
            out[key] = [{**c, "description": _one_language(c["description"], choose)}
                        if isinstance(c, dict) and "description" in c else c
                        for c in out[key]]
    return out


def shaped(stmt: dict, fmt: str, *, choose: Callable[[list[str]], str | None],
           definition_of: Callable[[str], dict | None]) -> dict:
    """The statement in the `fmt` format (see the module's docstring)."""
    if fmt not in ("ids", "canonical"):
        return stmt

    def agent(a):
        return _agent_ids(a) if fmt == "ids" and isinstance(a, dict) else a

    def activity(a):
        if not isinstance(a, dict):
            return a
        if fmt == "ids":
            return {"id": a["id"]}
        known = definition_of(a["id"])
        definition = known if known is not None else a.get("definition")
        out = dict(a)
        if definition:
            out["definition"] = _definition(definition, choose)
        return out

    def verb(v):
        if fmt == "ids":
            return {"id": v["id"]}
        return {**v, "display": _one_language(v["display"], choose)} if "display" in v else v

    def body(s: dict) -> dict:
        out = dict(s)
        for key in ("actor", "authority"):
            if key in out:
                out[key] = agent(out[key])
        if "verb" in out:
            out["verb"] = verb(out["verb"])
        obj = out.get("object")
        if isinstance(obj, dict):
            kind = obj.get("objectType", "Activity")
            if kind == "Activity":
                out["object"] = activity(obj)
            elif kind in ("Agent", "Group"):
                out["object"] = agent(obj)
            elif kind == "SubStatement":
                out["object"] = body(obj)
        context = out.get("context")
        if isinstance(context, dict):
            context = dict(context)
            for key in ("instructor", "team"):
                if key in context:
                    context[key] = agent(context[key])
            if isinstance(context.get("contextActivities"), dict):
                context["contextActivities"] = {
                    k: [activity(a) for a in v] if isinstance(v, list) else activity(v)
                    for k, v in context["contextActivities"].items()
                    if k in CONTEXT_ACTIVITY_KINDS}
            out["context"] = context
        if fmt == "canonical" and isinstance(out.get("attachments"), list):
            out["attachments"] = [{**a, **{k: _one_language(a[k], choose)
                                           for k in ("display", "description") if k in a}}
                                  for a in out["attachments"]]
        return out

    return body(stmt)
