"""The casework core: one transition table type and one :func:`perform` for every case kind.

A case kind (incident, dispute, rectification notice) declares a :class:`CaseKind`: its table of
:class:`Transition` rows, its parameters and its effects. :func:`perform` runs every action of
every kind with ONE fixed order of checks, so that the same wrong request gets the same answer on
every kind:

1. the case, found in the caller's scope — 404 ``<kind>_not_found`` outside it or absent; an
   action not in the table — 404 ``unknown_action``;
2. the actor kind — 403 ``action_forbidden`` unless the caller holds one of the row's roles (for
   ``approve``: an office role ranked above the requester, never the requester);
3. the version — 400 ``invalid_version`` when it is not an integer, 409 ``stale_version`` when it
   is not the case's current version (optimistic lock; omitted: not checked);
4. the state — 409 ``invalid_state`` when the table has no such move from the current state,
   ``pending_approval`` when a side action is already waiting, ``no_pending_approval``;
5. the parameters — 400 naming the field (:mod:`gridapp.core.params`);
6. the effect (the kind's), or, for a side action (``approval=True``), the request;
7. one history row, and the notifications the action causes (see below), in the same
   transaction; 8. commit — a lost race on the version column: 409 ``stale_version``.

Approvals: a side action only records a request with the requester's rank; it takes effect when
someone of a higher rank (:data:`gridapp.core.scope.RANK`) in scope, other than the requester,
takes ``approve`` with ``{"approved": true}`` (``false`` refuses it; a note is then required).
At most one request per case waits at a time.

Notifications (issue 22): each row declares whom its action tells (``notify``: :class:`Notify`
rows — a kind of notification and an audience the case kind resolves); a side action's request
also tells its ``approvers``, a decision tells its ``requester`` (and, approved, the requested
row's own audiences). :func:`perform` hands them to :meth:`CaseKind.announce` once, after the
history row, so they are written in the action's transaction or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Integer, select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from . import params as p
from .clock import utcnow
from .errors import BadInput, Conflict, Forbidden, NotFound
from .roles import OFFICE, office_rank


@dataclass(frozen=True)
class Notify:
    """Whom an action tells: ``kind`` of notification (assigned, returned, routed, escalated …:
    :data:`gridapp.notifications.rules.KINDS`) and ``to``, an audience the case kind resolves
    (:meth:`CaseKind.audience`: e.g. ``assignee``, ``office``, ``handlers``, ``responsible``)."""

    kind: str
    to: str


@dataclass(frozen=True)
class Announcement:
    """One notification an action causes: its :class:`Notify` row, the action's label, the
    history row's id (``event_id``: one notification per action and audience) and the request
    (``pending``) it answers or made, if any; ``approved`` for a decision."""

    notify: Notify
    action: str
    label: str
    event_id: int | None
    pending: Pending | None = None
    approved: bool | None = None


@dataclass(frozen=True)
class Transition:
    """One row of a case kind's table: ``action`` (with ``variant`` for a two-way outcome such as
    verify passed/failed) moves a case from one of ``sources`` to ``target`` (None: the state does
    not change) when the actor holds one of ``roles`` (actor kinds of the case kind). ``approval``:
    a side action that takes effect only when approved by a higher rank. ``needs``: the parameter
    the action requires (the kind parses it)."""

    action: str
    sources: tuple[str, ...]
    target: str | None
    roles: tuple[str, ...]
    label: str
    approval: bool = False
    variant: str | None = None
    needs: str | None = None
    notify: tuple = ()


@dataclass
class Pending:
    """A side action's request awaiting approval: ``action``, its ``data`` (the effect's
    parameters), the requester's id and rank, and ``row`` (the kind's stored request)."""

    action: str
    data: dict
    note: str | None
    requested_by: int
    requested_rank: int
    row: object = None


@dataclass
class Outcome:
    """What an action wrote: the history ``note``, ``data`` and ``attachments``."""

    note: str | None = None
    data: dict = field(default_factory=dict)
    attachments: list = field(default_factory=list)


class CaseKind:
    """What a case kind declares to run through :func:`perform`.

    Class attributes: ``name`` (code prefix, e.g. ``incident``), ``table`` (its
    :class:`Transition` rows), ``state_names`` and ``role_names`` (labels for messages),
    ``messages`` (the texts of refusals, see :meth:`message`). Methods to provide: :meth:`find`,
    :meth:`actor_kinds`, :meth:`parameters`, :meth:`apply`, :meth:`record`; for side actions
    :meth:`pending`, :meth:`request`, :meth:`decide`."""

    name = "case"
    table: tuple[Transition, ...] = ()
    messages: dict = {}
    state_names: dict = {}
    role_names: dict = {}

    # --- to provide ------------------------------------------------------------------------
    def find(self, user, case_id):
        """The case ``case_id`` in the user's scope; raises NotFound (404) otherwise."""
        raise NotImplementedError

    def actor_kinds(self, user, case) -> set[str]:
        """The actor kinds (table roles) the user holds for the case."""
        raise NotImplementedError

    def state(self, case, now: datetime) -> str:
        """The case's state for the table (default its ``status``)."""
        return case.status

    def parameters(self, t: Transition, user, case, params: dict) -> Outcome:
        """Parse the row's parameters (raises BadInput naming the field)."""
        return Outcome(note=p.note(params.get("note"), t.needs == "note"))

    def apply(self, user, case, t: Transition, outcome: Outcome, now: datetime) -> None:
        """The effect of an effective action: change the case (state included)."""
        if t.target is not None:
            case.status = t.target

    def record(self, user, case, action: str, from_state: str, outcome: Outcome, now: datetime) -> int | None:
        """Append the history row of an action; returns its id (flushed)."""
        raise NotImplementedError

    def announce(self, user, case, announcement: Announcement, now: datetime) -> None:
        """Write the notifications of one :class:`Announcement` (in the action's transaction; the
        kinds do it through :mod:`gridapp.notifications`). Default: nothing."""

    def pending(self, case) -> Pending | None:
        """The request awaiting approval, if any."""
        return None

    def still_applies(self, case, t: Transition, now: datetime) -> bool:
        """Whether a request for ``t`` can still take effect (default: the state is among its sources)."""
        return self.state(case, now) in t.sources

    def request(self, user, case, t: Transition, outcome: Outcome, rank: int, now: datetime) -> None:
        """Store a side action's request (rank: the requester's) and add to ``outcome.data``."""
        raise NotImplementedError

    def decide(self, user, case, pending: Pending, approved: bool, now: datetime) -> None:
        """Store the decision on ``pending``."""
        raise NotImplementedError

    def request_rank(self, kinds: set[str], t: Transition) -> int:
        """The rank a request is made with: the highest office role among the row's roles the
        requester holds, else 1 (an assignee, a reporter, a grid worker)."""
        return office_rank(kinds & set(t.roles)) or 1

    # --- derived ---------------------------------------------------------------------------
    def rows(self, action: str) -> list[Transition]:
        """The rows for ``action``. Raises NotFound ``unknown_action`` naming the table's actions."""
        rows = [t for t in self.table if t.action == action]
        if not rows:
            raise NotFound(_("未知的操作 %(action)s；可用：%(all)s", action=action,
                             all=", ".join(dict.fromkeys(t.action for t in self.table))), code="unknown_action")
        return rows

    def pending_row(self, case):
        """The stored request awaiting approval (the kind's row), or None."""
        pending = self.pending(case)
        return pending.row if pending else None

    def allowed(self, user, case, now: datetime | None = None) -> list[Transition]:
        """The rows the user may take now: their kind among the row's roles and the state among
        its sources; a side action only while nothing waits; ``approve`` when a request by
        someone else of a lower rank waits."""
        now = now or utcnow()
        kinds, state, pending = self.actor_kinds(user, case), self.state(case, now), self.pending(case)
        out = []
        for t in self.table:
            if t.action == "approve":
                if pending and state in t.sources and kinds & set(t.roles) and may_decide(user, kinds, pending):
                    out.append(t)
            elif state in t.sources and kinds & set(t.roles) and not (t.approval and pending):
                out.append(t)
        return out

    def message(self, key: str, **kw) -> str:
        """The kind's text of a refusal: ``messages[key]`` (keys ``stale`` {mine, now}, ``race``,
        ``state`` {state, action}, ``forbidden`` {action, who}, ``pending``, ``no_pending``,
        ``not_applicable`` {state, action}) filled with ``kw``."""
        return str(self.messages[key]) % kw


