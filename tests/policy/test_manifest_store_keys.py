"""The manifest's store-form extensions are validated, each problem located."""

import pytest
import yaml

from consentkit.policy import ManifestInvalid, parse_manifest


def problems(text: str) -> list[str]:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(text, source="m.yaml")
    return [str(p) for p in caught.value.problems]


def with_keys(fieldnotes_text: str, extra: str) -> str:
    return fieldnotes_text.rstrip("\n") + "\n" + extra


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_extensions_load(fieldnotes_text):
    text = with_keys(
        fieldnotes_text,
        "accounts: {creation: [password, oauth], outside_app: [enterprise],"
        " deletion_url: 'https://example.com/delete'}\n"
        "security: {encrypted_in_transit: true}\n"
        "required_reason_apis: {user_defaults: [CA92.1], file_timestamp: [C617.1, 3B52.1]}\n",
    )
    data = yaml.safe_load(text)
    data["permissions"]["camera"]["translations"] = {"zh-Hans": "相机", "zh-Hant": "相機"}
    data["third_parties"][0]["sdk_name"] = "AdMeasure SDK"
    m = parse_manifest(yaml.safe_dump(data, allow_unicode=True))
    assert m.accounts.creation == ("password", "oauth") and m.accounts.outside_app == (
        "enterprise",
    )
    assert m.accounts.deletion_url == "https://example.com/delete"
    assert m.security.encrypted_in_transit is True
    assert m.required_reason_apis == {
        "user_defaults": ("CA92.1",),
        "file_timestamp": ("C617.1", "3B52.1"),
    }
    assert m.permissions["camera"].text("zh-Hant") == "相機"
    assert m.permissions["camera"].text("zh-Hans") == "相机"
    assert m.permissions["camera"].text() == m.permissions["camera"].rationale
    assert m.third_parties[0].is_sdk


def test_a_format_1_file_without_them_means_what_it_meant(fieldnotes_text):
    m = parse_manifest(fieldnotes_text)
    assert m.accounts is None and m.security is None and m.required_reason_apis == {}
    assert m.permissions["camera"].translations == {}


def test_required_reason_apis_against_apples_list(fieldnotes_text):
    text = with_keys(
        fieldnotes_text,
        "required_reason_apis:\n"
        "  user_defalts: [CA92.1]\n"
        "  file_timestamp: [C617.1, C671.1]\n"
        "  disk_space: [B728.1, B728.1]\n"
        "  system_boot_time: []\n"
        "  active_keyboards: [54BD.1]\n"
        "  user_defaults: [C56D.1]\n",
    )
    found = problems(text)
    assert (
        f"m.yaml:{line_of(text, 'user_defalts')}: required_reason_apis.user_defalts: unknown "
        "required-reason API 'user_defalts'; did you mean 'user_defaults'?"
    ) in [f.split("; Apple's")[0] for f in found]
    assert any(
        f.startswith(
            f"m.yaml:{line_of(text, 'C671.1')}: required_reason_apis.file_timestamp[1]: "
            "'C671.1' is not a reason Apple approves for file_timestamp; did you mean 'C617.1'?"
        )
        for f in found
    ), found
    assert any("required_reason_apis.disk_space: a reason code is listed twice" in f for f in found)
    assert any(
        "required_reason_apis.system_boot_time: name at least one reason code" in f for f in found
    )
    assert any(
        "required_reason_apis.user_defaults[0]: 'C56D.1' may be declared only by a third-party SDK"
        in f
        for f in found
    ), found
    assert not any(": required_reason_apis.active_keyboards" in f for f in found)


def test_accounts_words_and_link(fieldnotes_text):
    text = with_keys(
        fieldnotes_text,
        "accounts:\n  creation: [password, none, sms]\n  outside_app: [sim]\n"
        "  deletion_url: delete-me\n",
    )
    found = problems(text)
    assert any("accounts.creation[2]: unknown word 'sms'" in f for f in found), found
    assert any("accounts.outside_app[0]: unknown word 'sim'" in f for f in found), found
    assert any(
        f"m.yaml:{line_of(text, 'deletion_url')}: accounts.deletion_url: must be a web address" in f
        for f in found
    )
    text = with_keys(fieldnotes_text, "accounts: {creation: [password, none]}\n")
    assert any(
        "accounts.creation: 'none' says the app lets nobody create an account" in f
        for f in problems(text)
    )


def test_security_and_translations(fieldnotes_text):
    found = problems(with_keys(fieldnotes_text, "security: {encrypted: yes}\n"))
    assert any("security.encrypted: unknown key" in f for f in found), found
    assert any("security.encrypted_in_transit: required key is missing" in f for f in found)
    data = yaml.safe_load(fieldnotes_text)
    data["permissions"]["camera"]["translations"] = {"fr": "La caméra", "zh-Hans": ""}
    found = problems(yaml.safe_dump(data, allow_unicode=True))
    assert any("permissions.camera.translations.fr: bad key: unknown word 'fr'" in f for f in found)
    assert any(
        "permissions.camera.translations.zh-Hans: give the translated text" in f for f in found
    )


def test_docs_list_every_required_reason_api_and_code():
    from consentkit.policy.apple_vocab import apple_vocab
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "manifest.md").read_text("utf-8")
    for word, api in apple_vocab().reason_apis.items():
        assert f"| `{word}` | `{api.category}` |" in text
        for code in api.reasons:
            assert f"`{code}`" in text, code
