"""The camera (an MJPEG stream on loopback, its server killed and restarted) and the microphone gone and
back: retried with back-off, reported in `health`, capture resumes ≤ 5 s after the device returns, and
the take running across the gap is delivered. Short gaps here; bench/faults.py runs 10 s."""

from .harness import TARGET_RECOVER_S, camera_gone, microphone_gone


def test_camera_gone_and_back(tmp_path, row_table):
    row = camera_gone(tmp_path, gone_s=4.0)   # past the 2 s read timeout: seen as gone
    row_table.append(row)
    d = row.detail
    assert d["reported_in_health_after_s"] is not None            # health said `reconnecting`
    assert d["frames_grew_after_return"]
    assert d["devices"][0]["state"] == "ok" and d["devices"][0]["reconnects"] == 1
    assert d["take_ok"] and d["exit_code"] == 0
    assert row.lost == 0 and row.duplicates == 0 and d["counts"]["session"]["published"] == 1
    assert row.recover_s <= TARGET_RECOVER_S, row


def test_microphone_gone_and_back(tmp_path, row_table):
    row = microphone_gone(tmp_path, gone_s=3.0)
    row_table.append(row)
    d = row.detail
    assert d["reported_in_health_after_s"] is not None
    assert d["devices"][0]["state"] == "ok" and d["devices"][0]["reconnects"] == 1
    assert d["reopen_attempts"] >= 2                                # failed while gone, then back
    assert d["delivered"]
    assert row.lost == 0 and row.duplicates == 0 and d["counts"]["session"]["published"] == 1
    assert row.recover_s is not None and row.recover_s <= TARGET_RECOVER_S, row