class StoredKind(CaseKind):
    """A case kind whose history and approval requests are tables keyed by the case: set
    ``event_model`` and ``approval_model`` (models with the columns of
    :class:`~gridapp.models.workflow.ApprovalRequest`) and ``case_fk`` (their case column name)."""

    event_model = None
    approval_model = None
    case_fk = "case_id"
    event_attachments = False

    def pending(self, case) -> Pending | None:
        """The stored request awaiting approval, if any."""
        model = self.approval_model
        row = db.session.scalar(select(model).where(getattr(model, self.case_fk) == case.id, model.decision.is_(None)))
        if row is None:
            return None
        return Pending(row.action, row.data or {}, row.note, row.requested_by, row.requested_rank, row)

    def request(self, user, case, t: Transition, outcome: Outcome, rank: int, now: datetime) -> None:
        """Store the request; its id goes into the history row's data (``approval_id``)."""
        row = self.approval_model(**{self.case_fk: case.id}, action=t.action, data=outcome.data, note=outcome.note,
                                  requested_by=user.id, requested_rank=rank, requested_at=now)
        db.session.add(row)
        db.session.flush()
        outcome.data = {**outcome.data, "approval_id": row.id}

    def decide(self, user, case, pending: Pending, approved: bool, now: datetime) -> None:
        """Store the decision on the request."""
        row = pending.row
        row.decision = "approved" if approved else "refused"
        row.decided_by, row.decided_at = user.id, now

    def record(self, user, case, action: str, from_state: str, outcome: Outcome, now: datetime) -> int:
        """Append one history row (``to_state``: the case's state after the action); its id."""
        extra = {"attachments": outcome.attachments} if self.event_attachments else {}
        event = self.event_model(**{self.case_fk: case.id}, actor_id=user.id, at=now, action=action,
                                 from_state=from_state, to_state=case.status, note=outcome.note,
                                 data=outcome.data, **extra)
        db.session.add(event)
        db.session.flush()
        return event.id


