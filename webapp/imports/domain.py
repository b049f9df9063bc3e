"""Importing the members a seller already has (SPEC §11).

1. **Upload** (`create`): the file is read and each line checked on its own (`csvfile`); a
   file that cannot be read is refused whole, nothing stored. The lines are stored with
   the import, in one transaction.
2. **Check** (job `check`): the server's members are listed (List Guild Members, 1,000 a
   call: 50 calls for 50,000 members, through the shared rate limiter), and each line is
   decided: refused (not on the server, linked to another Discord account, unknown variant,
   …), already imported (its order exists: importing the same file twice changes nothing),
   or OK with its plan — the roles of the product's "Order paid" automations the member
   already has are *adopted* (they count as Rolegate's: the end of access takes them, the
   one exception to "never undo what Rolegate did not give", because the seller said so),
   the missing ones are *given*.
3. **Import** (job `apply`, after the seller confirms): in batches, each line becomes an
   order marked "import" (paid at its date, ending at its end), its buyer linked to the
   Discord account, the adopted roles written as held grants, gives queued for the missing
   ones, the expiry scheduled. Each batch is one transaction with the lines' new state, so a
   job that dies resumes where it stopped and a line is never imported twice.

Progress is kept in the import's row (the page polls it; it survives a reload or a restart).
"""

import logging
from datetime import timedelta

import peewee

from webapp import jobs
from webapp.access import catalog, planner
from webapp.db import utcnow, write_transaction
from webapp.discord.errors import DiscordError
from webapp.imports import csvfile
from webapp.models import App, Automation, Customer, Grant, ImportRow, MemberImport, Order, lookups
from webapp.services import get_discord

log = logging.getLogger("rolegate.imports")
BATCH = 500
GIVES = {"add_to_server": "membership", "assign_role": "role"}
STALE = timedelta(minutes=10)  # no progress this long: the job is gone, offer to resume


def create(seller, product, filename, raw):
    """Store the file's lines and queue the check; FileError when the file is unusable."""
    lines = csvfile.read(raw)
    variants = {v.external_id: v.id for v in product.variants}
    with write_transaction():
        imp = MemberImport.create(seller=seller.id, product=product.id, rows=len(lines),
                                  filename=(filename or "")[:255])  # fmt: skip
        rows = []
        for line in lines:
            reason, variant = line.reason, None
            if not reason and line.variant_ref:
                variant = variants.get(line.variant_ref)
                if variant is None:
                    reason = f"Unknown variant “{line.variant_ref[:60]}” for this product."
            rows.append({
                "member_import": imp.id, "line": line.line, "email": line.email[:254],
                "discord_user_id": line.discord_user_id[:32], "paid_at": line.paid_at,
                "access_ends_at": line.access_ends_at, "days": line.days,
                "order_ref": line.order_ref[:128], "variant": variant,
                "state": "refused" if reason else "ok", "reason": reason,
            })  # fmt: skip
        for start in range(0, len(rows), BATCH):
            ImportRow.insert_many(rows[start : start + BATCH]).execute()
        jobs.enqueue_import(jobs.CHECK_IMPORT, imp.id)
    return imp


def automations_of(product):
    """The product's enabled "Order paid" automations that give something, with their app."""
    return list(
        Automation.select(Automation, App)
        .join(App)
        .where(
            (Automation.seller == product.seller_id) & (Automation.event == "purchase")
            & Automation.enabled & Automation.action.in_(list(GIVES))
            & ((Automation.product == product.id) | Automation.product.is_null())
            & App.guild_id.is_null(False)
        )
        .order_by(Automation.id)
    )  # fmt: skip


def _thing(automation):
    return automation.role_id or "membership"


def _fail(imp, message):
    MemberImport.update(state="failed", error=message, updated_at=utcnow()).where(
        MemberImport.id == imp.id
    ).execute()
    log.warning("import %s failed: %s", imp.id, message)
    return 0


def server_members(guild_id):
    """{user id: set of role ids} of every member of the server, 1,000 per call."""
    members, after = {}, "0"
    discord = get_discord()
    while True:
        page = discord.list_members(guild_id, after=after, limit=1000)
        for member in page:
            members[member["user"]["id"]] = set(member.get("roles", []))
        if len(page) < 1000:
            return members
        after = page[-1]["user"]["id"]


