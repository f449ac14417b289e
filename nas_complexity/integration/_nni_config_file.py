"""NNI experiment configuration files (YAML or JSON), as ``nas-complexity nni-config`` reads and rewrites them.

Reading checks what NNI itself would refuse (an unknown key, no search space or two, an algorithm section in NNI's
v1 format) and names the key. Rewriting replaces the tuner section only: in a YAML file the lines of the
``tuner:`` block (or of a deprecated ``advisor:`` block being replaced) are swapped for the new block and every
other line, comments included, stays byte for byte; the result is parsed back and must equal the old document
with only the tuner changed, else nothing is written. A JSON file is rewritten in its key order and indentation.
NNI is not imported.
"""
from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nas_complexity._errors import SpaceError
from nas_complexity.integration._nni_experiment import (
    NniConfigError,
    algorithm_section,
    config_key,
    direction_of,
    resolve_path,
)

__all__ = ["EXPERIMENT_KEYS", "NniConfigFile"]

EXPERIMENT_KEYS = (
    "experimentName", "experimentType", "searchSpaceFile", "searchSpace", "trialCommand", "trialCodeDirectory",
    "trialConcurrency", "trialGpuNumber", "maxExperimentDuration", "maxTrialNumber", "maxTrialDuration",
    "nniManagerIp", "useAnnotation", "debug", "logLevel", "experimentWorkingDirectory", "tunerGpuIndices", "tuner",
    "assessor", "advisor", "trainingService", "sharedStorage",
)
"""The top-level keys of an NNI 3.0 HPO experiment config (``nni.experiment.config.ExperimentConfig``'s fields);
NNI matches them ignoring case and underscores."""

# A top-level YAML key at column 0: plain or quoted, then a colon that ends the key.
_TOP_KEY = re.compile(r"""^(?:"([^"]*)"|'([^']*)'|([^\s#'"{}\[\],:][^:#]*?))\s*:(?=\s|$)(.*)$""")


_KNOWN = {config_key(k): k for k in EXPERIMENT_KEYS}


