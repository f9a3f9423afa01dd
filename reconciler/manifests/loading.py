"""Load manifests: YAML files -> validated manifest models, each problem with file:line:col.

Policy:
- Manifests are found recursively under the given paths (``*.yaml``, ``*.yml``); a file is
  a manifest when one of its documents has ``apiVersion: cogctl/...`` or looks like a
  manifest (``looks_like_manifest``: a known ``kind``, ``metadata`` with ``spec``, or a key
  or value that nearly reads ``apiVersion: cogctl/...``): such a document that is not a valid
  manifest is an error, never skipped. Any other YAML is ignored and listed in
  ``LoadResult.ignored``. ``cogctl.yaml``, folders named ``fixtures`` and hidden folders are
  skipped; a file named explicitly is always read as a manifest.
- A file is read only when it is a regular file of at most ``MAX_FILE_BYTES`` and valid
  UTF-8; parsing is safe and bounded (``parsing``). A file found by walking that is too large
  or not UTF-8 is ignored when ``cogctl/`` never occurs in it (it clearly is not a manifest:
  an unrelated YAML file beside the manifests), else it is reported. ``${vars.NAME}``
  substituting are filled before validation.
- One run reports every problem of every file, never only the first; nothing here raises
  for bad input, and nothing prints.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import pydantic

from reconciler import fileio
from reconciler.manifests import crossdoc, locating, models, parsing, substituting

MAX_FILE_BYTES = 1024 * 1024
SUFFIXES = (".yaml", ".yml")
PROJECT_FILENAMES = ("cogctl.yaml", "cogctl.yml")
SKIPPED_FOLDERS = frozenset({"fixtures", "node_modules", "__pycache__"})

AnyManifest = models.Integration | models.Slot | models.ContextDefaults | models.SimulationSuite


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    """One problem. ``file`` is the path as given; ``line`` and ``column`` are 1-based."""

    file: str
    line: int
    column: int
    address: str | None
    message: str

    def render(self) -> str:
        """``file:line:col: Kind/bot/name: message`` (no address part when there is none)."""
        where = f"{self.file}:{self.line}:{self.column}: "
        return where + (f"{self.address}: " if self.address else "") + self.message

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class LoadedManifest:
    """A valid manifest and where it was written (``line``/``column``: document start)."""

    manifest: AnyManifest
    file: str
    line: int
    column: int
    _values: Mapping[parsing.FieldPath, parsing.Position] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )
    _keys: Mapping[parsing.FieldPath, parsing.Position] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def address(self) -> str:
        return self.manifest.address

    @property
    def outline(self) -> crossdoc.Outline:
        """What the rules across documents read of this manifest."""
        return crossdoc.outline_manifest(self.manifest, file=self.file, line=self.line,
                                         column=self.column, values=self._values)

    def locate(self, *field_path: str | int) -> tuple[int, int]:
        """Line and column of a field's value (``locate("spec", "patterns", 0)``); for a field
        not written (a default), its nearest written ancestor's key; else the document."""
        path = tuple(field_path)
        if path in self._values:
            return self._values[path]
        for end in range(len(path) - 1, 0, -1):
            found = self._keys.get(path[:end]) or self._values.get(path[:end])
            if found is not None:
                return found
        return (self.line, self.column)


@dataclasses.dataclass(frozen=True)
class LoadResult:
    """Everything a run of ``load_manifests`` found.

    ``invalid`` names (kind, bot, name) of documents that failed, so that cross-document
    rules do not also complain that they are missing. ``outlined`` holds, in document order,
    the outline of every valid manifest and of every failed document whose header is valid
    and whose YAML is sound: the rules across documents run over all of them.
    """

    manifests: tuple[LoadedManifest, ...]
    diagnostics: tuple[Diagnostic, ...]
    invalid: frozenset[tuple[str, str, str]]
    files: int
    outlined: tuple[crossdoc.Outline, ...] = ()
    ignored: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class LoadedConfig:
    """``cogctl.yaml``, validated, and where its parts were written."""

    config: models.ProjectConfig
    file: str
    document: parsing.ParsedDocument = dataclasses.field(repr=False, compare=False)

    def locate(self, *field_path: str | int, at_key: bool = False) -> tuple[int, int]:
        return locating.position(self.document, tuple(field_path), at_key=at_key)


