"""Fault scenarios (tests/faults/harness.py): the rows each test measured are printed as a table at the end."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.publish.broker import MOSQUITTO

from .harness import table

if not Path(MOSQUITTO).exists():
    pytest.skip(f"{MOSQUITTO} not installed (apt-get install mosquitto)", allow_module_level=True)

ROWS: list = []


@pytest.fixture
def row_table():
    """A test appends the Row it measured; the terminal summary prints them all."""
    return ROWS


@pytest.fixture(scope="session")
def fault_media(tmp_path_factory):
    from .harness import music_file, quiet_file

    folder = tmp_path_factory.mktemp("fault-media")
    return {"music": music_file(folder, 120), "short": music_file(folder, 20), "quiet": quiet_file(folder, 60)}


def pytest_terminal_summary(terminalreporter):
    if ROWS:
        terminalreporter.write_sep("-", "faults survived (short outages; bench/faults.py runs the full ones)")
        terminalreporter.write_line(table(ROWS))
