"""A stage that hangs (pose stuck): the systemd watchdog pings stop (the same scenario as
tests/app/test_systemd_notify.py, measured for the table)."""

from .harness import pose_hangs


def test_pose_stuck_stops_the_watchdog(tmp_path, row_table):
    row = pose_hangs(tmp_path)
    row_table.append(row)
    d = row.detail
    assert d["pings_before"] >= 2                   # pinged while every stage moved
    assert d["pings_after"] <= 1                    # at most the round completed before the hang
    assert row.recover_s < 2 * d["interval_s"]      # no ping later than one interval after the hang
    assert set(d["missed"]) <= {"capture", "pose"} and d["missed"]
