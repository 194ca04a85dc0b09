"""Cases in flight for the demo: a newcomer's first `procflow run` shows a living agency, not an empty inbox.

The shipped procedures' scenario files (processes/*.scenarios.yaml) already tell, step by step, how real cases
move: who registers, directs, assigns, returns and approves, with what data. The demo plays the first steps of a
dozen of them on the real database and the real services (document actions included), each on a virtual clock
started some days before now, then leaves them where they stopped. Tasks opened days ago are overdue today,
tasks opened this morning are due soon, and a case whose scenario sends the work back stops just after its
return. The worker then treats them like any other case: reminders and escalations that fell due fire on its
first reconciliation.

Files named in the scenarios (made-up values there) become real files: a generated PDF is uploaded with the
start form (engine/cases/starting.py) or attached to the case before the step, so every link on the case and
document pages opens something.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from engine.cases.attachments import Upload
from engine.clock import VirtualClock
from engine.designer.scenarios.format import Scenario, ScenarioFile, Step, load_scenario_file
from engine.designer.scenarios.play import ScenarioPlay
from engine.errors import ProcflowError
from engine.services import Services, build_services
from engine.settings import Settings

log = logging.getLogger(__name__)

# How long ago each demo case started (calendar days before now) and how far through its scenario it goes
# (a share of its actions). Old cases stopped early are overdue; young ones are due soon or on time.
PLAN: tuple[tuple[float, float], ...] = (
    (9.0, 0.25), (6.0, 0.5), (0.3, 0.15), (4.0, 0.75), (2.0, 0.4), (12.0, 0.35),
    (1.0, 0.6), (0.1, 0.0), (3.0, 0.3), (8.0, 0.55), (0.5, 0.2), (5.0, 0.45),
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RETURN_WORDS = ("tra_lai", "tra lai", "trả lại")


@dataclass(frozen=True)
class SeededCase:
    """One demo case left in flight: where it stopped."""

    instance_id: int
    process_id: str
    scenario: str
    steps_played: int
    open_tasks: tuple[str, ...]


def seed_cases_in_flight(settings: Settings, processes_dir: Path, *, now: datetime,
                         count: int = len(PLAN), build: Callable[..., Services] = build_services) -> list[SeededCase]:
    """Start ``count`` cases across the procedures with scenario files in ``processes_dir`` and play each some way.

    A scenario that the procedure refuses somewhere (a step expecting a refusal, a file type, a duplicate) simply
    stops there: the case stays at the step it reached. Returns the cases seeded, in the order started.
    """
    settings = replace(settings, smtp_host="")  # no e-mail leaves a demo case
    files = [load_scenario_file(p) for p in sorted(processes_dir.glob("*.scenarios.yaml"))]
    picks = list(_round_robin(files))
    seeded: list[SeededCase] = []
    zone = ZoneInfo(settings.timezone)
    for number, ((scenario_file, scenario), (age_days, share)) in enumerate(zip(picks, PLAN[:count], strict=False)):
        services = build(settings, clock=VirtualClock(now - timedelta(days=age_days)))
        try:
            case = _play(services, scenario_file, scenario, share, now, zone, number)
        finally:
            services.close()
        if case is not None:
            seeded.append(case)
    return seeded


def _round_robin(files: Sequence[ScenarioFile]) -> Iterator[tuple[ScenarioFile, Scenario]]:
    """Scenarios taken a procedure at a time (one returned case first where a scenario has a return)."""
    queues = [[s for s in f.scenarios if s.start.get("expect_error") is None] for f in files]
    for queue in queues:  # a case sent back once goes first, so it is always among the demo's
        queue.sort(key=lambda s: not _has_return(s))
    while any(queues):
        for scenario_file, queue in zip(files, queues, strict=True):
            if queue:
                yield scenario_file, queue.pop(0)


def _has_return(scenario: Scenario) -> bool:
    return any(s.action == "complete" and _mentions_return(s.args.get("data")) for s in scenario.steps)


def _mentions_return(data: Any) -> bool:
    return isinstance(data, dict) and any(isinstance(v, str) and v.lower() in RETURN_WORDS for v in data.values())


def _play(services: Services, scenario_file: ScenarioFile, scenario: Scenario, share: float, now: datetime,
          zone: ZoneInfo, number: int) -> SeededCase | None:
    play = ScenarioPlay(services, scenario_file.process, zone)
    days = (services.clock.now().astimezone(zone).date() - scenario_file.start_at.astimezone(zone).date()).days
    try:
        play.instance_id = _start(services, scenario_file.process, _shifted(scenario.start, days), number)
    except ProcflowError:
        return None  # refused (a duplicate key the scenario file shares, say): the next scenario is played
    actions = [s for s in scenario.steps if s.action != "expect" and s.expect_error is None]
    returned = next((i + 1 for i, s in enumerate(actions) if s.action == "complete" and _mentions_return(
        s.args.get("data"))), None)
    stop = returned if returned is not None and number == 0 else int(len(actions) * share)
    played = 0
    for step in actions[:stop]:
        try:
            if step.action == "advance" and ("to" in step.args or play._target(step.args) >= now):
                break  # the demo's cases live in the past and the present (a scenario's dates are its own)
            _act(services, play, replace(step, args=_shifted(step.args, days)))
        except ProcflowError as exc:
            log.info("demo case #%s stops before %s: %s", play.instance_id, step.label, exc)
            break
        played += 1
    tasks = tuple(t.element_id for t in services.queries.tasks(instance_id=play.instance_id))
    return SeededCase(int(play.instance_id), scenario_file.process, scenario.name, played, tasks)


def _shifted(value: Any, days: int) -> Any:
    """``value`` with every ISO date (``2026-05-08``) moved by ``days``: the scenario's dates, relative to its
    start, become the demo case's."""
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return (date.fromisoformat(value) + timedelta(days=days)).isoformat()
        except ValueError:
            return value
    if isinstance(value, list):
        return [_shifted(v, days) for v in value]
    if isinstance(value, dict):
        return {k: _shifted(v, days) for k, v in value.items()}
    return value


