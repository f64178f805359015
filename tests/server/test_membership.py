"""Membership by consent: an invitation the invitee accepts; members leave; admins remove;
every change audited; nobody is drafted."""

from sqlalchemy import select

from consentkit.server import db
from consentkit.server.models import AuditEntry, Invitation

from .conftest import new_phone


def _auth(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _admin(api, client, name="Acme"):
    tokens = api.register()
    assert (
        client.post("/api/v1/orgs", json={"name": name}, headers=_auth(tokens)).status_code == 201
    )
    return tokens


def _invite(client, admin, phone, role="member"):
    return client.post(
        "/api/v1/orgs/invitations", json={"phone": phone, "role": role}, headers=_auth(admin)
    )


def test_nobody_is_drafted_into_an_organization(api, client):
    """What the old POST /orgs/members did to a victim: added without asking, then unable
    to create their own organization, their customers visible to the attacker."""
    attacker = _admin(api, client, "Attacker Ltd")
    victim = api.register()
    assert (
        client.post(
            "/api/v1/orgs/members", json={"phone": victim["user"]["phone"]}, headers=_auth(attacker)
        ).status_code
        == 405
    )
    r = _invite(client, attacker, victim["user"]["phone"])
    assert r.status_code == 202 and r.json["status"] == "pending"
    assert client.get("/api/v1/orgs/me", headers=_auth(attacker)).json["members"] == 1
    r = client.get("/api/v1/orgs/me", headers=_auth(victim))
    assert r.status_code == 409 and r.json["code"] == "no_organization"
    # the victim declines, makes their own organization, and its customers stay its own
    [invitation] = client.get("/api/v1/me/invitations", headers=_auth(victim)).json
    assert invitation["organization"] == "Attacker Ltd"
    assert (
        client.post(
            f"/api/v1/me/invitations/{invitation['id']}/decline", headers=_auth(victim)
        ).status_code
        == 204
    )
    assert (
        client.post("/api/v1/orgs", json={"name": "Mine"}, headers=_auth(victim)).status_code == 201
    )
    client.post(
        "/api/v1/customers", json={"app_id": "fieldnotes", "name": "Mine"}, headers=_auth(victim)
    )
    assert client.get("/api/v1/customers", headers=_auth(attacker)).json == []
    assert client.get("/api/v1/me/invitations", headers=_auth(victim)).json == []


def test_invite_accept_leave_remove_and_roles(api, client):
    admin = _admin(api, client)
    ann = api.register()
    org = api.join(_auth(admin), ann)
    assert org["role"] == "member" and org["members"] == 2
    assert client.get("/api/v1/orgs/me", headers=_auth(ann)).json["role"] == "member"
    # a member cannot invite, remove or promote
    assert _invite(client, ann, new_phone()).status_code == 403
    admin_id = admin["user"]["id"]
    assert client.delete(f"/api/v1/orgs/members/{admin_id}", headers=_auth(ann)).status_code == 403
    members = client.get("/api/v1/orgs/members", headers=_auth(ann)).json
    assert {m["user_id"]: m["role"] for m in members} == {
        admin_id: "admin",
        ann["user"]["id"]: "member",
    }
    assert all("+86" not in m["phone_hint"] and len(m["phone_hint"]) == 4 for m in members)
    # the only admin cannot leave while a member stays, nor demote themself
    r = client.delete("/api/v1/orgs/me/membership", headers=_auth(admin))
    assert r.status_code == 409 and r.json["code"] == "last_admin"
    r = client.patch(
        f"/api/v1/orgs/members/{admin_id}", json={"role": "member"}, headers=_auth(admin)
    )
    assert r.status_code == 409 and r.json["code"] == "last_admin"
    # promote Ann; then the first admin may leave
    r = client.patch(
        f"/api/v1/orgs/members/{ann['user']['id']}", json={"role": "admin"}, headers=_auth(admin)
    )
    assert r.status_code == 200 and r.json["role"] == "admin"
    assert client.delete("/api/v1/orgs/me/membership", headers=_auth(admin)).status_code == 204
    assert client.get("/api/v1/orgs/me", headers=_auth(admin)).status_code == 409
    # Ann, now admin, invites Bob, then removes him
    bob = api.register()
    api.join(_auth(ann), bob)
    r = client.delete(f"/api/v1/orgs/members/{bob['user']['id']}", headers=_auth(ann))
    assert r.status_code == 204
    assert client.get("/api/v1/orgs/me", headers=_auth(bob)).json["code"] == "no_organization"
    # someone else's member id is unknown here
    other = _admin(api, client, "Other")
    r = client.delete(f"/api/v1/orgs/members/{other['user']['id']}", headers=_auth(ann))
    assert r.status_code == 404


def test_every_membership_change_is_audited(api, client, app):
    admin = _admin(api, client)
    ann, bob = api.register(), api.register()
    api.join(_auth(admin), ann, role="admin")
    r = _invite(client, admin, bob["user"]["phone"])
    client.post(f"/api/v1/me/invitations/{r.json['id']}/decline", headers=_auth(bob))
    gone = _invite(client, admin, new_phone())
    client.delete(f"/api/v1/orgs/invitations/{gone.json['id']}", headers=_auth(admin))
    client.patch(
        f"/api/v1/orgs/members/{ann['user']['id']}", json={"role": "member"}, headers=_auth(admin)
    )
    client.delete(f"/api/v1/orgs/members/{ann['user']['id']}", headers=_auth(admin))
    with app.app_context():
        actions = (
            db.session()
            .scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("org.%"))
                .order_by(AuditEntry.position)
            )
            .all()
        )
    assert actions == [
        "org.created",
        "org.invited",
        "org.invitation_accepted",
        "org.invited",
        "org.invitation_declined",
        "org.invited",
        "org.invitation_revoked",
        "org.role_changed",
        "org.member_removed",
    ]


def test_invitations_are_answered_by_their_invitee_only_and_once(api, client, app):
    admin = _admin(api, client)
    ann, eve = api.register(), api.register()
    r = _invite(client, admin, ann["user"]["phone"])
    invitation = r.json["id"]
    again = _invite(client, admin, ann["user"]["phone"])  # inviting twice: the same one
    assert again.status_code == 202 and again.json["id"] == invitation
    assert (
        client.post(f"/api/v1/me/invitations/{invitation}/accept", headers=_auth(eve)).status_code
        == 404
    )
    assert client.get("/api/v1/me/invitations", headers=_auth(eve)).json == []
    open_ones = client.get("/api/v1/orgs/invitations", headers=_auth(admin)).json
    assert [i["id"] for i in open_ones] == [invitation]
    assert open_ones[0]["phone_hint"] == ann["user"]["phone"][-4:]
    assert (
        client.post(f"/api/v1/me/invitations/{invitation}/accept", headers=_auth(ann)).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/me/invitations/{invitation}/accept", headers=_auth(ann)).status_code
        == 404
    )
    # a member of another organization leaves it first
    rival = _admin(api, client, "Rival")
    r = _invite(client, rival, ann["user"]["phone"])
    r = client.post(f"/api/v1/me/invitations/{r.json['id']}/accept", headers=_auth(ann))
    assert r.status_code == 409 and r.json["code"] == "already_member"
    # an unknown number is never stored: only a keyed hash and its last four digits
    stranger = new_phone()
    _invite(client, admin, stranger)
    with app.app_context():
        rows = db.session().scalars(select(Invitation)).all()
    assert stranger not in str([(r.phone_hash, r.phone_hint) for r in rows])