def check(import_id):
    """The check job: decide every line against the server and the database."""
    imp = MemberImport.get_or_none(MemberImport.id == import_id)
    if imp is None or imp.state != "checking":
        return 0
    automations = automations_of(imp.product)
    if not automations:
        return _fail(imp, "This product has no “Order paid” automation that gives a role or a "
                          "place on the server: add it first, then import again.")  # fmt: skip
    guilds = {}
    try:
        for automation in automations:
            if automation.app.guild_id not in guilds:
                guilds[automation.app.guild_id] = server_members(automation.app.guild_id)
    except DiscordError as exc:
        return _fail(imp, "Discord did not list the server's members: "
                          f"{getattr(exc, 'seller_message', str(exc))} Listing members needs the "
                          "Server Members Intent (developer portal → Bot → Privileged Gateway "
                          "Intents).")  # fmt: skip
    after = 0
    while True:
        with write_transaction():
            batch = list(ImportRow.select().where((ImportRow.member_import == imp.id)
                                                  & (ImportRow.line > after))
                         .order_by(ImportRow.line).limit(BATCH))  # fmt: skip
            if not batch:
                break
            _decide(imp, batch, automations, guilds)
            after = batch[-1].line
            MemberImport.update(checked=MemberImport.checked + len(batch), updated_at=utcnow()
                                ).where(MemberImport.id == imp.id).execute()  # fmt: skip
    counts = dict(
        ImportRow.select(ImportRow.state, peewee.fn.COUNT(ImportRow.id))
        .where(ImportRow.member_import == imp.id)
        .group_by(ImportRow.state)
        .tuples()
    )
    MemberImport.update(
        state="checked", ok=counts.get("ok", 0), refused=counts.get("refused", 0),
        existing=counts.get("exists", 0), updated_at=utcnow(),
    ).where(MemberImport.id == imp.id).execute()  # fmt: skip
    return counts.get("ok", 0)


def _decide(imp, batch, automations, guilds):
    refs = [r.order_ref for r in batch if r.state == "ok"]
    existing = {
        o.external_id
        for o in Order.select(Order.external_id).where(
            (Order.seller == imp.seller_id) & Order.external_id.in_(refs)
        )
    }
    emails = [r.email for r in batch if r.state == "ok"]
    linked = dict(
        Customer.select(Customer.email, Customer.discord_user_id)
        .where((Customer.seller == imp.seller_id) & Customer.email.in_(emails)
               & Customer.discord_user_id.is_null(False))
        .tuples()
    )  # fmt: skip
    for row in batch:
        if row.state != "ok":
            continue
        if row.order_ref in existing:
            row.state, row.reason = "exists", "Already imported: nothing to do."
        elif linked.get(row.email) not in (None, row.discord_user_id):
            row.state = "refused"
            row.reason = f"This email is linked to Discord account {linked[row.email]} already."
        else:
            adopt, give, away = [], [], None
            for automation in automations:
                roles = guilds[automation.app.guild_id].get(row.discord_user_id)
                if roles is None:
                    away = automation.app.guild_name or automation.app.name
                    break
                has = automation.action == "add_to_server" or automation.role_id in roles
                (adopt if has else give).append(_thing(automation))
            if away:
                row.state = "refused"
                row.reason = (f"Not on the server “{away}”: they must join first (or give them "
                              "access by hand, and they join through the claim link).")  # fmt: skip
            else:
                row.adopt, row.give = ",".join(adopt), ",".join(give)
        row.save(only=[ImportRow.state, ImportRow.reason, ImportRow.adopt, ImportRow.give])


def confirm(imp):
    """The seller confirmed: queue the import (again, when a previous job stopped)."""
    changed = (
        MemberImport.update(state="importing", confirmed_at=utcnow(), updated_at=utcnow())
        .where((MemberImport.id == imp.id) & MemberImport.state.in_(("checked", "importing")))
        .execute()
    )
    if changed:
        jobs.enqueue_import(jobs.APPLY_IMPORT, imp.id)
    return bool(changed)


def stalled(imp):
    """True when an import has made no progress for a while (its job is gone)."""
    return imp.state in ("checking", "importing") and imp.updated_at < utcnow() - STALE


def resume(imp):
    """Queue the job of a stalled import again (each step picks up where it stopped)."""
    if imp.state == "checking":
        jobs.enqueue_import(jobs.CHECK_IMPORT, imp.id)
    elif imp.state == "importing":
        jobs.enqueue_import(jobs.APPLY_IMPORT, imp.id)