def _start(services: Services, process_id: str, start: dict[str, Any], number: int) -> int:
    data = dict(start["data"])
    if isinstance(data.get("so_ky_hieu"), str):  # scenario files share document numbers; the demo's must differ
        data["so_ky_hieu"] = re.sub(r"^\d+", str(100 + number), data["so_ky_hieu"])
    files = {name: [Upload(_as_pdf(v["name"]), io.BytesIO(_pdf(data, v["name"]))) for v in _file_values(value)]
             for name, value in data.items() if _file_values(value)}
    for name in files:
        data.pop(name)
    return services.starter.start(process_id, user=start["user"], data=data, files=files,
                                  business_key=start.get("key"))


def _act(services: Services, play: ScenarioPlay, step: Step) -> None:
    if step.action == "complete":
        args = dict(step.args)
        args["data"] = _real_files(services, play, args["as_"], dict(args["data"]))
        play.complete(args)
    elif step.action == "advance":
        play.advance(step.args)
    elif step.action == "deliver":
        play.deliver(step.args)


def _real_files(services: Services, play: ScenarioPlay, user: str, data: dict[str, Any]) -> dict[str, Any]:
    """The step's data with each made-up file value replaced by a generated PDF attached to the case."""
    for name, value in data.items():
        values = _file_values(value)
        if not values:
            continue
        real = [services.attachments.add(int(play.instance_id or 0), user, _as_pdf(v["name"]),
                                         io.BytesIO(_pdf(data, v["name"]))).file_value() for v in values]
        data[name] = real if isinstance(value, list) else real[0]
    return data


def _file_values(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, dict) and "sha256" in v and "name" in v]


def _as_pdf(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem}.pdf"


def _pdf(data: dict[str, Any], name: str) -> bytes:
    from engine.signing.sample import sample_document

    title = str(data.get("trich_yeu") or data.get("ten_nhiem_vu") or data.get("ho_ten") or name)
    agency = str(data.get("co_quan_ban_hanh") or "TỈNH ỦY HÀ GIANG").upper()
    return sample_document(title=title[:80].upper(), agency=agency[:60], signer="Nguyễn Văn An").pdf
