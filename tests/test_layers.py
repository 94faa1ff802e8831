"""The layering contract of pyproject.toml fails on an upward import.

``make lint`` runs import-linter on the project itself; this test shows that the
contract can fail: on a tree of empty apps named as ours, an app that imports one
above it breaks the contract, and the same tree without that import keeps it.
"""

import shutil
import subprocess  # noqa: S404 - runs lint-imports, a fixed command
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _tree(tmp_path: Path) -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for package in config["root_packages"]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return config["root_packages"]


def _lint(tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - a fixed command line
        [str(LINT_IMPORTS), "--config", str(tmp_path / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_downward_import_keeps_the_contract(tmp_path):
    # given the apps, where web uses programmes and programmes uses notifications
    _tree(tmp_path)
    (tmp_path / "web" / "views.py").write_text("import programmes\n")
    (tmp_path / "programmes" / "services.py").write_text("import notifications\n")

    # when the layering is checked
    result = _lint(tmp_path)

    # then it is kept
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    # given notifications, the lowest app, importing programmes above it
    _tree(tmp_path)
    (tmp_path / "notifications" / "outbox.py").write_text("from programmes import models\n")

    # when the layering is checked
    result = _lint(tmp_path)

    # then the contract is broken and the import is named
    assert result.returncode == 1, result.stdout + result.stderr
    assert "notifications is not allowed to import programmes" in result.stdout
