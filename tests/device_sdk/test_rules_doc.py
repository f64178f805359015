"""The README's list of what the OS tables reproduce, and docs/platforms.md's rule table,
are generated from the table: they must equal the generator's output."""

import shutil

import pytest

from consentkit.device_sdk import rules_doc
from consentkit.device_sdk.os_rules import os_rules_table
from tests.conftest import ROOT


@pytest.mark.parametrize(("document", "names"), list(rules_doc.SECTIONS.items()))
def test_the_documents_carry_the_generated_sections(document, names):
    text = (ROOT / document).read_text("utf-8")
    assert rules_doc.replace_sections(text, names) == text, (
        f"{document} is out of date: run python -m consentkit.device_sdk.rules_doc --write"
    )


def test_every_rule_is_listed_with_its_releases_and_source():
    listed = rules_doc.rule_list()
    table = rules_doc.rule_table()
    for os_name in ("android", "ios"):
        for rule in os_rules_table(os_name):
            assert rule.source in listed and f"`{rule.id}`" in table
    assert "**Android 6–7**: granting one permission grants every permission" in listed
    assert "| iOS 14.5+ | `att` |" in table


def test_the_generator_rewrites_and_refuses_a_document_without_markers(tmp_path):
    for document in rules_doc.SECTIONS:
        (tmp_path / document).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / document, tmp_path / document)
    readme = tmp_path / "README.md"
    readme.write_text(readme.read_text().replace("**Android 6–7**", "**Android 6–8**"), "utf-8")
    assert rules_doc.main(["--write", "--root", str(tmp_path)]) == 0
    assert readme.read_text() == (ROOT / "README.md").read_text()
    readme.write_text("no markers here\n", "utf-8")
    assert rules_doc.main(["--write", "--root", str(tmp_path)]) == 1
