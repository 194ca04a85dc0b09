"""``procflow migrate`` on the real database: the plan printed, refusals as located lines, a dry run, a run."""

from __future__ import annotations

from engine.services import Services
from tests.cli.test_commands import Cli, cli, org_cli  # noqa: F401 (fixtures)
from tests.conftest import FIXTURES

MIGRATION = FIXTURES / "migration"


def test_migrate_prints_the_plan_refuses_unmapped_renames_and_moves_with_map(org_cli: Cli,  # noqa: F811
                                                                             services: Services) -> None:
    org_cli.ok("deploy", str(MIGRATION / "v1.bpmn"))
    at_review = services.runtime.start("ho_so", data={"path": "review"})
    in_sub = services.runtime.start("ho_so", data={"path": "sub"})
    org_cli.ok("deploy", str(MIGRATION / "v3_renamed.bpmn"))

    refused = org_cli.invoke("migrate", "ho_so", "--from", "1", "--to", "2")
    assert refused.exit_code == 1
    assert "plan: ho_so version 1 -> 2, 2 case(s)" in refused.stdout
    assert "  review -> (none)  UserTask  1 case(s) here" in refused.stdout
    assert "review: 1 case(s) are at review, which has no counterpart in version 2" in refused.stderr
    assert refused.stderr.splitlines()[-1].startswith("error: the plan is refused (2 problem(s))")

    maps = ("--map", "review=examine", "--map", "check=verify")
    dry = org_cli.ok("migrate", "ho_so", "--from", "1", "--to", "2", *maps, "--dry-run")
    assert "  review -> examine  UserTask  (mapped)  1 case(s) here" in dry
    assert f"  case {at_review}: ready  review -> examine" in dry
    assert services.queries.instance(at_review).version == 1

    done = org_cli.ok("migrate", "ho_so", "--from", "1", "--to", "2", *maps, "--cases", f"{at_review},{in_sub}",
                      "--user", "quantri")
    assert "2 migrated, 0 failed" in done
    assert f"  case {in_sub}: migrated  sub -> sub, check -> verify" in done
    assert [t.element_id for t in services.queries.tasks(instance_id=at_review)] == ["examine"]


def test_migrate_mistakes_are_one_line(org_cli: Cli) -> None:  # noqa: F811
    org_cli.ok("deploy", str(MIGRATION / "v1.bpmn"))
    assert "has no version 9" in org_cli.error("migrate", "ho_so", "--from", "1", "--to", "9")
    assert "--map takes OLD=NEW" in org_cli.error("migrate", "ho_so", "--from", "1", "--to", "2", "--map", "x")
    assert "--cases takes case ids" in org_cli.error("migrate", "ho_so", "--from", "1", "--to", "2",
                                                     "--cases", "a,b")
