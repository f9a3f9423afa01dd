"""Property tests: whatever the input, loading answers with diagnostics, never an exception.

Arbitrary text, arbitrary YAML values, and arbitrary mutations (structural and textual) of
the example project's valid manifests. Every diagnostic names the file and a 1-based place
inside it.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifests import loading

ROOT = Path(__file__).resolve().parents[2]
_COUNTER = itertools.count()
SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _examples() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted((ROOT / "manifests").rglob("*.yaml")):
        if "fixtures" not in path.parts and path.name != "cogctl.yaml":
            documents.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return documents


EXAMPLES = _examples()
EXAMPLE_TEXTS = [yaml.safe_dump(d, sort_keys=False) for d in EXAMPLES]
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(max_size=20), st.sampled_from(["", "${vars.x}", "GET", "(a+)+$", "cogctl/v1"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


def _load(workdir: Path, content: str | bytes,
          variables: dict[str, str] | None = None) -> loading.LoadResult:
    path = workdir / f"doc{next(_COUNTER)}.yaml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(content)
    result = loading.load_manifests([path], variables=variables or {"x": "1"})
    # YAML also breaks lines at \r, NEL, LS and PS; splitlines() knows them all (and more).
    lines = len(path.read_bytes().decode("utf-8", "replace").splitlines()) + 1
    for diagnostic in result.diagnostics:
        assert diagnostic.file == str(path)
        assert 1 <= diagnostic.line <= lines + 1
        assert diagnostic.column >= 1
        assert diagnostic.message
        assert diagnostic.render().startswith(f"{path}:{diagnostic.line}:{diagnostic.column}: ")
    path.unlink()
    return result


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes(workdir: Path, content: bytes) -> None:
    _load(workdir, content)


@SETTINGS
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300))
def test_arbitrary_text(workdir: Path, content: str) -> None:
    _load(workdir, content)


@SETTINGS
@given(_values)
def test_arbitrary_yaml_values(workdir: Path, value: Any) -> None:
    _load(workdir, "apiVersion: cogctl/v1\n---\n" + yaml.safe_dump(value))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(document: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else document
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    elif isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    else:
        parent.insert(last, value)
    return document


@SETTINGS
@given(st.data())
def test_structural_mutations_of_valid_manifests(workdir: Path, data: st.DataObject) -> None:
    document = yaml.safe_load(data.draw(st.sampled_from(EXAMPLE_TEXTS)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)))
        action = data.draw(st.sampled_from(["delete", "replace", "insert"]))
        document = _mutate(document, path, action, data.draw(_values))
    result = _load(workdir, yaml.safe_dump(document, sort_keys=False))
    assert len(result.manifests) + len(result.diagnostics) >= 1 or document is None


@SETTINGS
@given(st.data())
def test_textual_mutations_of_valid_manifests(workdir: Path, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(EXAMPLE_TEXTS))
    for _ in range(data.draw(st.integers(1, 4))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 10)))
        insert = data.draw(st.sampled_from(["", "[", "{", ":", "- ", "\n", "  ", "&a ", "*a",
                                            "'", '"', "#", "\t", "!!str ", "<<: "]))
        text = text[:start] + insert + text[end:]
    _load(workdir, text)


def test_the_unmutated_examples_load_cleanly(workdir: Path) -> None:
    config = yaml.safe_load((ROOT / "manifests" / "cogctl.yaml").read_text())
    variables = config["environments"]["local"]["vars"]
    for text in EXAMPLE_TEXTS:
        result = _load(workdir, text, variables)
        assert (len(result.manifests), result.diagnostics) == (1, ())
