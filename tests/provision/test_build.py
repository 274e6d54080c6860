"""`evalpad pad build`: every file of firmware/ and protocol/ compiled with mpy-cross."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from host.cli import app
from host.provision import build as builder

MPY_MAGIC = b"M"           # .mpy files start with "M" and the bytecode version
MPY_VERSION = 6            # MicroPython 1.22+ (1.27 on the pads)


def test_every_source_file_is_in_the_tree(tmp_path: Path) -> None:
    result = builder.build(tmp_path / "tree")
    sources = sorted(p.relative_to(builder.ROOT).as_posix() for top in builder.SOURCES
                     for p in (builder.ROOT / top).rglob("*.py"))
    assert sorted(f.source.relative_to(builder.ROOT).as_posix() for f in result.files) == sources
    for f in result.files:
        data = (result.out / f.target).read_bytes()
        if f.source.name in builder.ENTRY_POINTS and f.source.parent.name == "firmware":
            assert f.target == f.source.name and data == f.source.read_bytes()   # main.py stays .py
        elif f.source.name in builder.ROOT_MODULES and f.source.parent.name == "firmware":
            assert f.target == f.source.name[:-3] + ".mpy"     # the loader: outside the slots
            assert data[:2] == MPY_MAGIC + bytes([MPY_VERSION]), f.target
        else:
            assert f.target == "lib/" + f.source.relative_to(builder.ROOT).as_posix()[:-3] + ".mpy"
            assert data[:2] == MPY_MAGIC + bytes([MPY_VERSION]), f.target
        assert f.target_bytes == len(data)
    assert result.total_bytes < result.source_bytes     # bytecode is smaller than source


def test_a_file_that_does_not_compile_is_named(tmp_path: Path) -> None:
    (tmp_path / "firmware").mkdir()
    (tmp_path / "firmware" / "broken.py").write_text("def f(:\n")
    with pytest.raises(builder.BuildError, match=r"firmware/broken\.py"):
        builder.build(tmp_path / "tree", root=tmp_path, sources=("firmware",))


def test_missing_main_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "firmware").mkdir()
    (tmp_path / "firmware" / "x.py").write_text("X = 1\n")
    result = builder.build(tmp_path / "tree", root=tmp_path, sources=("firmware",))
    assert any("main.py" in w for w in result.warnings)


def test_build_command_reports_sizes(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["pad", "build", "--out", str(tmp_path / "tree")])
    assert res.exit_code == 0, res.output
    assert "lib/firmware/pad/screen.mpy" in res.output and "编译后在评价器上占" in res.output
