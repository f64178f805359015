"""docs/manifest.md documents every key the validator accepts."""

import re

from marshmallow import Schema, fields

from consentkit.policy.schema import ManifestSchema
from consentkit.policy.taxonomy import taxonomy
from tests.conftest import ROOT

DOC = ROOT / "docs" / "manifest.md"


def accepted_keys(schema: Schema, prefix: str = "") -> list[str]:
    """Every key path the schema accepts: ``<>`` for a mapping's own keys, ``[]`` for items."""
    out = []
    for name, field in schema.fields.items():
        path = f"{prefix}{name}"
        out.append(path)
        out += _inner(field, path)
    return out


def _inner(field: fields.Field, path: str) -> list[str]:
    if isinstance(field, fields.Nested):
        return accepted_keys(field.schema, f"{path}.")
    if isinstance(field, fields.List):
        return _inner(field.inner, f"{path}[]")
    if isinstance(field, fields.Dict) and field.value_field is not None:
        return _inner(field.value_field, f"{path}.<>")
    return []


def _documented() -> set[str]:
    text = DOC.read_text("utf-8")
    spans = re.findall(r"`([a-z_][a-z0-9_.<>\[\]-]*)`", text)
    return {re.sub(r"<[^>]*>", "<>", s) for s in spans}


def test_every_accepted_key_is_documented():
    keys = accepted_keys(ManifestSchema())
    assert len(keys) > 80
    missing = [k for k in keys if k not in _documented()]
    assert missing == [], f"not in docs/manifest.md: {missing}"


def test_every_word_of_the_closed_lists_is_documented():
    text = DOC.read_text("utf-8")
    for vocabulary, words in taxonomy().vocabularies.items():
        for word in words:
            assert f"`{word}`" in text, f"{vocabulary} word {word!r} is not in docs/manifest.md"


def test_docs_send_no_reader_to_shared():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert "shared/MANIFEST.md" not in path.read_text("utf-8"), path


def test_the_complete_example_validates():
    from consentkit.policy import parse_manifest

    text = DOC.read_text("utf-8").split("## A complete example", 1)[1]
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    m = parse_manifest(example, source="docs/manifest.md")
    assert m.notice.policy_change.before == "P7D" and m.storage.cross_border == "with_consent"
