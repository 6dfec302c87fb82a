"""Show that a staff edit of the shipped menus fails only the tests about the shipped menus: copy the checkout
(its tracked files, with this worktree's changes), change the marriage office's number and add an office in the
copy's menus/, run the suite there and list the tests that failed.

    .venv/bin/python tests/edited_menus_check.py [pytest arguments, e.g. -x or test files]

Exits 0 when every failure is in a module of SHIPPED_MENUS_TESTS, 1 otherwise."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The tests that check the bureau's shipped menus against its own description: the only ones an edit may fail.
SHIPPED_MENUS_TESTS = ("tests/test_menus_data.py",)
NEW_OFFICE = """
  elderly_care_center:
    kind: agency
    parent: bureau
    name:
      zh: 图们市养老服务中心
      ko: 도문시 양로봉사중심
    phone: 0433-3629999
    address: *jinshui_416
    postcode: "133100"
    schedule: standard
    summary:
      zh: 为老年人提供养老服务。
      ko: 로인들에게 양로봉사를 제공합니다.
    keywords: [养老院, 양로원]
"""
NEW_OPTION = """      "5":
        label: {zh: "养老服务中心", ko: "양로봉사중심"}
        unit: elderly_care_center
"""


def edit_menus(menus: Path) -> None:
    """Change the marriage office's number and add an office at the end of the units and of the last submenu."""
    units = (menus / "units.yaml").read_text(encoding="utf-8")
    assert units.count("phone: 0433-3623441") == 1
    units = units.replace("phone: 0433-3623441", "phone: 0433-3623449") + NEW_OFFICE
    (menus / "units.yaml").write_text(units, encoding="utf-8")
    menu = (menus / "menu.yaml").read_text(encoding="utf-8")
    (menus / "menu.yaml").write_text(menu.rstrip("\n") + "\n" + NEW_OPTION, encoding="utf-8")


def main(arguments: list[str]) -> int:
    """Run the suite on an edited copy and report its failures."""
    with tempfile.TemporaryDirectory(prefix="ivr-edited-") as scratch:
        copy = Path(scratch) / "repo"
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.splitlines()
        for name in files:
            if (ROOT / name).is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, copy / name)
        edit_menus(copy / "menus")
        check = subprocess.run([sys.executable, "-m", "ivr", "validate", "--menus", "menus"], cwd=copy,
                               capture_output=True, text=True)
        print(check.stdout.strip() or check.stderr.strip())
        # python -m puts the copy first on sys.path, so its ivr/ and tests/ are the ones imported.
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", *arguments],
                             cwd=copy, capture_output=True, text=True)
        failed = sorted(set(re.findall(r"^FAILED (\S+?)(?: - .*)?$", run.stdout, re.M)))
        errors = sorted(set(re.findall(r"^ERROR (\S+?)(?: - .*)?$", run.stdout, re.M)))
        print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:])
        for test in failed + errors:
            print(("shipped " if test.startswith(SHIPPED_MENUS_TESTS) else "ENGINE  ") + test)
        return 0 if all(t.startswith(SHIPPED_MENUS_TESTS) for t in failed + errors) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