def read_text(path: Path, shown: str) -> tuple[str | None, list[Diagnostic]]:
    """The file's text, or why it cannot be read (too large, not UTF-8, unreadable)."""
    try:
        with fileio.open_regular(path) as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, [Diagnostic(shown, 1, 1, None, f"cannot read: {exc.strerror or exc}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [Diagnostic(shown, 1, 1, None, f"file is larger than {MAX_FILE_BYTES} "
                                 "bytes (1 MiB); split it into several files")]
    try:
        return raw.decode("utf-8").removeprefix("\ufeff"), []
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[raw.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8",
                                                                              "replace")) + 1
        return None, [Diagnostic(shown, line, column, None,
                                 f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); "
                                 "save the file as UTF-8")]


def discover(paths: Iterable[Path], *, exclude: Collection[Path] = ()) -> tuple[
        list[tuple[Path, bool]], list[Diagnostic]]:
    """Candidate files (path, named explicitly) under ``paths``, in a stable order."""
    skip = {_real(path) for path in exclude}
    found: list[tuple[Path, bool]] = []
    problems: list[Diagnostic] = []
    for root in paths:
        if root.is_dir():
            walked: list[Path] = []
            _walk(root, walked, problems, seen=set())
            found.extend((path, False) for path in sorted(walked) if _real(path) not in skip)
        elif os.path.lexists(root):
            # Files, and whatever else is there (a FIFO, a device, a symbolic link loop):
            # reading says what is wrong with it, never "no such file".
            if _real(root) not in skip:  # e.g. cogctl.yaml named among the paths
                found.append((root, True))
        else:
            problems.append(Diagnostic(str(root), 1, 1, None, "no such file or directory"))
    unique = list(dict.fromkeys(found))
    return unique, problems


def _walk(folder: Path, found: list[Path], problems: list[Diagnostic], *,
          seen: set[Path]) -> None:
    real = _real(folder)
    if real in seen:  # a symbolic link back up the tree
        return
    seen.add(real)
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        problems.append(Diagnostic(str(folder), 1, 1, None,
                                   f"cannot read folder: {exc.strerror or exc}"))
        return
    for path in entries:
        if path.is_dir():
            if path.name not in SKIPPED_FOLDERS and not path.name.startswith("."):
                _walk(path, found, problems, seen=seen)
        elif path.suffix in SUFFIXES and path.name not in PROJECT_FILENAMES:
            found.append(path)


