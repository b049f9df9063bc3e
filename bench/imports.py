"""Importing 50,000 members (SPEC §11): how long the upload and check (the preview) take, how
long the import takes, and the Discord calls it used — List Guild Members for the check, a
give for each member who lacks the role — against the rate permitted.

The sandbox server has the 50,000 members, 49,500 of them with Pro already (adopted) and
500 without (given). The upload goes through the real page (the app in this process, its
test client); the check and the import run in a real worker process.
"""

import io
import time
from datetime import UTC, datetime, timedelta

from bench.setup import PRO, connected_seller
from sandbox import seed

N = 50_000
MISSING = 500
FIRST = 230000000000000000
LIST = "GET /guilds/{guild_id}/members"
GIVE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"


def csv_bytes(n=N):
    """The file a seller exports from their old tool."""
    paid = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d")
    lines = ["email,discord_user_id,paid_at,days"]
    lines += [f"m{i}@example.com,{FIRST + i},{paid},30" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def _wait(imp_id, state, timeout):
    from webapp.db import db
    from webapp.models import MemberImport

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with db.connection_context():
            imp = MemberImport.get_by_id(imp_id)
        if imp.state in (state, "failed"):
            return imp, time.perf_counter() - started
        time.sleep(0.2)
    raise TimeoutError(f"import not {state} after {timeout} s")


def run(stack):
    """Seconds of each step, the figures of the check, and the Discord rates."""
    from tests.fixtures.app import csrf_from
    from webapp.db import db
    from webapp.models import Automation, MemberImport, Product

    app_ = stack.flask_app()
    seller, app = connected_seller(stack)
    with db.connection_context():
        product = Product.create(seller=seller.id, external_id="course", name="Course")
        Automation.create(seller=seller.id, app=app.id, event="purchase", action="assign_role",
                          role_id=PRO, role_name="Pro")  # fmt: skip
    stack.sandbox.add_members(seed.GUILD_ID, FIRST, N - MISSING, roles=[PRO])
    stack.sandbox.add_members(seed.GUILD_ID, FIRST + N - MISSING, MISSING)
    content = csv_bytes()
    stack.processes.worker()
    client = app_.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": "bench@example.com", "password": "bench password!",
                                "csrf_token": token})  # fmt: skip
    before = stack.sandbox.stats()
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    started = time.perf_counter()
    answer = client.post(f"/products/{product.id}/imports", content_type="multipart/form-data",
                         data={"csrf_token": csrf_from(page),
                               "file": (io.BytesIO(content), "members.csv")})  # fmt: skip
    upload_s = time.perf_counter() - started
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    with db.connection_context():
        imp_id = MemberImport.select().order_by(MemberImport.id.desc()).get().id
    imp, check_s = _wait(imp_id, "checked", 900)
    checked = stack.sandbox.stats()
    lists = checked["by_route"].get(LIST, 0) - before["by_route"].get(LIST, 0)
    location = answer.headers["Location"]
    token = csrf_from(client.get(location).get_data(as_text=True))
    started = time.perf_counter()
    client.post(f"{location}/confirm", data={"csrf_token": token})
    imp, apply_s = _wait(imp_id, "done", 1800)
    # The gives of the 500 without the role drain at Discord's pace.
    drain_started = time.perf_counter()
    while time.perf_counter() - drain_started < 600:
        given = stack.sandbox.stats()["by_route"].get(GIVE, 0) - before["by_route"].get(GIVE, 0)
        if given >= MISSING:
            break
        time.sleep(0.5)
    drain_s = time.perf_counter() - started
    after = stack.sandbox.stats()
    return {
        "rows": N, "ok": imp.ok, "imported": imp.imported, "upload_s": upload_s,
        "check_s": check_s, "apply_s": apply_s, "gives": given, "gives_done_s": drain_s,
        "list_calls": lists, "limited": after["rate_limited"] - before["rate_limited"],
        "size_mb": len(content) / 1024 / 1024,
    }  # fmt: skip


if __name__ == "__main__":
    from bench.harness import main

    main(run)
