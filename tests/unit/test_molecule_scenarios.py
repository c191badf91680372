"""make test runs every Molecule scenario, and the "default" one Molecule reads first runs nothing."""

import os
import shlex

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = os.path.join(ROOT, "extensions", "molecule")
# Molecule loads this scenario before every run for the create/destroy steps scenarios share.
DEFAULT = "default"


def _scenario_dirs():
    return {name for name in os.listdir(SCENARIOS) if os.path.isfile(os.path.join(SCENARIOS, name, "molecule.yml"))}


def _molecule_commands():
    with open(os.path.join(ROOT, "scripts", "test.sh"), encoding="utf-8") as handle:
        return [shlex.split(line) for line in handle if line.startswith("molecule ")]


def _scenarios_run(argv):
    """The scenarios one ``molecule`` command line runs."""
    names, excluded, every = set(), set(), False
    for flag, value in zip(argv, argv[1:] + [""]):
        if flag == "--all":
            every = True
        elif flag in ("-s", "--scenario-name"):
            names.add(value)
        elif flag in ("-e", "--exclude"):
            excluded.add(value)
    return (_scenario_dirs() if every else names) - excluded


def test_the_molecule_step_runs_every_scenario_directory():
    commands = _molecule_commands()
    assert [argv[1] for argv in commands] == ["reset", "test"]
    tests = _scenario_dirs() - {DEFAULT}
    assert {"happy", "blocked", "rollback", "faults", "fleet", "monitor"} <= tests
    for argv in commands:
        assert _scenarios_run(argv) == tests, argv


def test_scenarios_run_reads_names_and_exclusions():
    assert _scenarios_run(["molecule", "test", "-s", "happy", "-s", "fleet"]) == {"happy", "fleet"}
    assert _scenarios_run(["molecule", "test", "--all"]) == _scenario_dirs()
    assert "happy" not in _scenarios_run(["molecule", "test", "--all", "--exclude", "happy"])


def _config(name):
    with open(os.path.join(SCENARIOS, name, "molecule.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# Every sequence a molecule subcommand runs; one left out would run Molecule's own default steps.
_SEQUENCES = {"check", "cleanup", "converge", "create", "dependency", "destroy", "idempotence", "prepare",
              "side_effect", "syntax", "test", "verify"}


def test_the_default_scenario_exists_and_runs_nothing():
    # Without it Molecule logs "CRITICAL 'extensions/molecule/default/molecule.yml' glob failed" on
    # every run; with it, nothing may be shared or run, since each scenario runs its own nginx.
    config = _config(DEFAULT)
    assert config["platforms"] == [] and config["shared_state"] is False
    assert config["scenario"] == {name + "_sequence": [] for name in _SEQUENCES}
    assert not any(_config(name).get("shared_state") for name in _scenario_dirs() - {DEFAULT})
