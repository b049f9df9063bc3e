"""Reading a member CSV: the file as a whole (size, encoding, delimiter, columns) and each
line (email, Discord user id, dates, variant, order id), each problem said in words.

A problem with the file refuses the whole file (`FileError`) and nothing is imported; a
problem with a line refuses that line, with its reason, and the others go on.
"""

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
REQUIRED = ("email", "discord_user_id", "paid_at")
OPTIONAL = ("access_ends_at", "days", "order_id", "variant_id")
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
SNOWFLAKE = re.compile(r"^\d{17,20}$")
COLUMNS_HELP = (
    "The first line must name the columns: email, discord_user_id, paid_at, and "
    "access_ends_at or days (optional: order_id, variant_id)."
)


class FileError(ValueError):
    """The file cannot be imported at all; the message says why and what to do."""


@dataclass
class Line:
    """One line as read: its fields, or the reason it is refused."""

    line: int
    email: str = ""
    discord_user_id: str = ""
    paid_at: datetime | None = None
    access_ends_at: datetime | None = None
    days: int | None = None
    order_ref: str = ""
    variant_ref: str = ""
    reason: str = ""


def read(raw, now=None):
    """The lines of an uploaded file (bytes); FileError when the file itself is unusable."""
    if len(raw) > MAX_BYTES:
        raise FileError(
            f"The file is {len(raw) / 1024 / 1024:.0f} MB; Rolegate imports files of up to "
            f"{MAX_BYTES // 1024 // 1024} MB (about 100,000 members). Split it and import each part."
        )
    try:
        text = raw.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileError(
            f"The file is not UTF-8 text (line {line} has a byte UTF-8 does not allow). Save it "
            "as “CSV UTF-8” (in Excel: File → Save As → CSV UTF-8) and upload it again."
        ) from exc
    if not text.strip():
        raise FileError("The file is empty. " + COLUMNS_HELP)
    if "\x00" in text:
        raise FileError("This is not a CSV file (it holds binary data). " + COLUMNS_HELP)
    first = text.lstrip().split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except csv.Error as exc:
        raise FileError(f"The first line could not be read ({exc}). " + COLUMNS_HELP) from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        names = ", ".join(f"“{c}”" for c in missing)
        raise FileError(f"The file has no column {names}. " + COLUMNS_HELP)
    index = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
    now = now or datetime.now(UTC)
    lines, seen = [], {}
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue  # blank lines are no members
            if len(lines) >= MAX_ROWS:
                raise FileError(f"The file has more than {MAX_ROWS:,} members. Split it.")
            number = reader.line_num
            row = {k: (values[i].strip() if i < len(values) else "") for k, i in index.items()}
            lines.append(_line(number, row, now, seen))
    except csv.Error as exc:
        raise FileError(f"Line {reader.line_num} could not be read ({exc}).") from exc
    if not lines:
        raise FileError("The file names its columns but has no member in it.")
    return lines


def _line(number, row, now, seen):
    line = Line(number, email=row["email"].lower(), discord_user_id=row["discord_user_id"],
                order_ref=row.get("order_id", ""), variant_ref=row.get("variant_id", ""))  # fmt: skip
    line.reason = _refusal(line, row, now)
    if not line.reason:
        line.order_ref = line.order_ref or derived_order_ref(line)
        if line.order_ref in seen:
            line.reason = f"Duplicate order id: line {seen[line.order_ref]} has the same."
        else:
            seen[line.order_ref] = number
    return line


def _refusal(line, row, now):
    if not EMAIL.match(line.email) or len(line.email) > 254:
        return f"Not an email address: “{row['email'][:60]}”."
    if not SNOWFLAKE.match(line.discord_user_id):
        return f"Not a Discord user ID (17 to 20 digits): “{line.discord_user_id[:40]}”."
    line.paid_at = _moment(row["paid_at"])
    if line.paid_at is None:
        return f"paid_at is not a date (like 2026-01-31 or 2026-01-31T10:00:00Z): “{row['paid_at'][:40]}”."
    if line.paid_at > now + timedelta(minutes=5):
        return "paid_at is in the future."
    if row.get("access_ends_at") and row.get("days"):
        return "Give access_ends_at or days, not both."
    if row.get("access_ends_at"):
        line.access_ends_at = _moment(row["access_ends_at"])
        if line.access_ends_at is None:
            return f"access_ends_at is not a date: “{row['access_ends_at'][:40]}”."
    elif row.get("days"):
        try:
            line.days = int(row["days"])
        except ValueError:
            return f"days is not a whole number: “{row['days'][:20]}”."
        if not 1 <= line.days <= 36500:
            return "days must be between 1 and 36500."
        line.access_ends_at = line.paid_at + timedelta(days=line.days)
    if line.access_ends_at is not None and line.access_ends_at <= line.paid_at:
        return "Access ends before it starts (access_ends_at is not after paid_at)."
    if line.access_ends_at is not None and line.access_ends_at <= now:
        return "Access has already ended: nothing to import."
    if len(line.order_ref) > 120:
        return "order_id is longer than 120 characters."
    return ""


def derived_order_ref(line):
    """The order id of a line without one: the same line imported again is the same order."""
    digest = hashlib.sha256(
        f"{line.email}|{line.discord_user_id}|{line.paid_at.isoformat()}".encode()
    ).hexdigest()
    return f"import-{digest[:20]}"


def _moment(value):
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1) if len(value) > 10 else value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
