"""The one place that builds procflow's services from settings (used by the CLI, the web app, the workers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.analytics import AnalyticsService
from engine.audit import AccessLog, AnchorService, Verifier
from engine.bpmn.serializer import StateSerializer
from engine.calendar.store import CalendarService
from engine.cases.admin import AdminCaseService
from engine.cases.attachments import AttachmentService
from engine.cases.catalogue import ProcessCatalogue
from engine.cases.comments import CommentService
from engine.cases.queries import Queries
from engine.cases.search import CaseSearch
from engine.cases.service import CaseService
from engine.cases.starting import CaseStarter
from engine.cases.visibility import CaseAccess
from engine.clock import Clock, SystemClock
from engine.deployment.service import DeploymentService
from engine.documents.extension import DocumentActions
from engine.documents.service import DocumentService
from engine.documents.store import ContentStore
from engine.exchange.directory import AgencyDirectory
from engine.exchange.seal import AgencySeal
from engine.exchange.service import ExchangeService
from engine.inbox.desk import TaskDesk
from engine.inbox.drafts import DraftService
from engine.inbox.handover import Departures
from engine.inbox.queries import InboxQueries
from engine.inbox.saved_filters import SavedFilterService
from engine.inbox.work import WorkService
from engine.migration.service import MigrationService
from engine.notify.mail import Mailer
from engine.notify.service import NotificationService
from engine.ops.status import OperationsService
from engine.org.accounts import AccountService
from engine.org.passwords import PasswordService
from engine.org.people import PeopleService
from engine.org.service import OrgService
from engine.org.sessions import SessionService
from engine.org.throttle import SignInThrottle
from engine.org.tokens import TokenService
from engine.persistence.db import Database
from engine.queue import jobs
from engine.queue.connection import connect_redis
from engine.queue.dispatch import RQDispatcher
from engine.queue.worker import ProcflowWorker
from engine.retention import RetentionService, load_key
from engine.runtime.core import Runtime
from engine.runtime.scheduling import InlineDispatcher
from engine.runtime.specs import SpecCache
from engine.settings import Settings
from engine.storage import storage_for
from engine.timers.firing import TimerService
from engine.timers.starts import TimerStarts

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


@dataclass
class Services:
    """Every service, sharing one database handle, clock and spec cache."""

    settings: Settings
    db: Database
    clock: Clock
    deployment: DeploymentService
    runtime: Runtime
    queries: Queries
    org: OrgService
    calendar: CalendarService
    timers: TimerService
    mailer: Mailer
    accounts: AccountService
    # Tokens of the REST API (docs/api.md).
    tokens: TokenService
    catalogue: ProcessCatalogue
    # The staff inbox (docs/inbox.md).
    access: CaseAccess
    work: WorkService
    inbox: InboxQueries
    saved_filters: SavedFilterService
    drafts: DraftService
    desk: TaskDesk
    comments: CommentService
    attachments: AttachmentService
    # Starting a case with its start form's files (docs/forms.md).
    starter: CaseStarter
    notifications: NotificationService
    cases: CaseService
    search: CaseSearch  # full-text search over the cases a user may see (docs/search.md)
    # Managers' figures and actions (docs/managers.md).
    analytics: AnalyticsService
    # The administrators' list of cases (docs/operations.md); their actions are the runtime's.
    admin: AdminCaseService
    # The administrators' organisation pages, departures and password rules (docs/operations.md).
    people: PeopleService
    departures: Departures
    passwords: PasswordService
    # Queues, workers, failed jobs, timers, /healthz and /metrics (docs/operations.md).
    operations: OperationsService
    # Tamper evidence: anchors over the hash chains and their verification (docs/security.md).
    anchors: AnchorService
    verifier: Verifier
    # Retention: finished cases past their time to live to signed archive files (docs/operations.md).
    retention: RetentionService
    # Documents, registers and signing in procedures (docs/documents.md).
    documents: DocumentService
    # Moving running cases to another version of their process (docs/modeling.md, "Migrating running cases").
    migrations: MigrationService
    # The exchange of documents with other agencies (edXML) and their directory (docs/exchange.md).
    directory: AgencyDirectory
    exchange: ExchangeService

    def close(self) -> None:
        """Release database connections."""
        self.db.dispose()


def build_services(settings: Settings, *, clock: Clock | None = None, calendar: object = None,
                   redis: Any = None, verify_state: bool = False) -> Services:
    """Wire the services for ``settings``; nothing connects until first used.

    Args:
        clock: the engine's clock (default: the system clock).
        calendar: business calendar for ``working:`` durations (default: the database's calendar).
        redis: a Redis client; when given, timers and e-mails go through RQ workers, otherwise timers
            wait in SQL until a worker reconciles them (or a test fires them) and e-mail is sent inline.
        verify_state: check every saved state with a serializer round trip (tests).
    """
    clock = clock or SystemClock()
    db = Database(settings.database_url, echo=settings.sql_echo, pool_size=settings.db_pool_size,
                  max_overflow=settings.db_max_overflow, pool_timeout=settings.db_pool_timeout)
    calendar_service = CalendarService(db=db, clock=clock, timezone=settings.timezone)
    serializer = StateSerializer()
    specs = SpecCache(serializer)
    mailer = Mailer(db=db, settings=settings, clock=clock)
    dispatcher = RQDispatcher(redis, clock, queue=settings.queue) if redis is not None else InlineDispatcher(mailer)
    runtime = Runtime(db=db, clock=clock, calendar=calendar if calendar is not None else calendar_service,
                      serializer=serializer, specs=specs, dispatcher=dispatcher, verify_state=verify_state,
                      timezone=settings.timezone, script_timeout=settings.script_timeout)
    queries = Queries(db=db, serializer=serializer, specs=specs)
    catalogue = ProcessCatalogue(db=db, serializer=serializer, specs=specs, forms=runtime.forms)
    accounts = _accounts(settings, db, clock)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        deployment=DeploymentService(db=db, clock=clock, serializer=serializer, forms_dir=settings.forms_dir,
                                     start_timers=TimerStarts(clock=clock, calendar=runtime.calendar,
                                                              dispatcher=dispatcher,
                                                              evaluate=runtime.script_engine.environment.evaluate)),
        runtime=runtime,
        queries=queries,
        org=OrgService(db=db),
        calendar=calendar_service,
        timers=TimerService(runtime=runtime, timezone=settings.timezone),
        mailer=mailer,
        accounts=accounts,
        tokens=TokenService(db=db, clock=clock),
        catalogue=catalogue,
        **_inbox_services(settings, runtime, queries, catalogue,
                          calendar if calendar is not None else calendar_service),
        analytics=AnalyticsService(db=db, calendar=runtime.calendar, clock=clock, runtime=runtime,
                                   leader_group=settings.leader_group),
        admin=AdminCaseService(db=db, admin_group=settings.admin_group),
        people=PeopleService(db=db),
        # once it exists; until then an inactive user's cookie already stops working (AccountService.account).
        departures=Departures(runtime=runtime, end_sessions=accounts.sessions.end_all),
        passwords=PasswordService(db=db, clock=clock, accounts=accounts, rules=settings.passwords),
        operations=OperationsService(db=db, clock=clock, redis=redis, queue=settings.queue),
        anchors=AnchorService(db=db, clock=clock),
        verifier=Verifier(db=db),
        migrations=MigrationService(runtime=runtime,
                                    launcher=dispatcher.migrate if isinstance(dispatcher, RQDispatcher) else None),
        **_exchange(settings, runtime, dispatcher),
        retention=RetentionService(db=db, clock=clock,
                                   storage=storage_for(settings.file_storage, home=settings.home, db=db),
                                   archive_dir=settings.archive_dir or settings.home / "archives",
                                   key=load_key(settings.secrets_dir, settings.archive_key),
                                   default_days=settings.history_ttl_days),
    )


def _exchange(settings: Settings, runtime: Runtime, dispatcher: Any) -> dict[str, Any]:
    """The agency directory and the exchange service, hooked into the runtime's steps (statuses of received
    documents, deliveries of issued ones)."""
    directory = AgencyDirectory(db=runtime.db, clock=runtime.clock)
    storage = storage_for(settings.file_storage, home=settings.home, db=runtime.db)
    exchange = ExchangeService(db=runtime.db, clock=runtime.clock, settings=settings.exchange, directory=directory,
                               runtime=runtime, store=ContentStore(storage),
                               verify=_PdfVerifier(settings), timezone=settings.timezone,
                               signing_name=settings.signing.agency_name,
                               seal=AgencySeal(settings.signing, settings.timezone),
                               kick=dispatcher.exchange if isinstance(dispatcher, RQDispatcher) else None)
    runtime.hooks.append(exchange)
    return {"directory": directory, "exchange": exchange}


class _PdfVerifier:
    """Each signature of a PDF as stored with a file, checked against the configured trust roots (pyHanko is
    imported on first use)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._verifier: Any = None

    def __call__(self, pdf: bytes) -> list[dict[str, Any]]:
        if self._verifier is None:
            from engine.signing.verify import Verifier as PdfVerifier

            self._verifier = PdfVerifier.from_settings(self.settings.signing, self.settings.timezone)
        return [r.to_dict() for r in self._verifier.verify_pdf(pdf)]


