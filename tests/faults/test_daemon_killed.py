"""SIGKILL with results waiting in the outbox: after the restart they are delivered, each take once."""

from .harness import TARGET_RECOVER_S, sigkill_with_outbox


def test_sigkill_with_results_in_the_outbox(tmp_path, fault_media, row_table):
    row = sigkill_with_outbox(tmp_path, fault_media["short"], fault_media["quiet"])
    row_table.append(row)
    assert row.detail["rows_waiting_at_kill"] == 2           # the take's session and recommendation
    assert row.detail["outbox_after"] == 0 and row.detail["exit_code"] == 0
    assert row.lost == 0 and row.duplicates == 0, row.detail["counts"]
    assert row.detail["counts"]["session"]["published"] == 1
    assert row.recover_s is not None and row.recover_s <= TARGET_RECOVER_S, row
