"""``cogctl test`` run as a user runs it: offline, exit 0 / 3 / 1, a table, JUnit XML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import xmlschema

ROOT = Path(__file__).resolve().parents[2]
XSD = ROOT / "tests" / "ops" / "data" / "JUnit.xsd"
FAILING = """\
apiVersion: cogctl/v1
kind: Slot
metadata: {name: order_number, bot: support}
spec:
  patterns: ['ORD-\\d{5}']
  examples:
    - {text: my order ORD-12345, value: ORD-12345}
    - {text: order 12345 please, value: ORD-12345}
    - {text: hello, value: null}
---
apiVersion: cogctl/v1
kind: Slot
metadata: {name: ticket, bot: support}
spec:
  patterns: ['TCK-\\d{3}']
  verify: {minExampleRate: 0.5}
  examples:
    - {text: TCK-123, value: TCK-123}
    - {text: tck-123, value: tck-123}
"""


def _cogctl(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # No credentials, no tenant: the command must not need them.
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("COGNIGY_", "COGCTL_"))}
    return subprocess.run([sys.executable, "-m", "reconciler", "test", *args], cwd=cwd,
                          env={**environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, check=False, timeout=60)


def test_the_example_project_passes() -> None:
    result = _cogctl("manifests")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == (
        "44 examples in 10 slots: 44 pass, 0 fail; every slot passes")
    assert "Slot/support/order_number: PASSED, 5/5 examples pass (min 100%)" in result.stdout


def test_a_failing_example_exits_3_with_a_table_and_valid_junit(tmp_path: Path) -> None:
    (tmp_path / "slots.yaml").write_text(FAILING)
    report = tmp_path / "out" / "examples.xml"
    result = _cogctl(str(tmp_path), "--junit", str(report))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Slot/support/order_number: FAILED, 2/3 examples pass (min 100%)" in result.stdout
    assert '  FAIL  "order 12345 please"  "ORD-12345"  nothing' in result.stdout
    assert "Slot/support/ticket: PASSED, 1/2 examples pass (min 50%)" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "5 examples in 2 slots: 3 pass, 2 fail; 1 slot(s) below verify.minExampleRate")
    xmlschema.XMLSchema(str(XSD)).validate(str(report))
    xml = report.read_text()
    assert xml.count("<failure") == 1
    assert xml.count("<skipped") == 1
    assert 'message="expected &quot;ORD-12345&quot;, extracted nothing instead"' in xml


def test_an_invalid_manifest_exits_1_naming_the_place(tmp_path: Path) -> None:
    (tmp_path / "slots.yaml").write_text(FAILING.replace("value: null}", "valu: null}"))
    result = _cogctl(str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path}/slots.yaml:9:" in result.stderr
    assert "Traceback" not in result.stderr