def _accounts(settings: Settings, db: Database, clock: Clock) -> AccountService:
    """Accounts with the sign-in throttle and the session lifetimes of ``settings``."""
    window = timedelta(minutes=settings.login_window_minutes)
    return AccountService(db=db, clock=clock,
                          throttle=SignInThrottle(db=db, clock=clock, max_failures=settings.login_max_failures,
                                                  max_address_failures=settings.login_address_max_failures,
                                                  window=window),
                          sessions=SessionService(db=db, clock=clock,
                                                  idle=timedelta(minutes=settings.session_idle_minutes),
                                                  lifetime=timedelta(hours=settings.session_max_hours)))


def _documents(settings: Settings, runtime: Runtime, access: CaseAccess, access_log: AccessLog) -> DocumentService:
    """The documents' reads, and their ``procflow:document`` actions hooked into the runtime's steps."""
    store = ContentStore(storage_for(settings.file_storage, home=settings.home, db=runtime.db))
    runtime.hooks.append(DocumentActions(store=store, signer=lambda: document_signer(settings), clock=runtime.clock,
                                         evaluate=runtime.script_engine.environment.evaluate,
                                         timezone=settings.timezone))
    return DocumentService(db=runtime.db, clock=runtime.clock, access=access, store=store,
                           admin_group=settings.admin_group, access_log=access_log)


