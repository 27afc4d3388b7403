"""The ``grit`` command: help for every subcommand, fast startup, clear exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from grit.cli import COMMAND_MODULES, build_parser, main

REQUIRED_COMMANDS = {"train", "eval", "infer", "score", "demo", "data", "tiny-model"}


def test_all_required_subcommands_exist():
    assert set(COMMAND_MODULES) >= REQUIRED_COMMANDS


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in COMMAND_MODULES:
        assert name in out


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_every_subcommand_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"grit {command}" in out
    assert len(out.splitlines()) >= 3


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from grit.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'datasets') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"'grit --help' imports {out}"


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "grit", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("grit ")


def test_parser_builds():
    assert build_parser().prog == "grit"


def test_flags_accept_dashes_and_underscores():
    parser = build_parser()
    dashed = parser.parse_args(["score", "in.jsonl", "--format-weight", "2", "--judge-model", "m"])
    underscored = parser.parse_args(["score", "in.jsonl", "--format_weight", "2", "--judge_model", "m"])
    assert vars(dashed) == vars(underscored)
    assert dashed.format_weight == 2.0