def _real(path: Path) -> Path:
    """``path`` with symbolic links resolved as far as they go (a link loop stays as it is)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return path.absolute()


_MANIFEST_MARK = b"cogctl/"
_SCAN_LIMIT = 64 * 1024 * 1024
_SCAN_CHUNK = 1024 * 1024


def _may_be_manifest(path: Path) -> bool:
    """For a file found by walking that cannot be read as text (too large, not UTF-8):
    False only when it clearly is not a manifest, a regular file in which ``cogctl/`` (every
    manifest's apiVersion) never occurs, so an unrelated YAML file beside the manifests is
    ignored; anything that cannot be scanned to its end is reported."""
    try:
        with fileio.open_regular(path) as handle:
            tail, scanned = b"", 0
            while scanned <= _SCAN_LIMIT:
                chunk = handle.read(_SCAN_CHUNK)
                if not chunk:
                    return False
                if _MANIFEST_MARK in tail + chunk:
                    return True
                tail, scanned = chunk[-len(_MANIFEST_MARK):], scanned + len(chunk)
    except OSError:
        return True
    return True


def _is_manifest_file(documents: list[parsing.ParsedDocument], stopped: bool, text: str) -> bool:
    for doc in documents:
        version = doc.data.get("apiVersion") if isinstance(doc.data, dict) else None
        if isinstance(version, str) and version.startswith("cogctl/"):
            return True
        if looks_like_manifest(doc.data):
            return True
    return stopped and "cogctl/" in text


def near_api_version_key(data: Mapping[Any, Any]) -> str | None:
    """A key that is nearly ``apiVersion`` (``apiversion``, ``api_version``, ``apiVerison``)."""
    if "apiVersion" in data:
        return None
    for key in data:
        if not isinstance(key, str):
            continue
        folded = key.replace("_", "").replace("-", "").casefold()
        if folded == "apiversion" or difflib.get_close_matches(
                key, ["apiVersion"], n=1, cutoff=0.8):
            return key
    return None


def looks_like_manifest(data: object) -> bool:
    """Whether a YAML document means to be a manifest, valid or not.

    With an ``apiVersion``: when it is nearly ``cogctl/v1`` (``cogctl.v1``, ``cogclt/v1``); a
    document of another API (``apps/v1``) is someone else's. Without one: a known ``kind``,
    ``metadata`` with ``spec``, or a key that is nearly ``apiVersion``. An OpenAPI document,
    a data file, or anything else is not one.
    """
    if not isinstance(data, dict):
        return False
    version = data.get("apiVersion")
    if isinstance(version, str):
        return version.casefold().startswith("cogctl") or bool(
            difflib.get_close_matches(version, [models.API_VERSION], n=1, cutoff=0.8))
    kind = data.get("kind")
    return (
        (isinstance(kind, str) and kind in models.KIND_BY_NAME)
        or ("metadata" in data and "spec" in data)
        or near_api_version_key(data) is not None
    )


def load_manifests(paths: Iterable[Path], *, variables: Mapping[str, str] | None = None,
                   exclude: Collection[Path] = ()) -> LoadResult:
    """Find, parse and validate every manifest under ``paths``; never raises for bad input.

    ``variables`` fill ``${vars.NAME}``; None means no project file defines any.
    """
    files, diagnostics = discover(paths, exclude=exclude)
    manifests: list[LoadedManifest] = []
    outlined: list[crossdoc.Outline] = []
    invalid: set[tuple[str, str, str]] = set()
    ignored: list[str] = []
    count = 0
    for path, explicit in files:
        shown = str(path)
        text, problems = read_text(path, shown)
        if text is None:
            if explicit or _may_be_manifest(path):
                diagnostics.extend(problems)
                count += 1
            continue
        documents, stopped = parsing.parse_text(text)
        if not (explicit or _is_manifest_file(documents, bool(stopped), text)):
            ignored.append(shown)
            continue
        count += 1
        if explicit and not documents and not stopped:
            diagnostics.append(Diagnostic(shown, 1, 1, None, "no YAML documents in the file"))
        for doc in documents:
            loaded, found, outline = _load_document(doc, shown, variables)
            diagnostics.extend(found)
            if loaded is not None:
                manifests.append(loaded)
            elif found and (identity := crossdoc.raw_identity(doc.data)) is not None:
                invalid.add(identity)
            if outline is not None:
                outlined.append(outline)
        diagnostics.extend(Diagnostic(shown, p.line, p.column, None, p.message) for p in stopped)
    return LoadResult(tuple(manifests), tuple(diagnostics), frozenset(invalid), count,
                      tuple(outlined), tuple(ignored))


@dataclasses.dataclass(frozen=True)
class _Source:
    """One parsed document of a file; places its problems."""

    doc: parsing.ParsedDocument
    file: str
    address: str | None

    def problem(self, path: parsing.FieldPath, message: str, *,
                at_key: bool = False) -> Diagnostic:
        line, column = locating.position(self.doc, path, at_key=at_key)
        return Diagnostic(self.file, line, column, self.address, message)


_Loaded = tuple[LoadedManifest | None, list[Diagnostic], crossdoc.Outline | None]


def _load_document(doc: parsing.ParsedDocument, file: str,
                   variables: Mapping[str, str] | None) -> _Loaded:
    """The manifest (when valid), every problem, and the outline (when there can be one)."""
    source = _Source(doc, file, crossdoc.raw_address(doc.data))
    found = [Diagnostic(file, p.line, p.column, source.address, p.message)
             for p in doc.problems]
    if doc.data is None or found:
        # A document with structural problems (duplicate keys, tags, merge keys) is not
        # validated further: its data is not what the author meant, so errors would mislead.
        return None, found, None
    if not isinstance(doc.data, dict):
        return None, [source.problem((), "a manifest document must be a mapping with "
                                         "apiVersion, kind, metadata and spec")], None
    data, unresolved = substituting.substitute(doc, variables)
    header = _check_header(doc.data)
    near = near_api_version_key(doc.data) if header is not None else None
    if header is not None:  # no known schema: only the variables can still be checked
        first = source.problem(*header) if near is None else source.problem(
            (near,), f"unknown key {near!r}: did you mean 'apiVersion'? (a manifest starts "
                     f"with apiVersion: {models.API_VERSION})", at_key=True)
        return None, [first, *(source.problem(path, message) for path, message
                               in unresolved if path != header[0])], None
    return _validate(source, data, unresolved)


def _validate(source: _Source, data: dict[str, Any],
              unresolved: list[tuple[parsing.FieldPath, str]]) -> _Loaded:
    """Validate ``data`` (a valid header, variables filled) as the kind it names."""
    faulty = {path for path, _ in unresolved}
    found = [source.problem(path, message) for path, message in unresolved]
    model = models.KIND_BY_NAME[data["kind"]]
    try:
        manifest = model.model_validate(data, strict=True)
    except pydantic.ValidationError as exc:
        located = locating.explain(exc, model)
        found.extend(source.problem(item.path, item.message, at_key=item.at_key)
                     for item in located if item.path not in faulty)  # unfilled: said already
        faulty.update(item.path for item in located)
    else:
        if not found:
            assert isinstance(manifest, AnyManifest)
            doc = source.doc
            loaded = LoadedManifest(manifest, source.file, doc.line, doc.column, doc.values,
                                    doc.keys)
            return loaded, [], loaded.outline
    outline, broken = crossdoc.outline_document(data, faulty, file=source.file, doc=source.doc,
                                                address=source.address)
    found.extend(source.problem(path, message) for path, message in broken)
    return None, found, outline


def _check_header(data: dict[Any, Any]) -> tuple[parsing.FieldPath, str] | None:
    version, kind = data.get("apiVersion"), data.get("kind")
    if version is None:
        return (), f"missing apiVersion (expected apiVersion: {models.API_VERSION})"
    if version != models.API_VERSION:
        return ("apiVersion",), f"apiVersion must be {models.API_VERSION}, got {version!r}"
    if not isinstance(kind, str) or kind not in models.KIND_BY_NAME:
        expected = ", ".join(models.KIND_BY_NAME)
        what = "missing kind" if kind is None else f"unknown kind {kind!r}"
        return ("kind",) if kind is not None else (), f"{what} (expected one of {expected})"
    return None


def load_config(path: Path) -> tuple[LoadedConfig | None, list[Diagnostic]]:
    """Read and validate ``cogctl.yaml``; every problem as a diagnostic."""
    shown = str(path)
    text, problems = read_text(path, shown)
    if text is None:
        return None, problems
    documents, stopped = parsing.parse_text(text)
    found = [Diagnostic(shown, p.line, p.column, None, p.message)
             for doc in documents for p in doc.problems]
    found += [Diagnostic(shown, p.line, p.column, None, p.message) for p in stopped]
    if found:
        return None, found
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        return None, [Diagnostic(shown, 1, 1, None, "cogctl.yaml must be one YAML mapping "
                                 "with environments (and optionally defaultEnvironment)")]
    doc = documents[0]
    try:
        config = models.ProjectConfig.model_validate(doc.data, strict=True)
    except pydantic.ValidationError as exc:
        located = locating.explain(exc, models.ProjectConfig)
        return None, [Diagnostic(shown, *locating.position(doc, item.path, at_key=item.at_key),
                                 None, item.message) for item in located]
    return LoadedConfig(config, shown, doc), []
