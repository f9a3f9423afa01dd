"""The package works where ``fcntl`` does not exist (Windows): every module imports, and the
audit log (which every command writes) appends and verifies."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from .helpers import ROOT

_SCRIPT = textwrap.dedent("""
    import importlib, pkgutil, sys, warnings
    sys.modules["fcntl"] = None  # "import fcntl" now raises ImportError, as on Windows
    warnings.simplefilter("ignore")
    import reconciler
    names = [m.name for m in pkgutil.walk_packages(reconciler.__path__, "reconciler.")
             if not m.name.endswith("__main__")]
    for name in names:
        importlib.import_module(name)
    from pathlib import Path
    from reconciler.records import auditing
    log = auditing.AuditLog(Path(sys.argv[1]))
    log.append("one", n=1)
    log.append("two", n=2)
    result = auditing.verify_log(Path(sys.argv[1]))
    assert result.ok and result.entries == 2, result
    assert "fcntl" not in {k for k, v in sys.modules.items() if v is not None}
    print(len(names), "modules")
""")


def test_every_module_imports_and_the_audit_log_works_without_fcntl(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path / "audit.jsonl")], cwd=ROOT,
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[0]) > 100
