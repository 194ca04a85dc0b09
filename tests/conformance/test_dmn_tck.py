"""The DMN TCK's compliance-level-2 cases through procflow's DMN engine: every one passes (docs/conformance.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conformance.dmn_tck import CaseResult, run_model, same, tck_dir

MODELS = sorted(p for p in tck_dir().iterdir() if p.is_dir()) if tck_dir().is_dir() else []


@pytest.mark.skipif(not MODELS, reason=f"the DMN TCK models are not at {tck_dir()} (set PROCFLOW_DMN_TCK_DIR)")
def test_all_28_models_are_there() -> None:
    assert len(MODELS) == 28


@pytest.mark.parametrize("folder", MODELS, ids=[p.name for p in MODELS])
def test_every_case_of_the_model_passes(folder) -> None:
    results: list[CaseResult] = run_model(folder)
    assert results, "the model has test cases"
    assert [r.failures for r in results if not r.passed] == []


def test_the_comparison_can_fail() -> None:
    assert same(Decimal("2778.69354943277"), Decimal("2778.693549432766768088520383236299"))
    assert not same(Decimal("2778.69"), Decimal("2778.70"))
    assert not same("Approved", "Declined")
    assert not same([Decimal(1), Decimal(2)], [Decimal(2), Decimal(1)])
    assert not same(Decimal(1), True)
