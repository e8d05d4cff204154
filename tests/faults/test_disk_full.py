"""The state directory's disk full (a real tmpfs, mounted in an unprivileged user namespace): the box says so,
refuses new takes, and loses nothing already scored."""

import pytest

from .harness import TARGET_RECOVER_S, can_mount_tmpfs, disk_full


def test_disk_full(tmp_path, fault_media, row_table):
    why = can_mount_tmpfs()
    if why:
        pytest.skip(why)
    row = disk_full(tmp_path, fault_media["music"], full_s=2.0)
    row_table.append(row)
    d = row.detail
    assert d["stop_ok"] and d["nothing_published_while_full"]
    assert d["health_while_full"]["accepting_takes"] is False
    assert d["health_while_full"]["disk_free_bytes"] < 2 * 2**20
    assert d["new_take_while_full"]["ok"] is False and "disk" in d["new_take_while_full"]["error"]
    assert d["held_take_recommended"]                                # its recommendation came after it
    assert d["new_take_after"] and d["exit_code"] == 0
    assert row.lost == 0 and row.duplicates == 0, d["counts"]
    assert d["counts"]["session"]["published"] == 2                 # the held take and the one after it
    assert row.recover_s is not None and row.recover_s <= TARGET_RECOVER_S, row
