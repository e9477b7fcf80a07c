"""Fingerprints (runs/fingerprint.py): the check a speed change must pass, moved no bit."""

import json

from runs import fingerprint as fp


def test_a_run_has_one_fingerprint_and_a_changed_rule_changes_it():
    a = fp.fingerprint("baseline", 400, 6)
    assert a == fp.fingerprint("baseline", 400, 6)
    assert set(a) >= {"population", "services", "ledger", "network", "collected", "children", "demography"}
    other = fp.fingerprint("coordinated", 400, 6)
    assert other["services"] != a["services"] and other["ledger"] != a["ledger"]


def test_check_exits_1_and_names_the_part_that_moved(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fp, "cases", lambda quick=False: [("baseline", 300, 3)])
    stored = tmp_path / "before.json"
    assert fp.main(["--write", str(stored)]) == 0
    assert fp.main(["--check", str(stored)]) == 0
    prints = json.loads(stored.read_text())
    prints["baseline:300:3"]["ledger"] = "0" * 16
    stored.write_text(json.dumps(prints))
    assert fp.main(["--check", str(stored)]) == 1
    assert "DIFFERENT baseline:300:3: ledger" in capsys.readouterr().out
