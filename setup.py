"""Ship the dashboard inside the wheel: app.py, pages/ and the Streamlit settings.

The project is configured in pyproject.toml; this file only adds a build step. The repository
keeps ``app.py`` and ``pages/`` at its top (where Streamlit and the design card expect them);
a built wheel carries copies under ``metrics/_app/``, where ``tablero servir`` finds them when
Tablero DPD was installed as a package.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
APP_FILES = {
    "app.py": "app.py",
    ".streamlit/config.toml": ".streamlit/config.toml",
}


class BuildWithDashboard(build_py):
    """build_py, plus the dashboard's files copied into ``metrics/_app``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs the repository's own app.py
        target = Path(self.build_lib) / "metrics" / "_app"
        shutil.rmtree(target, ignore_errors=True)  # a page deleted since must not ship
        (target / "pages").mkdir(parents=True, exist_ok=True)
        (target / ".streamlit").mkdir(exist_ok=True)
        for source, name in APP_FILES.items():
            shutil.copyfile(ROOT / source, target / name)
        for page in sorted((ROOT / "pages").glob("*.py")):
            shutil.copyfile(page, target / "pages" / page.name)


setup(cmdclass={"build_py": BuildWithDashboard})