#: the longest text key a reference may carry (codes, usernames)
KEY_MAX = 64


def find_in_scope(model, in_scope, row_id, code: str, message, *, field: str | None = None, key=None):
    """The row of ``model`` whose ``key`` (default its integer ``id``) is ``row_id`` and that meets
    ``in_scope`` (an SQL condition: the caller's scope, or the scope of the object the reference
    belongs to). The one helper that resolves every reference a request carries — a case, a merge
    target, a linked incident, a handler, a department, a mediator, a campaign … (issue 18).
    Raises NotFound ``code`` with ``message(row_id)`` and ``field`` otherwise: a malformed key, an
    absent row and a row outside the scope get the same 404 (nothing is revealed, nothing probed)."""
    key = model.id if key is None else key
    absent = NotFound(message(repr(row_id)[:KEY_MAX]), code=code, field=field)
    if isinstance(key.type, Integer):
        try:
            row_id = p.integer(row_id, field or "id")  # int4: an id out of range is simply absent
        except BadInput:
            raise absent from None
    elif not isinstance(row_id, str) or not 0 < len(row_id) <= KEY_MAX:
        raise absent
    row = db.session.scalar(select(model).where(key == row_id, in_scope))
    if row is None:
        raise NotFound(message(row_id), code=code, field=field)
    return row


def may_decide(user, kinds: set[str], pending: Pending) -> bool:
    """The approval rule: an office role in scope ranked above the requester, not the requester."""
    return bool(kinds & set(OFFICE)) and pending.requested_by != user.id and office_rank(kinds) > pending.requested_rank


def check_version(current: int, version, message) -> None:
    """Optimistic lock: when the caller sent a ``version`` (int or decimal text; None/"" = not
    sent) that differs from ``current``, raise Conflict 409 ``stale_version`` with
    ``message(version)`` and ``details.version``. Raises BadInput ``invalid_version`` (field
    ``version``) for anything that is not an integer."""
    if version is None or version == "":
        return
    version = p.integer(version, "version", 0, p.INT_MAX, _("version 必须是整数"))
    if version != current:
        raise Conflict(message(version), code="stale_version", details={"version": current})


