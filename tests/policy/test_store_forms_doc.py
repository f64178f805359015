"""docs/store-forms.md and the README say what the commands do, and show their real output."""

import re

from click.testing import CliRunner

from consentkit.cli import main
from consentkit.policy.appcheck import CODES
from consentkit.policy.exports import EXPORTS
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "store-forms.md").read_text("utf-8")
README = (ROOT / "README.md").read_text("utf-8")


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)


def test_every_exported_file_and_finding_code_is_documented():
    table = DOC.split("| file | for | where it goes |", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+)`", table, flags=re.M))
    documented |= set(re.findall(r", `([^`]+)` \|", table))
    assert documented == set(EXPORTS)
    for code in CODES:
        assert f"| `{code}` |" in DOC, code
    for name in EXPORTS:
        if not name.startswith("zh-Hant"):  # the README names the zh-Hans one for both
            assert f"`{name}`" in README, name
    assert "`consentkit policy check-app M.yaml" in README
    assert "docs/store-forms.md" in README


def test_the_notes_shown_are_what_export_prints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    manifest = ROOT / "examples" / "manifests" / "zhenyi-erp.yaml"
    result = CliRunner().invoke(main, ["policy", "export", str(manifest)])
    assert result.exit_code == 0, result.output
    shown = next(b for b in code_blocks(DOC) if b.startswith("note: "))
    for line in shown.strip().splitlines():
        assert line in result.stderr.splitlines(), line


def test_the_findings_shown_are_what_check_app_prints(monkeypatch):
    monkeypatch.chdir(ROOT)
    planted = "tests/policy/app_files/planted/"
    result = CliRunner().invoke(
        main,
        [
            "policy", "check-app", "examples/manifests/zhenyi-erp.yaml",
            "--android", planted + "AndroidManifest.xml", "--ios", planted + "Info.plist",
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    shown = next(b for b in code_blocks(DOC) if b.startswith(planted))
    for line in shown.strip().splitlines():
        assert line in result.output.splitlines(), line
    # and the clean command of the page passes
    clean = next(b for b in code_blocks(DOC) if "policy check-app" in b)
    args = clean.replace("\\\n", " ").split()[1:]
    assert args[:2] == ["policy", "check-app"]
    assert CliRunner().invoke(main, args).exit_code == 0
