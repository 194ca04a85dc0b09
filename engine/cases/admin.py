"""The administrators' list of cases: every case by status and procedure, most recently changed first, with where a
failed one stopped (docs/operations.md). Only members of the administrators' group may read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, bindparam, exists, func, select
from sqlalchemy.sql import Select

from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.i18n import N_
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.models import HistoryEvent, Instance, InstanceStatus, Membership, ProcessVersion, User

STATUSES = tuple(s.value for s in InstanceStatus)
MAX_PER_PAGE = 200

_instances = table_of(Instance)
_versions = table_of(ProcessVersion)
_users = table_of(User)
_members = table_of(Membership)
_history = table_of(HistoryEvent)

_IS_ADMIN = select(exists().where(_users.c.username == bindparam("user"), _users.c.active.is_(True),
                                  exists().where(_members.c.username == _users.c.username,
                                                 _members.c.group_code == bindparam("group"))))
_newest = _versions.alias("newest")
_LATEST = (select(func.max(_newest.c.version)).where(_newest.c.process_id == _instances.c.process_id)
           .scalar_subquery())
_COLUMNS = (_instances.c.id, _instances.c.process_id, _versions.c.version, _LATEST.label("latest_version"),
            _instances.c.business_key, _instances.c.summary, _instances.c.status, _instances.c.started_by,
            _instances.c.started_at, _instances.c.updated_at, _instances.c.ended_at, _instances.c.error_element,
            _instances.c.error_message)


@dataclass(frozen=True)
class AdminCaseRow:
    """A case as the administrators' list shows it: what, where it stopped, when it last changed."""

    id: int
    process_id: str
    version: int
    latest_version: int
    business_key: str | None
    summary: str | None
    status: str
    started_by: str | None
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    error_element: str | None
    error_message: str | None

    @property
    def upgradable(self) -> bool:
        """True when a newer version of its procedure is deployed (a retry may move the case onto it)."""
        return self.latest_version > self.version


@dataclass(frozen=True)
class AdminCasePage:
    """A page of cases, how many match, and how many cases there are in each status (for the filter)."""

    rows: list[AdminCaseRow]
    total: int
    page: int
    per_page: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class UndeliveredMessage:
    """A message a case sent that no case took and no process started on (engine/runtime/delivery.py)."""

    instance_id: int
    process_id: str
    at: datetime
    message: str
    correlations: dict[str, Any]


_SENT = (select(_history.c.instance_id, _instances.c.process_id, _history.c.at, _history.c.data)
         .join(_instances, _instances.c.id == _history.c.instance_id)
         .where(_history.c.kind == "message_sent", _history.c.at >= bindparam("since"))
         .order_by(_history.c.id.desc()))


def _listing(with_status: bool, with_process: bool) -> Select[Any]:
    query = select(*_COLUMNS).join(_versions, _versions.c.id == _instances.c.process_version_id)
    if with_status:
        query = query.where(_instances.c.status == bindparam("status"))
    if with_process:
        query = query.where(_instances.c.process_id == bindparam("process_id"))
    return (query.order_by(_instances.c.updated_at.desc(), _instances.c.id.desc())
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


_LISTINGS = {(s, p): _listing(s, p) for s in (False, True) for p in (False, True)}
_ONE = select(*_COLUMNS).join(_versions, _versions.c.id == _instances.c.process_version_id).where(
    _instances.c.id == bindparam("instance_id"))
_COUNTS = {p: (select(_instances.c.status, func.count()).where(_instances.c.process_id == bindparam("process_id"))
               if p else select(_instances.c.status, func.count())).group_by(_instances.c.status)
           for p in (False, True)}


class AdminCaseService:
    """Every case, for the administrators who retry, suspend, resume and cancel them."""

    def __init__(self, *, db: Database, admin_group: str = "quan_tri") -> None:
        self.db = db
        self.admin_group = admin_group

    def is_admin(self, user: str) -> bool:
        """True if ``user`` is an active member of the administrators' group."""
        with self.db.connect() as conn:
            return bool(conn.execute(_IS_ADMIN, {"user": user, "group": self.admin_group}).scalar())

    def cases(self, user: str, *, status: str | None = InstanceStatus.ERROR.value, process_id: str | None = None,
              page: int = 1, per_page: int = 50) -> AdminCasePage:
        """Cases in ``status`` (None: every status), of ``process_id`` if given, most recently changed first.

        Raises:
            PermissionDenied: ``user`` is not an administrator.
            InvalidInput: an unknown status, or a page out of range.
        """
        self._require_admin(user)
        if status is not None and status not in STATUSES:
            raise InvalidInput(N_("unknown status '{status}'"), {"status": ["unknown status"]}, status=status)
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise InvalidInput(N_("page must be >= 1 and per_page between 1 and {max_per_page}"),
                               {"page": ["out of range"], "per_page": ["out of range"]}, max_per_page=MAX_PER_PAGE)
        params = {"status": status, "process_id": process_id, "limit": per_page, "offset": (page - 1) * per_page}
        with self.db.connect() as conn:
            counts = {InstanceStatus(s).value: int(n) for s, n in conn.execute(_COUNTS[process_id is not None],
                                                                               params)}
            rows = conn.execute(_LISTINGS[(status is not None, process_id is not None)], params).all()
        total = counts.get(status, 0) if status is not None else sum(counts.values())
        return AdminCasePage([_row(r) for r in rows], total, page, per_page, counts)

    def case(self, user: str, instance_id: int) -> AdminCaseRow:
        """One case's row, e.g. to say where it stands after an action.

        Raises:
            PermissionDenied: ``user`` is not an administrator.
            NotFound: there is no such case.
        """
        self._require_admin(user)
        with self.db.connect() as conn:
            found = conn.execute(_ONE, {"instance_id": instance_id}).first()
        if found is None:
            raise NotFound(N_("no instance {instance_id}"), instance_id=instance_id)
        return _row(found)

    def undelivered(self, user: str | None = None, *, since: datetime | None = None,
                    limit: int = 100) -> list[UndeliveredMessage]:
        """The messages cases sent that nobody took (newest first), e.g. correlated for a case that is not there.

        Args:
            user: who asks (None: the command line, which is the administrator's already).
            since: only those sent from then on (default: all).

        Raises:
            PermissionDenied: ``user`` is not an administrator.
        """
        if user is not None:
            self._require_admin(user)
        found: list[UndeliveredMessage] = []
        with self.db.connect() as conn:
            params = {"since": since or datetime(1970, 1, 1, tzinfo=UTC)}
            for row in conn.execution_options(yield_per=500).execute(_SENT, params):
                data = row.data or {}
                if data.get("delivered_to") or data.get("started"):
                    continue
                found.append(UndeliveredMessage(row.instance_id, row.process_id, row.at, str(data.get("message")),
                                                data.get("correlations") or {}))
                if len(found) >= limit:
                    break
        return found

    def require_admin(self, user: str) -> None:
        """Raise PermissionDenied unless ``user`` is an active administrator."""
        self._require_admin(user)

    def _require_admin(self, user: str) -> None:
        if not self.is_admin(user):
            raise PermissionDenied(N_("only members of {group} administer cases"), group=self.admin_group)


def _row(r: Any) -> AdminCaseRow:
    return AdminCaseRow(r.id, r.process_id, r.version, r.latest_version or r.version, r.business_key, r.summary,
                        InstanceStatus(r.status).value, r.started_by, r.started_at, r.updated_at, r.ended_at,
                        r.error_element, r.error_message)
