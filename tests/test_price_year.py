"""Every price records its year; the model uses every price in one base year (net price index)."""

import pytest

from model import ParameterError, Parameters, WelfareModel
from model.params import MONEY_KINDS

INDEX = {2015: 100.0, 2016: 100.48, 2017: 101.73, 2018: 102.61, 2019: 103.50, 2020: 103.87, 2021: 105.40,
         2022: 113.53, 2023: 118.04, 2024: 118.7}


def test_the_net_price_index_and_the_base_year():
    base = Parameters.baseline()
    assert base.price_index() == INDEX
    assert base.price_year() == 2023
    assert "January-June 2024" in base.leaf("prices.index.2024").source


def test_every_money_parameter_records_an_indexed_price_year():
    base = Parameters.baseline()
    money = [p for p in base if base.leaf(p).kind in MONEY_KINDS]
    assert len(money) > 20
    for path in money:
        leaf = base.leaf(path)
        assert leaf.price_year in INDEX, path
        assert leaf.price_label.endswith(f"{leaf.price_year} prices")


@pytest.mark.parametrize("path, nominal, year", [
    ("services.prison.price", 1469 * 30.4, 2015),
    ("prices.kontanthjaelp", 12326.0, 2024),
    ("services.housing_first.price", 8954.0, 2017),
    ("services.cti.price", 5444.0, 2017),
    ("services.shelter.price", 45800.0, 2023),
])
def test_the_model_reads_every_price_in_base_year_prices(path, nominal, year):
    base = Parameters.baseline()
    assert base.leaf(path).value == pytest.approx(nominal) and base.leaf(path).price_year == year
    assert base[path] == pytest.approx(nominal * INDEX[2023] / INDEX[year])
    in_2015 = base.with_overrides({"prices.base_year": 2015})
    assert in_2015[path] == pytest.approx(nominal * 100.0 / INDEX[year])


def test_subtrees_and_services_read_converted_prices_too():
    base = Parameters.baseline()
    assert base.subtree("contract.finance")["provider_cost"] == pytest.approx(base["services.housing_first.price"])
    m = WelfareModel("baseline", rng=1, **{"population.size": 200})
    k = m.services.index["prison"]
    assert m.services.price[k] == pytest.approx(base["services.prison.price"])
    assert m.ledger.price_year == 2023


def test_a_set_value_is_in_the_leafs_price_year_unless_another_is_given():
    base = Parameters.baseline()
    path = "services.housing_first.price"  # 2017 prices
    bare = base.with_overrides({path: 10000.0})
    assert bare.leaf(path).value == 10000.0 and bare[path] == pytest.approx(10000.0 * INDEX[2023] / INDEX[2017])
    dated = base.with_overrides({path: {"value": 10000.0, "price_year": 2023, "source": "a 2023 quote"}})
    assert dated[path] == pytest.approx(10000.0)
    assert dated.leaf(path).value == pytest.approx(10000.0 * INDEX[2017] / INDEX[2023])
    assert "10,000 DKK in 2023 prices" in dated.leaf(path).source and dated.leaf(path).price_year == 2017
    (row,) = dated.differences()
    assert row["unit"].endswith("2017 prices")


def test_bad_price_years_are_rejected_naming_the_field():
    base = Parameters.baseline()
    with pytest.raises(ParameterError, match=r"prices.base_year = 2030: out of range"):
        base.with_overrides({"prices.base_year": 2030})
    with pytest.raises(ParameterError, match=r"services.cti.price: price_year = 1990: no net price index"):
        base.with_overrides({"services.cti.price": {"value": 100.0, "price_year": 1990}})
    with pytest.raises(ParameterError, match=r"population.scale: has no price year"):
        base.with_overrides({"population.scale": {"value": 2.0, "price_year": 2020}})
    with pytest.raises(ParameterError, match=r"price_year goes with a value"):
        base.with_overrides({"services.cti.price": {"scale": 2.0, "price_year": 2020}})


def test_a_price_year_is_only_for_money_and_must_be_indexed(tmp_path):
    from model.params import _make_leaf

    with pytest.raises(ParameterError, match=r"x.rate: price_year is only for money"):
        _make_leaf("x.rate", {"value": 0.1, "source": "s", "price_year": 2020}, "test")
    with pytest.raises(ParameterError, match=r"x.price: price_year = '2020': expected a year"):
        _make_leaf("x.price", {"value": 1.0, "kind": "dkk", "source": "s", "price_year": "2020"}, "test")
    leaves = dict(Parameters.baseline()._leaves)
    leaves["x.price"] = _make_leaf("x.price", {"value": 1.0, "kind": "dkk", "source": "s", "price_year": 2010}, "test")
    with pytest.raises(ParameterError, match=r"x.price: price_year = 2010: no net price index; indexed years 2015-2024"):
        Parameters(leaves)


def test_docs_money_lists_every_price_with_its_year():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "money.md").read_text()
    assert "shared/" not in text
    base = Parameters.baseline()
    for path in (p for p in base if base.leaf(p).kind in MONEY_KINDS):
        shown = re.sub(r"^contract\.outcomes\.\w+\.", "contract.outcomes.*.", path)
        row = re.search(rf"\| `{re.escape(shown)}` \| [^|]+ \| (\d{{4}}) \|", text)
        assert row and int(row.group(1)) == base.leaf(path).price_year, path
