"""Users who know Mesa can use the model class with Mesa's own tools."""

import mesa

from model import WelfareModel


def test_batch_run_works_on_the_model_class():
    results = mesa.batch_run(
        WelfareModel,
        {"population.size": [200, 400]},
        rng=[1, 2],
        max_steps=6,
        number_processes=1,
        display_progress=False,
    )
    assert len(results) == 4
    for row in results:
        assert row["Step"] == 6
        assert row["housing.own_home"] + row["housing.precarious"] + row["housing.shelter"] + row["housing.street"] + row["housing.supported"] == row["alive"]
    again = mesa.batch_run(WelfareModel, {"population.size": [200, 400]}, rng=[1, 2], max_steps=6,
                           number_processes=1, display_progress=False)
    assert [r["homeless"] for r in results] == [r["homeless"] for r in again]