def apply(import_id):
    """The import job: every OK line becomes an order, batch after batch."""
    imp = MemberImport.get_or_none(MemberImport.id == import_id)
    if imp is None or imp.state != "importing":
        return 0
    product = imp.product
    automations = automations_of(product)
    done = 0
    while True:
        with write_transaction():
            batch = list(ImportRow.select().where((ImportRow.member_import == imp.id)
                                                  & (ImportRow.state == "ok"))
                         .order_by(ImportRow.line).limit(BATCH))  # fmt: skip
            if not batch:
                break
            ids = []
            for row in batch:
                ids += _import_line(imp, product, automations, row)
            jobs.enqueue_actions(ids)
            imported = sum(r.state == "imported" for r in batch)
            MemberImport.update(imported=MemberImport.imported + imported, updated_at=utcnow()
                                ).where(MemberImport.id == imp.id).execute()  # fmt: skip
            done += imported
    MemberImport.update(state="done", finished_at=utcnow(), updated_at=utcnow()).where(
        MemberImport.id == imp.id
    ).execute()
    log.info("import %s: %d member(s) imported", imp.id, done)
    return done


def _import_line(imp, product, automations, row):
    """One line → one order with its grants and gives; the ids of the gives queued."""
    now = utcnow()
    customer, _ = catalog.customer_for(imp.seller_id, row.email)
    if customer.discord_user_id is None:
        Customer.update(discord_user_id=row.discord_user_id, linked_at=now,
                        link_count=Customer.link_count + 1).where(
            (Customer.id == customer.id) & Customer.discord_user_id.is_null()).execute()  # fmt: skip
        customer = Customer.get_by_id(customer.id)
    if customer.discord_user_id != row.discord_user_id:
        return _refuse(row, f"This email is linked to Discord account {customer.discord_user_id} "
                            "already.")  # fmt: skip
    ends, reason = row.access_ends_at, "time_limit"
    if ends is None:
        days = catalog.access_days(product, row.variant)
        ends = row.paid_at + timedelta(days=days) if days else None
    if ends is not None and ends <= now:
        return _refuse(row, "Access has already ended (the product's rule from paid_at).")
    order = Order(seller=imp.seller_id, external_id=row.order_ref, customer=customer.id,
                  product=product.id, variant=row.variant_id, paid_at=row.paid_at,
                  access_ends_at=ends, end_reason=reason if ends else None, status="active",
                  source="import", created_at=now, updated_at=now)  # fmt: skip
    if lookups.order_insert_unless_there.save_new(order).id is None:
        row.state, row.reason = "exists", "Already imported: nothing to do."
        row.save(only=[ImportRow.state, ImportRow.reason])
        return []
    adopted = set(filter(None, row.adopt.split(",")))
    ids = []
    for automation in automations:
        if _thing(automation) in adopted:
            kind = GIVES[automation.action]
            # An adopted role ends with the access (the seller said it is Rolegate's); the
            # place on the server follows the product's expiry automations, as for a sale.
            ends_with = kind == "role" or planner.ends_with_access(
                order, automation.app_id, kind, automation.role_id or "")  # fmt: skip
            Grant.insert(
                order=order.id, customer=customer.id, app=automation.app_id,
                guild_id=automation.app.guild_id, kind=kind,
                role_id=automation.role_id or "", discord_user_id=row.discord_user_id,
                state="active", preexisting=False, via="purchase", ends_with_access=ends_with,
                granted_at=now,
            ).on_conflict_ignore().execute()  # fmt: skip
        elif new := planner.give_for_automation(order, customer, automation, automation.app):
            ids.append(new)
    if ends is not None:
        jobs.schedule_expiry(order.id, ends)
    row.state = "imported"
    row.save(only=[ImportRow.state])
    return ids


def _refuse(row, reason):
    row.state, row.reason = "refused", reason
    row.save(only=[ImportRow.state, ImportRow.reason])
    return []


def summary(imp, limit=200):
    """What the import page shows: refused lines with reasons, OK lines with their plan."""
    rows = ImportRow.select().where(ImportRow.member_import == imp.id).order_by(ImportRow.line)
    return {
        "refused": list(rows.where(ImportRow.state == "refused").limit(limit)),
        "ok": list(rows.where(ImportRow.state.in_(("ok", "imported"))).limit(50)),
    }
