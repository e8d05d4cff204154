"""Topic names: built from a prefix and a device id that can never inject a level or a wildcard."""

import pytest

from edge.publish import TopicError, Topics


def test_topics_of_a_box():
    t = Topics("studio-3")
    assert (t.status, t.health, t.live, t.session, t.recommendation) == tuple(
        f"perfscore/studio-3/{s}" for s in ("status", "health", "live", "session", "recommendation"))
    assert t.commands == "perfscore/studio-3/cmd/#"
    assert t.command("session/start") == "perfscore/studio-3/cmd/session/start"
    assert t.command_result("session/start") == "perfscore/studio-3/cmd/session/start/result"
    assert Topics("b1", prefix="school.a").status == "school.a/b1/status"


def test_verbs_are_read_back_from_command_topics_only():
    t = Topics("b1")
    assert t.verb_of("perfscore/b1/cmd/session/start") == "session/start"
    assert t.verb_of("perfscore/b1/cmd/ping") == "ping"
    for not_a_command in ("perfscore/b1/cmd/ping/result", "perfscore/b1/cmd/result", "perfscore/b2/cmd/ping",
                          "perfscore/b1/cmd/", "perfscore/b1/status"):
        assert t.verb_of(not_a_command) is None


@pytest.mark.parametrize("device", ["a/b", "a+", "#", "", "x" * 65, "a b", None, 7])
def test_bad_device_ids_are_refused(device):
    with pytest.raises(TopicError, match="device id"):
        Topics(device)


def test_bad_prefix_and_verb():
    with pytest.raises(TopicError, match="topic prefix"):
        Topics("b1", prefix="perf/score")
    with pytest.raises(TopicError, match="command verb"):
        Topics("b1").command("Session Start")
