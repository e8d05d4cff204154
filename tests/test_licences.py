"""The box is distributed as one work with aubio (GPL-3.0-or-later): every runtime dependency must allow
that, and docs/dependencies.md must show the licences the installed packages declare."""

import runpy

from edge import PROJECT_ROOT

SCRIPT = runpy.run_path(str(PROJECT_ROOT / "scripts" / "licence_table.py"))


def test_licence_table_is_current():
    doc = (PROJECT_ROOT / "docs" / "dependencies.md").read_text()
    assert SCRIPT["current_doc"](SCRIPT["render"]()) == doc, \
        "docs/dependencies.md's licence table is stale: run scripts/licence_table.py"


def test_every_runtime_dependency_may_join_a_gpl3_work():
    for name, _ in SCRIPT["runtime_requirements"]():
        licence = SCRIPT["declared_licence"](name)
        assert SCRIPT["gpl3_compatible"](licence), f"{name}: {licence}"


def test_the_compatibility_check_refuses_what_gpl3_cannot_take():
    check = SCRIPT["gpl3_compatible"]
    assert check("EPL-2.0 OR BSD-3-Clause") and check("MPL-2.0 AND MIT")
    assert not check("GPL-2.0-only")
    assert not check("Proprietary")
    assert not check("MIT AND Commercial")
    assert not check("SSPL-1.0 OR Commons Clause")


def test_the_project_declares_the_licence_of_the_combined_work():
    import tomllib
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "GPL-3.0-or-later"
    assert "GNU GENERAL PUBLIC LICENSE" in (PROJECT_ROOT / "LICENSE").read_text()[:200]
