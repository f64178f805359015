from consentkit.policy import taxonomy


def test_every_category_parent_exists():
    tax = taxonomy()
    for cat in tax.categories.values():
        assert cat.parent_key is None or cat.parent_key in tax.categories, cat.fides_key


def test_every_category_permission_is_a_known_permission():
    tax = taxonomy()
    for cat in tax.categories.values():
        for perm in cat.permissions:
            assert perm in tax.permissions, (cat.fides_key, perm)


def test_issue_vocabulary_is_present():
    tax = taxonomy()
    for perm in (
        "location.precise",
        "location.coarse",
        "location.background",
        "camera",
        "photos",
        "contacts",
        "phone.call",
        "phone.call_log",
        "phone.state",
        "tracking",
        "storage",
        "notifications",
    ):
        assert perm in tax.permissions
    for ident in ("imei", "android_id", "oaid", "idfa", "idfv", "mac", "imsi", "iccid", "serial"):
        assert tax.category(f"user.device.device_id.{ident}").is_device_identifier


def test_fideslang_keys_reused():
    tax = taxonomy()
    for key in (
        "user.location.precise",
        "user.contact.phone_number",
        "user.device.device_id",
        "user.name",
        "user.government_id",
        "user.account.username",
    ):
        assert key in tax.categories


def test_sensitive_marks_follow_pipl():
    tax = taxonomy()
    assert tax.is_sensitive("user.location.precise")
    assert tax.is_sensitive("user.government_id")
    assert not tax.is_sensitive("user.location.coarse")


def test_parent_categories_are_not_collectable():
    tax = taxonomy()
    assert not tax.category("user.location").collectable
    assert tax.category("user.location.coarse").collectable


def test_purpose_kinds_map_to_store_vocabularies():
    for kind in taxonomy().purpose_kinds.values():
        assert kind.apple in {
            "AppFunctionality",
            "Analytics",
            "ProductPersonalization",
            "DeveloperAdvertising",
            "ThirdPartyAdvertising",
            "Other",
        }
        assert kind.play
