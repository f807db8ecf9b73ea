"""The `peyvand` command: help for every sub-command, one-line errors, createadmin and token create."""

from __future__ import annotations

import subprocess
import sys

import pytest

from peyvand import cli
from peyvand.accounts import services
from peyvand.accounts.models import ApiToken, Membership
from peyvand.accounts.tests.factories import PASSWORD

COMMANDS = ["demo", "serve", "worker", "migrate", "createadmin", "token", "export", "check"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == 0
    assert "usage: peyvand " + command in capsys.readouterr().out


def test_createadmin_and_token_create(db, capsys):
    assert (
        cli.main(
            ["createadmin", "--email", "Boss@Example.com", "--password", PASSWORD, "--workspace", "Shop"]
        )
        == 0
    )
    assert "boss@example.com is an owner of the created workspace “Shop”" in capsys.readouterr().out
    assert (
        cli.main(
            ["createadmin", "--email", "boss@example.com", "--password", PASSWORD, "--workspace", "Shop"]
        )
        == 0
    )
    assert "existing workspace" in capsys.readouterr().out
    assert Membership.objects.filter(user__email="boss@example.com").count() == 1
    assert cli.main(["token", "create", "--email", "boss@example.com", "--name", "ci"]) == 0
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("pvk_") and services.token_authenticate(raw) is not None
    assert ApiToken.objects.get().name == "ci"


def test_errors_are_one_line(db, capsys):
    assert cli.main(["createadmin", "--email", "nope", "--password", PASSWORD, "--workspace", "W"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("peyvand: error: email:") and err.count("\n") == 1
    assert cli.main(["createadmin", "--email", "a@example.com", "--password", "123", "--workspace", "W"]) == 1
    assert capsys.readouterr().err.startswith("peyvand: error: password:")
    assert cli.main(["token", "create", "--email", "ghost@example.com"]) == 1
    assert capsys.readouterr().err == "peyvand: error: no active member ghost@example.com\n"


def test_token_create_needs_workspace_when_ambiguous(db, capsys):
    services.admin_create(email="two@example.com", password=PASSWORD, workspace_name="One")
    services.admin_create(email="two@example.com", password=PASSWORD, workspace_name="Two")
    assert cli.main(["token", "create", "--email", "two@example.com"]) == 1
    assert "--workspace" in capsys.readouterr().err
    assert cli.main(["token", "create", "--email", "two@example.com", "--workspace", "Two"]) == 0


def test_bad_port_is_refused(capsys, monkeypatch):
    monkeypatch.setenv("PEYVAND_PORT", "eighty")
    assert cli.main(["serve"]) == 1
    assert "port must be a number" in capsys.readouterr().err


def test_check_passes_with_production_settings(tmp_path):
    """`peyvand check` (deploy checks, production settings) reports no issue: run as a user would."""
    env = {"PATH": "/usr/bin:/bin", "PEYVAND_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "peyvand.cli", "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_unknown_command_fails(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["frobnicate"])
    assert exited.value.code == 2
