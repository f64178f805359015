"""`consentkit policy coverage`: every promise sentence of a policy is mapped to manifest
entries or justified; edits to the policy show as stale references."""

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.examples import manifest_paths
from consentkit.policy.clauses import clause_map_path
from consentkit.policy.promises import promise_table
from consentkit.policy.sentences import split_sentences
from tests.conftest import ROOT


def _seeds_dir() -> Path | None:
    """The seed policies: $CONSENTKIT_SEEDS, else shared/seeds beside the checkout (or
    beside the folder of worktrees that holds it)."""
    if os.environ.get("CONSENTKIT_SEEDS"):
        return Path(os.environ["CONSENTKIT_SEEDS"])
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "seeds").is_dir():
            return base / "shared" / "seeds"
    return None


SEEDS = _seeds_dir()
needs_seeds = pytest.mark.skipif(
    SEEDS is None, reason="the seed policies (../shared/seeds) are not beside this checkout"
)


def _run(*args: str):
    return CliRunner().invoke(main, ["policy", "coverage", *map(str, args)])


def _seed_text(manifest: Path) -> Path:
    clauses = yaml.safe_load(clause_map_path(manifest).read_text("utf-8"))
    return SEEDS / clauses["policy"]["file"]


@needs_seeds
@pytest.mark.parametrize("manifest", manifest_paths(), ids=lambda p: p.stem)
def test_every_seed_is_fully_mapped_or_justified(manifest):
    result = _run(manifest, "--text", _seed_text(manifest), "--format", "json")
    report = json.loads(result.output)
    summary = report["summary"]
    assert result.exit_code == 0, [p for p in report["promises"] if p["status"] == "missing"]
    assert summary["missing"] == summary["stale"] == summary["broken"] == 0
    assert summary["percent"] == 100.0
    assert summary["promises"] >= 20 and summary["mapped"] >= 9
    assert summary["choices"] > 0  # every seed manifest marks what the policy does not say


@needs_seeds
def test_an_edited_policy_shows_stale_clauses(tmp_path):
    manifest = next(p for p in manifest_paths() if p.stem == "zhenyi-erp")
    text = _seed_text(manifest).read_text("utf-8")
    edited = tmp_path / "policy.txt"
    edited.write_text("We may collect nothing more.\n" + text, "utf-8")
    result = _run(manifest, "--text", edited, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    stale = report["stale"]
    assert stale and all(s["moved_to"] == int(s["ref"].split("#")[0]) + 1 for s in stale)
    assert report["promises"][0]["status"] == "missing"  # the new sentence is unmapped


@needs_seeds
def test_people_read_entries_and_reasons():
    manifest = next(p for p in manifest_paths() if p.stem == "incs")
    result = _run(manifest, "--text", _seed_text(manifest))
    assert result.exit_code == 0
    assert "→ features.share_location" in result.output
    assert "✗ not machine-checkable: legal_exemption" in result.output
    assert "100.0% mapped-or-justified" in result.output


POLICY = (
    "We collect your phone number to log you in. We will respond within 15 days.\n"
    "Our office is in Guangzhou.\n"
    "我们不会主动获取并存储您的通话信息。我们将在15个工作日内回复您的请求。\n"
)


def test_sentences_split_english_and_chinese():
    sentences = split_sentences(POLICY)
    assert [s.text for s in sentences] == [
        "We collect your phone number to log you in.",
        "We will respond within 15 days.",
        "Our office is in Guangzhou.",
        "我们不会主动获取并存储您的通话信息。",
        "我们将在15个工作日内回复您的请求。",
    ]
    assert sentences[3].ref == f"4#{sentences[3].hash}" and len(sentences[3].hash) == 8


def test_promise_patterns_in_both_languages():
    table = promise_table()
    found = [table.match(s.text) for s in split_sentences(POLICY)]
    assert [m.is_promise for m in found] == [True, True, False, True, True]
    assert "collect" in found[0].actions and "phone_number" in found[0].subjects
    assert "within_days" in found[1].deadlines
    assert {"obtain", "store"} <= set(found[3].actions) and "calls" in found[3].subjects
    assert "within_days" in found[4].deadlines


def _small(tmp_path, clauses: dict) -> tuple[Path, Path]:
    policy = tmp_path / "policy.txt"
    policy.write_text(POLICY, "utf-8")
    manifest = tmp_path / "m.yaml"
    manifest.write_text((ROOT / "tests" / "policy" / "fieldnotes.yaml").read_text("utf-8"))
    (tmp_path / "clauses").mkdir()
    (tmp_path / "clauses" / "m.yaml").write_text(yaml.safe_dump(clauses), "utf-8")
    return manifest, policy


def test_unmapped_promise_exits_1_and_scaffold_lists_it(tmp_path):
    refs = [s.ref for s in split_sentences(POLICY)]
    manifest, policy = _small(
        tmp_path,
        {
            "clauses": [
                {
                    "sentences": [refs[0]],
                    "expresses": ["data_categories.user.contact.phone_number"],
                },
                {"sentences": [refs[1], refs[4]], "expresses": ["rights.access"]},
            ]
        },
    )
    result = _run(manifest, "--text", policy)
    assert result.exit_code == 1
    assert f"{refs[3]} (line 3) [missing]" in result.output
    scaffold = _run(manifest, "--text", policy, "--scaffold")
    assert scaffold.exit_code == 0
    assert f"- sentences: ['{refs[3]}']" in scaffold.output and "unchecked: TODO" in scaffold.output


def test_a_path_that_names_nothing_is_broken(tmp_path):
    refs = [s.ref for s in split_sentences(POLICY)]
    manifest, policy = _small(
        tmp_path,
        {
            "clauses": [
                {"sentences": refs, "expresses": ["data_categories.user.contact.fax"]},
            ]
        },
    )
    result = _run(manifest, "--text", policy, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output)["broken"] == [
        {"clause": 0, "path": "data_categories.user.contact.fax"}
    ]


@pytest.mark.parametrize(
    ("clauses", "message"),
    [
        ({"clauses": [{"sentences": ["1"], "unchecked": "vague"}]}, "POSITION#HASH8"),
        ({"clauses": [{"sentences": ["1#00000000"]}]}, "either expresses"),
        ({"clauses": [{"sentences": ["1#00000000"], "unchecked": "vauge"}]}, "did you mean"),
        ({"clauses": [{"sentences": ["1#00000000"], "unchecked": "x", "oops": 1}]}, "unknown"),
    ],
)
def test_a_bad_clause_map_is_a_located_error(tmp_path, clauses, message):
    manifest, policy = _small(tmp_path, clauses)
    result = _run(manifest, "--text", policy)
    assert result.exit_code == 2
    assert "clauses/m.yaml" in result.output and message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_inputs_exit_2(tmp_path):
    manifest, policy = _small(tmp_path, {"clauses": []})
    assert _run(manifest, "--text", tmp_path / "nope.txt").exit_code == 2
    assert _run(tmp_path / "nope.yaml", "--text", policy).exit_code == 2
    (tmp_path / "clauses" / "m.yaml").unlink()
    result = _run(manifest, "--text", policy)
    assert result.exit_code == 2 and "--scaffold" in result.output