def document_signer(settings: Settings) -> Any:
    """The agency's signing configuration with the people's keys (engine/documents/signing.py), built when first
    needed: pyHanko is slow to import."""
    from engine.documents.keys import load_person_keys
    from engine.documents.signing import DocumentSigner

    return DocumentSigner(settings.signing, load_person_keys(settings.signing.person_keys), settings.timezone)


def _inbox_services(settings: Settings, runtime: Runtime, queries: Queries, catalogue: ProcessCatalogue,
                    calendar: Any) -> dict[str, Any]:
    """The staff inbox's services, sharing the runtime's database handle and clock."""
    db, clock = runtime.db, runtime.clock
    access = CaseAccess(db=db, leader_group=settings.leader_group, admin_group=settings.admin_group)
    access_log = AccessLog(db=db, clock=clock)
    attachments = AttachmentService(db=db, clock=clock, access=access,
                                    storage=storage_for(settings.file_storage, home=settings.home, db=db),
                                    max_bytes=settings.attachment_max_bytes, access_log=access_log)
    drafts = DraftService(db=db, clock=clock)
    return {
        "access": access,
        "work": WorkService(runtime=runtime, access=access),
        "inbox": InboxQueries(db=db, clock=clock, calendar=calendar),
        "saved_filters": SavedFilterService(db=db, clock=clock),
        "drafts": drafts,
        "desk": TaskDesk(queries=queries, catalogue=catalogue, attachments=attachments, drafts=drafts,
                         runtime=runtime, access=access),
        "comments": CommentService(db=db, clock=clock, access=access),
        "attachments": attachments,
        "starter": CaseStarter(runtime=runtime, catalogue=catalogue, attachments=attachments),
        "notifications": NotificationService(db=db, clock=clock),
        "cases": CaseService(db=db, queries=queries, access=access, catalogue=catalogue,
                             access_log=access_log),
        "search": CaseSearch(db=db, access=access, timezone=settings.timezone),
        "documents": _documents(settings, runtime, access, access_log),
    }


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (creates it from nothing)."""
    from alembic.config import Config

    from alembic import command

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "alembic"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)


def make_worker(settings: Settings, *, name: str | None = None, redis: Any = None) -> ProcflowWorker:
    """Build a worker, its services and (unless given) its Redis connection for ``settings``."""
    redis = redis if redis is not None else connect_redis(settings)
    services = build_services(settings, redis=redis)
    jobs.install(services)
    dispatcher = services.runtime.dispatcher
    assert isinstance(dispatcher, RQDispatcher)
    return ProcflowWorker([settings.queue], connection=redis, name=name, services=services, dispatcher=dispatcher,
                          stop_timeout=settings.worker_stop_timeout,
                          anchor_every=timedelta(seconds=settings.audit_anchor_seconds),
                          archive_every=timedelta(seconds=settings.archive_every_seconds))


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None, redis: Any = None) -> bool:
    """Work until stopped; with ``burst``, process everything due now and return."""
    worker = make_worker(settings, name=name, redis=redis)
    try:
        if burst:
            worker.reconcile()
        return bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))
    finally:
        worker.services.close()
