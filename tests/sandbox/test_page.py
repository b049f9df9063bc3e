"""The live page's buttons: what a person does in Discord's client, dispatched on the gateway."""

import requests

from tests.fixtures.world import ANN, GUILD


def press(sandbox, path):
    return requests.post(f"{sandbox.url}/_sandbox/page/{GUILD}/{path}", allow_redirects=False,
                         timeout=5)  # fmt: skip


def members(sandbox):
    return {m["user"]["id"]: m["roles"] for m in sandbox.guild(GUILD)["members"]}


def test_a_person_can_leave_rejoin_lose_a_role_delete_a_role_and_kick_the_bot(sandbox):
    sandbox.install_bot(GUILD)
    pro = next(r["id"] for r in sandbox.guild(GUILD)["roles"] if r["name"] == "Pro")
    sandbox.add_member(GUILD, ANN, [pro])
    page = requests.get(sandbox.url + "/", timeout=5).text
    assert "Remove Pro from ann" in page and "ann leaves" in page and "Delete role Pro" in page
    assert press(sandbox, f"members/{ANN}/roles/{pro}/remove").status_code == 303
    assert members(sandbox)[ANN] == []
    press(sandbox, f"members/{ANN}/leave")
    assert ANN not in members(sandbox)
    assert "ann joins" in requests.get(sandbox.url + "/", timeout=5).text
    press(sandbox, f"members/{ANN}/join")
    assert members(sandbox)[ANN] == []
    press(sandbox, f"roles/{pro}/delete")
    assert pro not in {r["id"] for r in sandbox.guild(GUILD)["roles"]}
    press(sandbox, "bot/kick")
    assert sandbox.guild(GUILD)["bot_in_guild"] is False
    assert sandbox.gateway()["dispatches"] == 0  # no bot session was open: nothing to send
    assert press(sandbox, "members/999/roles/1/remove").status_code == 404
