"""The broker away: down mid-take, restarted twice in a row. Nothing lost, nothing twice after dedupe by id,
results flowing again ≤ 5 s after it is back (the full 60 s outage: tests/app/test_outage.py and
bench/faults.py; the figure does not depend on the outage's length, only on the reconnect back-off)."""

from .harness import TARGET_RECOVER_S, broker_down, broker_restarted_twice


def test_broker_down_mid_take(tmp_path, fault_media, row_table):
    row = broker_down(tmp_path, fault_media["music"], outage_s=8)
    row_table.append(row)
    assert row.detail["exit_code"] == 0
    assert row.detail["sessions_committed_during_outage"] >= 1, row.detail    # the box kept scoring meanwhile
    assert row.lost == 0 and row.duplicates == 0, row.detail["counts"]
    assert row.recover_s is not None and row.recover_s <= TARGET_RECOVER_S, row


def test_broker_restarted_twice_in_a_row(tmp_path, fault_media, row_table):
    row = broker_restarted_twice(tmp_path, fault_media["music"], outage_s=1.0, gap_s=1.0)
    row_table.append(row)
    assert row.detail["exit_code"] == 0
    assert row.lost == 0 and row.duplicates == 0, row.detail["counts"]
    assert row.recover_s is not None and row.recover_s <= TARGET_RECOVER_S, row
