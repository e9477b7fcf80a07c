"""Bad parameters are rejected with a message that names the field and what is allowed."""

import pytest

from model import ParameterError, Parameters, WelfareModel


def write(tmp_path, text: str):
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


def test_every_baseline_parameter_has_unit_range_and_source():
    base = Parameters.baseline()
    assert len(base) > 100
    for path in base:
        leaf = base.leaf(path)
        assert leaf.source.strip(), path
        assert leaf.unit, path


def test_scenario_is_a_diff_from_the_baseline(tmp_path):
    path = write(tmp_path, """
[scenario]
name = "cheap evictions"
description = "test"
[pathways.housing.own_home_to_precarious]
rate = 0.01
""")
    p = Parameters.load(path)
    assert p.name == "cheap evictions"
    assert p.changes == {"pathways.housing.own_home_to_precarious.rate": 0.01}
    assert p["pathways.housing.own_home_to_precarious.rate"] == 0.01
    assert p["population.size"] == Parameters.baseline()["population.size"]


@pytest.mark.parametrize(
    "body, expected",
    [
        ("[population]\nsizee = 5", r"population\.sizee: unknown key; did you mean population\.size"),
        ("[network]\nrewire = 1.5", r"network\.rewire = 1\.5: out of range; allowed float in \[0, 1\]"),
        ("[population]\nsize = -5", r"population\.size = -5: out of range"),
        ("[population]\nsize = \"many\"", r"population\.size = 'many': wrong type"),
        ("[population]\nsize = 10.5", r"population\.size = 10\.5: wrong type, expected a whole number"),
        ("[network]\nenabled = 1", r"network\.enabled = 1: wrong type, expected true or false"),
        ("[pathways.housing.own_home_to_precarious.hr]\nsubstance_problematic = -1.0", r"out of range; allowed float in \[0, 1000\] \(hazard ratio\)"),
        ("[population.initial.housing]\nstreet = 0.5", r"population\.initial\.housing: shares sum to 1\.488000; they must sum to 1"),
        ("[scenario]\nnmae = 'x'", r"scenario\.nmae: unknown key"),
        ("not toml [", r"not valid TOML"),
    ],
)
def test_bad_scenario_files_are_rejected_naming_the_field(tmp_path, body, expected):
    path = write(tmp_path, body)
    with pytest.raises(ParameterError, match=expected) as info:
        Parameters.load(path)
    assert str(path) in str(info.value)


def test_bad_model_arguments_are_rejected_too():
    with pytest.raises(ParameterError, match=r"model arguments: population\.size = 0: out of range"):
        WelfareModel(**{"population.size": 0})
    with pytest.raises(ParameterError, match="unknown key"):
        WelfareModel(**{"population.sise": 10})


def test_unknown_scenario_name_lists_the_shipped_ones():
    with pytest.raises(ParameterError, match="unknown scenario 'nope'; shipped scenarios: baseline"):
        Parameters.load("nope")


def test_scenarios_can_build_on_each_other(tmp_path):
    (tmp_path / "a.toml").write_text("[network]\nrewire = 0.2\n")
    (tmp_path / "b.toml").write_text("[scenario]\nbase = \"a.toml\"\n[network]\nmean_degree = 4\n")
    p = Parameters.load(tmp_path / "b.toml")
    assert p["network.rewire"] == 0.2 and p["network.mean_degree"] == 4
    (tmp_path / "c.toml").write_text("[scenario]\nbase = \"c.toml\"\n")
    with pytest.raises(ParameterError, match="inherits from itself"):
        Parameters.load(tmp_path / "c.toml")


def test_every_money_parameter_has_an_upper_bound():
    """A price of 1e308 was accepted and gave inf in the results."""
    base = Parameters.baseline()
    money = [p for p in base if "DKK" in base.leaf(p).unit]
    assert len(money) > 20
    for path in money:
        assert base.leaf(path).max is not None and base.leaf(path).max <= 1e11, path


@pytest.mark.parametrize("path, allowed", [
    ("services.shelter.price", "[0, 1e+09] (DKK per citizen-month)"),
    ("prices.police_incident", "[0, 1e+11] (DKK per incident)"),
    ("contract.payment.cap", "[0, 1e+11] (DKK over the contract)"),
    ("contract.finance.investor_capital", "[0, 1e+11]"),
    ("contract.finance.provider_cost", "[0, 1e+09]"),
])
def test_an_absurd_amount_of_money_is_rejected_naming_the_field_and_range(path, allowed):
    with pytest.raises(ParameterError) as err:
        Parameters.baseline().with_overrides({path: 1e308})
    assert f"{path} = 1e+308: out of range; allowed float in {allowed}" in str(err.value)