def commit_versioned(message) -> None:
    """Commit the action's transaction; a lost race on the ``version`` column (the UPDATE
    matched no row) rolls everything back and raises Conflict 409 ``stale_version``."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(message(), code="stale_version") from None


def perform(kind: CaseKind, user, case_id, action: str, params: dict | None = None, *, version=None,
            now: datetime | None = None):
    """Take ``action`` on the case ``case_id`` of ``kind`` as ``user``: one transaction, checks in
    the order of the module docstring. ``params``: the action's parameters (``note``,
    ``attachments`` and the row's ``needs``; ``approved`` for approve). ``version``: the version the
    caller saw (optional). ``now``: aware UTC time of the action (tests); default the clock.
    Returns the case. Raises NotFound 404, Forbidden 403, BadInput 400, Conflict 409."""
    params = params if isinstance(params, dict) else {}
    now = now or utcnow()
    case = kind.find(user, case_id)                                     # 1. scope
    rows = kind.rows(action)
    t = rows[0]
    kinds = kind.actor_kinds(user, case)
    pending = kind.pending(case)
    if not kinds & set(t.roles) or (action == "approve" and pending and not may_decide(user, kinds, pending)):
        if action == "approve":                                         # 2. actor
            raise Forbidden(_("审批须由申请人的上一级（在管辖范围内）进行"), code="action_forbidden")
        raise Forbidden(kind.message("forbidden", action=t.label, who="、".join(
            str(kind.role_names.get(k, k)) for k in t.roles)), code="action_forbidden")
    check_version(case.version, version, lambda mine: kind.message("stale", mine=mine, now=case.version))  # 3.
    state = kind.state(case, now)                                       # 4. state
    if state not in t.sources:
        raise Conflict(kind.message("state", state=kind.state_names.get(state, state), action=t.label),
                       code="invalid_state")
    if action == "approve" and pending is None:
        raise Conflict(kind.message("no_pending"), code="no_pending_approval")
    if t.approval and pending is not None:
        raise Conflict(kind.message("pending"), code="pending_approval")
    from_state = case.status
    if action == "approve":
        outcome = _decide(kind, user, case, pending, params, now)       # 5–6. parameters, effect
        requested = kind.rows(pending.action)[0]
        approved = outcome.data["approved"]
        tells = [(Notify("decided", "requester"), requested)] + [(n, requested) for n in requested.notify
                                                                  if approved]
    else:
        if len(rows) > 1:  # a two-way outcome: the variant is a parameter
            passed = p.boolean(params.get("passed"), "passed", _("核查结果 (passed) 必须是 true 或 false"))
            t = next(r for r in rows if (r.variant == "passed") == passed)
        outcome = kind.parameters(t, user, case, params)
        if t.approval:
            kind.request(user, case, t, outcome, kind.request_rank(kinds, t), now)
            outcome.data = {**outcome.data, "requested": True}
            pending, approved, tells = kind.pending(case), None, [(Notify("approval", "approvers"), t)]
        else:
            kind.apply(user, case, t, outcome, now)
            approved, tells = None, [(n, t) for n in t.notify]
    flag_modified(case, "status")  # every action bumps the version once (compare-and-set UPDATE)
    race = lambda: kind.message("race")  # noqa: E731
    try:
        event_id = kind.record(user, case, action, from_state, outcome, now)  # 7. history, notifications
        for notify, row in tells:
            kind.announce(user, case, Announcement(notify, row.action, str(row.label), event_id, pending,
                                                   approved), now)
    except StaleDataError:  # the history's flush ran the version's UPDATE: a lost race
        db.session.rollback()
        raise Conflict(race(), code="stale_version") from None
    commit_versioned(race)                                              # 8. commit
    return case


def _decide(kind: CaseKind, user, case, pending: Pending, params: dict, now: datetime) -> Outcome:
    approved = p.boolean(params["approved"], "approved", _("审批结果 (approved) 必须是 true 或 false")) \
        if "approved" in params else True
    outcome = Outcome(note=p.note(params.get("note"), not approved),
                      data={"approval_id": getattr(pending.row, "id", None), "request_action": pending.action,
                            "approved": approved})
    if approved:
        t = kind.rows(pending.action)[0]
        if not kind.still_applies(case, t, now):
            raise Conflict(kind.message("not_applicable", state=kind.state_names.get(case.status, case.status),
                                        action=t.label), code="invalid_state")
        effect = Outcome(note=pending.note, data=dict(pending.data or {}))
        kind.apply(user, case, t, effect, now)
        outcome.data.update(effect.data)
    kind.decide(user, case, pending, approved, now)
    return outcome


def permission_table_markdown(table: tuple[Transition, ...]) -> str:
    """A transition table as Markdown (the README's tables are this text; tests check it)."""
    lines = ["| action | from | to | who (role in scope) | approval |", "|---|---|---|---|---|"]
    for t in table:
        name = t.action + (f" ({t.variant})" if t.variant else "")
        to = t.target or ("(the requested action's)" if t.action == "approve" else "(unchanged)")
        who = ", ".join(t.roles) + (" — rank above the requester, not the requester" if t.action == "approve" else "")
        lines.append(f"| `{name}` | {', '.join(t.sources)} | {to} | {who} | {'yes' if t.approval else ''} |")
    return "\n".join(lines)
