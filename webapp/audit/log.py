"""The audit log: every change a seller makes, with its time and what changed (SPEC §11).

Written by the pages that make the change (`record`), in the change's own transaction when
there is one; read by Settings → Audit log, filtered by area and words, and exported as CSV.
A secret is never written: only that it was set, replaced or removed.
"""

import csv
import io
import json

from flask_login import current_user

from webapp import spreadsheet
from webapp.db import utcnow
from webapp.models import AuditEntry

AREAS = {
    "product": "Products and variants",
    "automation": "Automations",
    "app": "Apps",
    "checkout": "Checkouts and secrets",
    "access": "Access given, ended or extended by hand",
    "account": "Account and settings",
    "brake": "Removal brake",
    "import": "Imports",
}
PAGE = 50


def record(area, summary, changes=None, link="", seller_id=None, actor=None):
    """Write one entry. `changes`: {field: (before, after)}; unchanged fields are dropped."""
    changes = {k: [_plain(a), _plain(b)] for k, (a, b) in (changes or {}).items() if a != b}
    return AuditEntry.create(
        seller=seller_id if seller_id is not None else current_user.id,
        actor=actor if actor is not None else getattr(current_user, "email", ""),
        area=area, summary=summary, changes=json.dumps(changes, ensure_ascii=False) if changes else "",
        link=link, at=utcnow(),
    )  # fmt: skip


def changed(before, after, fields):
    """{field: (before, after)} of `fields` between two snapshots (dicts or objects)."""
    get = _getter(before)
    now = _getter(after)
    return {f: (get(f), now(f)) for f in fields if get(f) != now(f)}


def snapshot(obj, fields):
    """The fields' values now, to compare after a change."""
    return {f: getattr(obj, f) for f in fields}


def entries(seller_id, area="", words="", before=None, limit=PAGE):
    """The seller's entries, newest first; `before`: an entry id to page on from."""
    query = AuditEntry.select().where(AuditEntry.seller == seller_id)
    if area:
        query = query.where(AuditEntry.area == area)
    if words:
        query = query.where(AuditEntry.summary.contains(words) | AuditEntry.changes.contains(words))
    if before:
        query = query.where(AuditEntry.id < before)
    return list(query.order_by(AuditEntry.id.desc()).limit(limit))


def described_changes(entry):
    """[(field, before, after)] of an entry."""
    if not entry.changes:
        return []
    return [(field, a, b) for field, (a, b) in json.loads(entry.changes).items()]


def as_csv(seller_id, area="", words=""):
    """Every matching entry, oldest first, as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time (UTC)", "by", "area", "what", "changes"])
    before = None
    rows = []
    while batch := entries(seller_id, area, words, before, limit=1000):
        rows.extend(batch)
        before = batch[-1].id
    for entry in reversed(rows):
        writer.writerow([
            entry.at.strftime("%Y-%m-%d %H:%M:%S"), entry.actor, AREAS.get(entry.area, entry.area),
            spreadsheet.cell(entry.summary),
            spreadsheet.cell("; ".join(f"{f}: {a} → {b}" for f, a, b in described_changes(entry))),
        ])  # fmt: skip
    return out.getvalue()


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _getter(thing):
    if isinstance(thing, dict):
        return thing.get
    return lambda f: getattr(thing, f)
