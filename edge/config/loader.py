"""Load YAML config files, validate them, and report errors as FILE:LINE: KEY: problem.

Several files may be layered (a device profile from firmware_configs/, then local overrides);
later files override earlier ones key by key. Each file is validated on its own first, so an
error names the file and line where the bad key actually is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from .settings import Settings


def _line_index(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    """Map each key path in a composed YAML tree to its 1-based line number."""
    lines: dict[tuple, int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = path + (key_node.value,)
            lines.update(_line_index(value_node, key_path))
            lines[key_path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_line_index(item, path + (i,)))
    return lines


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the top level must be a mapping of sections, got {type(data).__name__}")
    return data, _line_index(node)


def _describe(path: Path, lines: dict[tuple, int], exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = tuple(part for part in err["loc"] if not (isinstance(part, str) and "[" in part))
        # Union members add their type name to loc; strip them so the key path reads like the YAML.
        key = ".".join(str(p) for p in loc) or "(top level)"
        line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)
        where = f"{path}:{line}" if line else str(path)
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        problems.append(f"{where}: {key}: {msg}")
    # One line per problem, deduplicated (a union reports each member's complaint).
    return "\n".join(dict.fromkeys(problems))


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(paths: Iterable[str | Path] = ()) -> Settings:
    """Validate and layer the given YAML files over the documented defaults."""
    merged: dict[str, Any] = {}
    for raw in paths:
        path = Path(raw)
        data, lines = _read_yaml(path)
        try:
            # Relative paths in a file are resolved against that file's folder here, once.
            layer = Settings.model_validate(data, context={"base_dir": path.resolve().parent})
        except ValidationError as exc:
            raise ConfigError(_describe(path, lines, exc)) from None
        merged = _merge(merged, layer.model_dump(exclude_unset=True))
    return Settings.model_validate(merged)
