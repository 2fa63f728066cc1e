"""The engine registry: built-ins, engines registered by code, and engines installed packages declare."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def run_fresh(code: str, extra_path: Path | None = None) -> str:
    """Run `code` in a new interpreter, so the registry starts empty as it does for a user."""
    prefix = f"import sys; sys.path.insert(0, {str(extra_path)!r})\n" if extra_path else ""
    proc = subprocess.run(
        [sys.executable, "-c", prefix + textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_an_engine_registered_before_the_first_lookup_keeps_the_built_ins() -> None:
    out = run_fresh(
        """
        from podrender.engines import engine_names, get_engine, register
        from podrender.engines.fake import FakeEngine

        class Mine(FakeEngine):
            name = "mine"

        register("mine", Mine)
        print(",".join(engine_names()))
        print(type(get_engine("pyttsx3")).__name__, type(get_engine("mine")).__name__)
        """
    )
    names, kinds = out.splitlines()
    assert {"pyttsx3", "piper", "fake", "mine"} <= set(names.split(","))
    assert kinds == "Pyttsx3Engine Mine"


def test_an_engine_registered_under_a_built_in_name_replaces_it() -> None:
    out = run_fresh(
        """
        from podrender.engines import get_engine, register
        from podrender.engines.fake import FakeEngine

        register("pyttsx3", FakeEngine)
        print(type(get_engine("pyttsx3")).__name__)
        """
    )
    assert out == "FakeEngine"


def test_an_engine_declared_by_an_installed_package_is_found(tmp_path: Path) -> None:
    # A package as pip installs it: its module, and a dist-info folder whose entry_points.txt names the engine.
    (tmp_path / "tinyvoice.py").write_text(
        "from podrender.engines.fake import FakeEngine\n\nclass TinyVoice(FakeEngine):\n    name = 'tiny'\n"
    )
    info = tmp_path / "tinyvoice-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyvoice\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[podrender.engines]\ntiny = tinyvoice:TinyVoice\n")
    out = run_fresh(
        """
        from podrender.engines import engine_names, get_engine
        print(type(get_engine("tiny")).__name__)
        print(",".join(engine_names()))
        """,
        extra_path=tmp_path,
    )
    kind, names = out.splitlines()
    assert kind == "TinyVoice"
    assert {"tiny", "pyttsx3", "piper", "fake"} <= set(names.split(","))


def test_an_unknown_engine_names_the_closest() -> None:
    out = run_fresh(
        """
        from podrender.engines import get_engine
        from podrender.errors import ConfigError
        try:
            get_engine("pyttsx")
        except ConfigError as e:
            print(e)
        """
    )
    assert out == "unknown engine 'pyttsx' (did you mean 'pyttsx3'?)"
