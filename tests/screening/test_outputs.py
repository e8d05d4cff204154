"""results.csv and results.jsonl: the contract a venue's scripts read."""

from __future__ import annotations

import json

from edge.screening.outputs import CSV_HEADER


def test_csv_header_is_the_contract(dance_run):
    # The first eleven columns keep their places; later ones are appended (docs/screening.md).
    assert dance_run.csv_text.splitlines()[0] == \
        "rank,entry,overall,grade,rhythm,sync,technique,expression,interpretation,status,error," \
        "category,discipline,category_rank"
    assert ",".join(CSV_HEADER) == dance_run.csv_text.splitlines()[0]


def test_discipline_and_category_of_a_real_run(dance_run, music_run):
    # --discipline dance: every row says so, also the files that failed before being judged.
    assert {row["discipline"] for row in dance_run.rows().values()} == {"dance"}
    # A flat folder has no categories: the category rank is the overall rank among scored entries.
    for row in dance_run.rows().values():
        assert row["category"] == "" and row["category_rank"] == row["rank"]
    # The manifest's categories: woodwind takes are ranked among themselves, in overall order.
    woodwind = [row for row in music_run.rows().values() if row["category"] == "woodwind" and row["rank"]]
    assert [int(row["category_rank"]) for row in woodwind] == list(range(1, len(woodwind) + 1))
    assert [int(row["rank"]) for row in woodwind] == sorted(int(row["rank"]) for row in woodwind)


def test_numbers_have_two_decimals_and_grades_are_bands(dance_run):
    for row in dance_run.rows().values():
        if row["status"] == "ok":
            for col in ("overall", "rhythm", "sync", "technique", "expression"):
                whole, _, frac = row[col].partition(".")
                assert whole.isdigit() and len(frac) == 2, (col, row[col])
            assert row["grade"] in "ABCDE"


def test_jsonl_has_everything_for_every_entry(dance_run):
    docs = [json.loads(line) for line in (dance_run.out / "results.jsonl").read_text().splitlines()]
    assert [d["entry"] for d in docs] == list(dance_run.rows())
    for doc in docs:
        if doc["status"] == "ok":
            rubric = doc["rubric"]
            assert rubric["timeline"], "per-window results"
            assert all(s["explanation"] for s in rubric["subscores"].values())
            assert "measurements" in rubric["subscores"]["rhythm"]
            assert doc["analysis"]["audio"]["beats_s"] and doc["analysis"]["rhythm"]["motion_beats_s"]
            assert doc["scorer"]["perfscore"] and doc["scorer"]["rubric"] and len(doc["scorer"]["code_sha256"]) == 64
            assert len(doc["sha256"]) == len(doc["key"]) == 64
        else:
            assert doc["error"] and doc["error_kind"] in {"empty", "unreadable", "incomplete", "not_scorable"}
    kinds = {d["entry"]: d["error_kind"] for d in docs}
    assert (kinds["empty.mp4"], kinds["cut_short.mkv"], kinds["no_person.mp4"], kinds["text_named.mp4"]) == \
           ("empty", "incomplete", "not_scorable", "unreadable")
    cut = next(d for d in docs if d["entry"] == "cut_short.mkv")
    assert cut["rubric"] is not None, "a cut-short recording keeps its partial scores for inspection"
