"""The files samplers read: persona records (JSONL, Parquet, CSV) and topic trees (YAML).

A record a sampler cannot use stops the run with the file and the line (the row, for
Parquet) at fault: a persona silently skipped would shift every later draw and the coverage
targets with it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import yaml

_NULL = "tag:yaml.org,2002:null"


class SamplerFileError(ValueError):
    """A sampler's file that cannot be used: the message starts with `file:line:`."""


def _persona_text(value: object, where: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SamplerFileError(f"{where}: `{field}` must be a non-empty string, got {value!r}")
    return value.strip()


def read_personas(path: Path, field: str) -> list[str]:
    """The persona text (`field`) of every record in `path`, in file order."""
    if not path.is_file():
        raise SamplerFileError(f"{path}: no such persona file")
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        personas = _jsonl_personas(path, field)
    elif suffix == ".csv":
        personas = _csv_personas(path, field)
    elif suffix == ".parquet":
        personas = _parquet_personas(path, field)
    else:
        raise SamplerFileError(f"{path}: persona files are .jsonl, .csv or .parquet")
    if not personas:
        raise SamplerFileError(f"{path}: no persona records")
    return personas


def _jsonl_personas(path: Path, field: str) -> list[str]:
    personas = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SamplerFileError(f"{where}: not valid JSON: {exc.msg}") from None
            if not isinstance(record, dict):
                raise SamplerFileError(f"{where}: expected a JSON object")
            if field not in record:
                raise SamplerFileError(f"{where}: record has no `{field}` field")
            personas.append(_persona_text(record[field], where, field))
    return personas


def _csv_personas(path: Path, field: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or field not in reader.fieldnames:
            raise SamplerFileError(f"{path}:1: header has no `{field}` column")
        personas = []
        for record in reader:
            # line_num is the line the record ends on, right for quoted multi-line fields too.
            where = f"{path}:{reader.line_num}"
            if None in record:
                raise SamplerFileError(f"{where}: more fields than the header names")
            personas.append(_persona_text(record[field], where, field))
    return personas


def _parquet_personas(path: Path, field: str) -> list[str]:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a file that is not Parquet
        raise SamplerFileError(f"{path}: not a readable Parquet file: {exc}") from None
    if field not in frame.columns:
        raise SamplerFileError(f"{path}: no `{field}` column (has {frame.columns})")
    values = frame[field].to_list()
    return [_persona_text(v, f"{path}: row {n}", field) for n, v in enumerate(values, start=1)]


def read_taxonomy(path: Path) -> list[list[str]]:
    """Every root-to-leaf path of the topic tree in `path`. The tree is nested mappings whose
    leaves are lists of topic names (a mapping key with no value is a leaf too)."""
    if not path.is_file():
        raise SamplerFileError(f"{path}: no such taxonomy file")
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise SamplerFileError(f"{path}:{line}: not valid YAML: {exc.problem}") from None
    if not isinstance(root, yaml.MappingNode) or not root.value:
        raise SamplerFileError(f"{path}:1: a taxonomy is a mapping of topics at the top level")
    paths: list[list[str]] = []
    _walk(path, root, [], paths)
    return paths


def _name(path: Path, node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        line = node.start_mark.line + 1
        raise SamplerFileError(f"{path}:{line}: a topic must be a non-empty name")
    return str(node.value).strip()


def _walk(path: Path, node: yaml.Node, above: list[str], paths: list[list[str]]) -> None:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        names = [_name(path, key) for key, _ in node.value]
        if len(set(names)) != len(names):
            raise SamplerFileError(f"{path}:{line}: topics repeat under {above or 'the root'}")
        for (_, child), name in zip(node.value, names, strict=True):
            if isinstance(child, yaml.ScalarNode) and child.tag == _NULL:
                paths.append([*above, name])
            else:
                _walk(path, child, [*above, name], paths)
    elif isinstance(node, yaml.SequenceNode):
        if not node.value:
            raise SamplerFileError(f"{path}:{line}: empty list of topics under {above}")
        names = [_name(path, child) for child in node.value]
        if len(set(names)) != len(names):
            raise SamplerFileError(f"{path}:{line}: topics repeat under {above}")
        paths.extend([*above, name] for name in names)
    else:
        raise SamplerFileError(
            f"{path}:{line}: expected a mapping or a list of topics under {above}, got "
            f"{node.value!r}"
        )
