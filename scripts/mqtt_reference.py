"""Write the example payloads of docs/mqtt.md from the code that builds them (edge/publish/examples.py).

Run: .venv/bin/python scripts/mqtt_reference.py   (tests/publish/test_contract.py checks the doc is current
and validates every example against its schema in edge/schemas/)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.publish.examples import SCHEMA_OF, examples  # noqa: E402

DOC = ROOT / "docs" / "mqtt.md"
BEGIN, END = "<!-- examples:begin (scripts/mqtt_reference.py) -->", "<!-- examples:end -->"


def render() -> str:
    lines = [BEGIN, ""]
    for suffix, payload in examples().items():
        lines += [f"### `perfscore/{{device}}/{suffix}`", "",
                  f"Schema: [`edge/schemas/{SCHEMA_OF[suffix]}.schema.json`](../edge/schemas/{SCHEMA_OF[suffix]}.schema.json)",
                  "", "```json", json.dumps(payload, indent=2, ensure_ascii=False), "```", ""]
    lines.append(END)
    return "\n".join(lines)


def current_doc(block: str, doc: str | None = None) -> str:
    """The document with its examples block replaced by `block`."""
    doc = DOC.read_text() if doc is None else doc
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + block + tail


if __name__ == "__main__":
    DOC.write_text(current_doc(render()))
    print(f"wrote {DOC.relative_to(ROOT)}")
