"""The shipped type stubs agree with the package at run time (mypy's stubtest), and the
package says it is typed."""

import importlib.resources
import subprocess
import sys
from pathlib import Path


def test_stubtest_finds_no_mismatch(tmp_path: Path) -> None:
    # Run from an empty directory so that the installed package is what gets checked.
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "embedis", "--concise"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_package_ships_py_typed_and_stubs() -> None:
    files = importlib.resources.files("embedis")
    assert files.joinpath("py.typed").is_file()
    assert files.joinpath("_embedis.pyi").is_file()
    assert files.joinpath("asyncio", "__init__.pyi").is_file()