@dataclass(frozen=True)
class NniConfigFile:
    """An NNI HPO experiment config file, read and checked.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "config.yml"
        >>> _ = path.write_text(
        ...     "# my experiment\\n"
        ...     "searchSpace:\\n  lr: {_type: loguniform, _value: [0.0001, 0.1]}\\n"
        ...     "trialCommand: python trial.py  # the trial\\n"
        ...     "maxTrialNumber: 40\\ntrialConcurrency: 2\\n"
        ...     "tuner:\\n  name: TPE\\n  classArgs:\\n    optimize_mode: minimize\\n"
        ...     "trainingService:\\n  platform: local\\n")
        >>> config = NniConfigFile.read(path)
        >>> config.n_trials, config.n_workers, config.tuner
        (40, 2, {'name': 'TPE', 'class_args': {'optimize_mode': 'minimize'}})
        >>> print(config.with_tuner({"name": "Evolution", "class_args": {"optimize_mode": "minimize", "population_size": 10}}))
        # my experiment
        searchSpace:
          lr: {_type: loguniform, _value: [0.0001, 0.1]}
        trialCommand: python trial.py  # the trial
        maxTrialNumber: 40
        trialConcurrency: 2
        tuner:
          name: Evolution
          classArgs:
            optimize_mode: minimize
            population_size: 10
        trainingService:
          platform: local
        <BLANKLINE>
    """

    path: Path
    text: str
    data: dict[str, Any]
    format: str  # "yaml" or "json"

    # -------------------------------------------------------------------------------------------- reading
    @classmethod
    def read(cls, path: str | Path) -> NniConfigFile:
        """Read and check ``path`` (``.json``: JSON; anything else: YAML, as NNI reads it)."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            from nas_complexity.adapters._common import read_json_file

            try:
                data = read_json_file(path, "an NNI experiment config", "any depth")
            except SpaceError as exc:
                raise NniConfigError(exc.path, exc.problem, exc.accepted) from None
            text = path.read_text(encoding="utf-8-sig")
            fmt = "json"
        else:
            text = _read_text(path)
            data = _load_yaml(path, text)
            fmt = "yaml"
        if not isinstance(data, dict):
            raise NniConfigError(str(path), f"the config must be a mapping of keys, got {type(data).__name__}",
                                 "searchSpace, maxTrialNumber, tuner... at the top level")
        config = cls(path, text, data, fmt)
        config._check_keys()
        return config

    def _check_keys(self) -> None:
        seen: dict[str, str] = {}
        for key in self.data:
            norm = config_key(key)
            if norm not in _KNOWN:
                close = difflib.get_close_matches(str(key), EXPERIMENT_KEYS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(str(key), f"unknown key{hint}", ", ".join(EXPERIMENT_KEYS))
            if norm in seen:
                raise self.error(str(key), f"given twice (also as {seen[norm]!r}); NNI would keep only one", "each key once")
            seen[norm] = str(key)
        if config_key(self.get("experimentType") or "hpo") != "hpo":
            raise self.error("experimentType", f"{self.get('experimentType')!r} is not an HPO experiment", "hpo (NAS experiments are configured in Python)")
        if self.get("tuner") is not None and self.get("advisor") is not None:
            raise self.error("advisor", "given beside tuner (NNI refuses both)", "tuner only (advisor is deprecated)")

    def error(self, key: str, problem: str, accepted: str) -> NniConfigError:
        """An error naming this file and ``key``."""
        return NniConfigError(f"{self.path}: {key}", problem, accepted)

    def key(self, name: str) -> str | None:
        """The spelling ``name`` (an :data:`EXPERIMENT_KEYS` entry) has in this file, or ``None`` when absent."""
        return next((k for k in self.data if config_key(k) == config_key(name)), None)

    def get(self, name: str) -> Any:
        """The value of ``name`` (any spelling NNI accepts), or ``None``."""
        key = self.key(name)
        return None if key is None else self.data[key]

    @property
    def search_space(self) -> tuple[Any, str]:
        """The search space (a dict, or the path of its file, taken from the config's folder) and its key."""
        inline, file = self.get("searchSpace"), self.get("searchSpaceFile")
        if inline is not None and file is not None:
            raise self.error("searchSpaceFile", "given beside searchSpace (NNI refuses both)", "exactly one of searchSpace and searchSpaceFile")
        if file is not None:
            if not isinstance(file, str):
                raise self.error("searchSpaceFile", f"expected a path, got {file!r}", "a path relative to the config file")
            path = resolve_path(file, self.path.parent)
            if not path.is_file():
                raise self.error("searchSpaceFile", f"{path} is not a file", "the path of the search-space JSON file, relative to the config file")
            return path, f"{self.path}: searchSpaceFile {path}"
        if inline is None:
            raise self.error("searchSpace", "missing", "searchSpace (inline {name: {_type, _value}} entries) or searchSpaceFile (a path relative to the config)")
        return inline, f"{self.path}: {self.key('searchSpace')}"

    @property
    def n_trials(self) -> int | None:
        """``maxTrialNumber`` (``None`` when absent)."""
        return self._positive("maxTrialNumber")

    @property
    def n_workers(self) -> int:
        """``trialConcurrency`` (1 when absent)."""
        return self._positive("trialConcurrency") or 1

    def _positive(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(self.key(name) or name, f"expected a positive integer, got {value!r}", "1, 2, 3...")
        return value

    @property
    def tuner_key(self) -> str:
        """The key of the tuner section: ``advisor`` for a config with the deprecated section, else ``tuner``."""
        return "advisor" if self.get("advisor") is not None else "tuner"

    @property
    def tuner(self) -> dict[str, Any] | None:
        """The tuner (or advisor) section, as :func:`~nas_complexity.integration._nni_experiment.algorithm_section`."""
        return self._section(self.tuner_key)

    @property
    def assessor(self) -> dict[str, Any] | None:
        """The assessor section."""
        return self._section("assessor")

    @property
    def direction(self) -> tuple[str, str]:
        """The experiment's direction and where it was read (:func:`~nas_complexity.integration._nni_experiment.direction_of`)."""
        try:
            return direction_of(self.tuner, self.assessor)
        except NniConfigError as exc:
            raise self.error(exc.key, exc.problem, exc.accepted or "") from None

    def _section(self, name: str) -> dict[str, Any] | None:
        try:
            return algorithm_section(self.get(name), self.key(name) or name)
        except NniConfigError as exc:
            raise self.error(exc.key, exc.problem, exc.accepted or "") from None

    # ------------------------------------------------------------------------------------------ rewriting
    def _section_for_file(self, tuner: Mapping[str, Any]) -> dict[str, Any]:
        # Written in the file's own key style: snake_case files get class_args, the others NNI's camelCase.
        snake = any("_" in str(k) for k in self.data)
        return {"name": tuner["name"], "class_args" if snake else "classArgs": dict(tuner.get("class_args") or {})}

    def expected(self, tuner: Mapping[str, Any]) -> dict[str, Any]:
        """The document after :meth:`with_tuner`: the same keys in the same order, the tuner section replaced."""
        old = self.key(self.tuner_key)
        section = self._section_for_file(tuner)
        if old is None:
            return {**self.data, "tuner": section}
        return {("tuner" if k == old and self.tuner_key == "advisor" else k): (section if k == old else v) for k, v in self.data.items()}

    def with_tuner(self, tuner: Mapping[str, Any]) -> str:
        """The file's text with its tuner section set to ``tuner`` (``{"name", "class_args"}``), nothing else changed."""
        expected = self.expected(tuner)
        if self.format == "json":
            return json.dumps(expected, indent=_json_indent(self.text), ensure_ascii=False) + "\n"
        text = _replace_yaml_block(self.text, self.key(self.tuner_key), "tuner", expected["tuner"])
        try:
            same = _load_yaml(self.path, text) == expected
        except NniConfigError:
            same = False
        if not same:
            raise self.error(self.key(self.tuner_key) or "tuner", "this YAML layout cannot be rewritten line by line",
                             "a block-style top-level tuner section; set it by hand")
        return text

    def write_tuner(self, tuner: Mapping[str, Any]) -> None:
        """Rewrite the file with ``tuner`` as its tuner section (atomically: a new file moved in place)."""
        text = self.with_tuner(tuner)
        temporary = self.path.with_name(f".{self.path.name}.nas-complexity.tmp")
        temporary.write_text(text, encoding="utf-8")
        if self.path.exists():
            os.chmod(temporary, self.path.stat().st_mode & 0o7777)
        os.replace(temporary, self.path)


def _read_text(path: Path) -> str:
    accepted = "an NNI experiment config file (YAML or JSON)"
    if path.is_dir():
        raise NniConfigError(str(path), "is a folder", accepted)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NniConfigError(str(path), "no such file", accepted) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NniConfigError(str(path), f"cannot be read as UTF-8 text ({exc})", accepted) from None


def _load_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:  # PyYAML's own text spans lines and names "<unicode string>": one line here
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        context = f" ({exc.context} at line {exc.context_mark.line + 1})" if exc.context and exc.context_mark else ""
        raise NniConfigError(str(path), f"not readable YAML{where}: {exc.problem}{context}") from None
    except yaml.YAMLError as exc:
        raise NniConfigError(str(path), f"not readable YAML: {exc}") from None


def _json_indent(text: str) -> int:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" ")
        if stripped and len(stripped) < len(line):
            return len(line) - len(stripped)
    return 2


def _yaml_indent(lines: list[str]) -> int:
    """The indentation step of the file's first nested block (2 when it has none)."""
    for line in lines:
        stripped = line.lstrip(" ")
        if stripped.strip() and not stripped.startswith("#") and len(stripped) < len(line):
            return len(line) - len(stripped)
    return 2


def _top_key(line: str) -> tuple[str, str] | None:
    """``(key, rest after the colon)`` when ``line`` starts a top-level mapping entry."""
    match = _TOP_KEY.match(line.rstrip("\r\n"))
    if match is None:
        return None
    key = next(g for g in match.groups()[:3] if g is not None)
    return key.strip(), match.group(4)


def _replace_yaml_block(text: str, old_key: str | None, new_key: str, section: dict[str, Any]) -> str:
    """``text`` with the top-level block of ``old_key`` replaced by ``new_key: section`` (appended when absent).

    A block is its key's line and the indented lines after it, including comment lines at column 0 that sit
    between them; blank lines and comments after its last indented line belong to what follows.
    """
    import yaml

    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    step = _yaml_indent(lines)
    dumped = yaml.safe_dump({new_key: section}, sort_keys=False, default_flow_style=False, indent=step, allow_unicode=True)
    block = [line + newline for line in dumped.splitlines()]
    wanted = config_key(old_key or new_key)
    starts = [i for i, line in enumerate(lines) if (entry := _top_key(line)) and config_key(entry[0]) == wanted]
    if len(starts) > 1:
        raise NniConfigError(old_key or new_key, f"appears {len(starts)} times at the top level", "each key once")
    if not starts:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        return "".join(lines + block)
    start = starts[0]
    entry = _top_key(lines[start])
    comment = entry[1].strip() if entry else ""
    if comment.startswith("#"):  # a note on the key's own line stays with it
        block[0] = block[0].rstrip("\r\n") + "  " + comment + newline
    end = start + 1
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#") and not line[0].isspace():
            continue  # blank or column-0 comment: inside the block only if indented lines follow
        if not line[0].isspace():
            break
        end = i + 1
    return "".join(lines[:start] + block + lines[end:])
