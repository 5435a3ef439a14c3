from __future__ import annotations

import pytest

from cetak.printers.errors import FaultSpecError
from cetak.printers.virtual.faults import FaultKind, FaultPlan
from cetak.printers.virtual.timing import TimeModel


def test_numbered_faults_and_hyphenated_names():
    plan = FaultPlan("jam-after-feed@2, power_loss@4")
    assert [plan.draw(n) for n in range(1, 6)] == [
        None, FaultKind.JAM_AFTER_FEED, None, FaultKind.POWER_LOSS, None]


def test_rates_are_deterministic_per_seed():
    def run(seed: int) -> list[FaultKind | None]:
        plan = FaultPlan("ribbon_out%0.3,cover_open%0.2", seed=seed)
        return [plan.draw(n) for n in range(1, 200)]
    assert run(7) == run(7)
    assert run(7) != run(8)
    assert FaultKind.RIBBON_OUT in run(7) and FaultKind.COVER_OPEN in run(7)


def test_armed_fault_comes_first():
    plan = FaultPlan("jam_after_feed@1")
    plan.arm(FaultKind.COVER_OPEN)
    assert plan.draw(1) is FaultKind.COVER_OPEN
    assert plan.draw(2) is None


@pytest.mark.parametrize("spec", ["jam@1", "jam_after_feed@0", "ribbon_out%2", "cover_open",
                                  "film_out%x"])
def test_bad_specs_name_the_item(spec):
    with pytest.raises(FaultSpecError) as info:
        FaultPlan(spec)
    assert info.value.item == spec


def test_time_model_matches_catalogue_rate():
    model = TimeModel(cards_per_hour=180)
    assert model.card_seconds(panels=5, sides=1) == pytest.approx(20.0)
    assert model.card_seconds(panels=10, sides=2) > model.card_seconds(panels=5, sides=1)
    assert TimeModel(180, time_scale=10).card_seconds(5, 1) == pytest.approx(2.0)
    retransfer = TimeModel(cards_per_hour=120, retransfer=True)
    assert retransfer.card_seconds(5, 1) == pytest.approx(30.0)
    # the second side costs another film transfer as well as its panels
    assert retransfer.card_seconds(10, 2) - retransfer.card_seconds(5, 1) > 30.0 * 0.5
