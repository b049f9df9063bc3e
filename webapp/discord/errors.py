"""Discord's errors as values: permanent or retryable, each with a sentence to act on."""

PERMANENT = {
    50013: (
        "Missing permissions: the role sits above Rolegate's bot role, or the bot lacks Manage "
        "Roles / Kick Members / Create Invite. In Discord open Server Settings → Roles, drag the "
        "Rolegate bot's role above the roles it gives and check its permissions, then Retry.",
        "The community's bot is not allowed to do this yet. The seller has been told; "
        "try again later.",
    ),
    50001: (
        "Missing access: Rolegate's bot is no longer on this server. Reconnect the app "
        "(Automation → Apps → Reconnect), then Retry.",
        "The community's server is not reachable right now. The seller has been told.",
    ),
    10004: (
        "Unknown server: it was deleted, or the bot was removed from it. Reconnect the app to "
        "a server, then Retry.",
        "The community's server is not reachable right now. The seller has been told.",
    ),
    10011: (
        "Unknown role: the role was deleted in Discord. Choose another role in the automation, "
        "then Retry.",
        "A role of this community no longer exists. The seller has been told.",
    ),
    10013: (
        "Unknown user: this Discord account no longer exists. Ask the buyer to link another "
        "account from their claim link.",
        "Discord does not know this account any more. Connect another Discord account.",
    ),
    40007: (
        "The buyer is banned from this server. Unban them in Discord (Server Settings → Bans) "
        "if they should have access, then Retry.",
        "Your Discord account is banned from this server, so you cannot be added. Contact "
        "the seller.",
    ),
    30001: (
        "The buyer is already in 100 servers, Discord's maximum. They must leave a server, "
        "then you can Retry.",
        "Your Discord account is in 100 servers, Discord's maximum. Leave a server, then "
        "open this page again.",
    ),
    340015: (
        "Discord refused to add this buyer until they finish the server's onboarding or "
        "membership screening. Ask them to open the server in Discord and complete it, then "
        "Retry.",
        "Discord asks you to finish this server's onboarding questions first. Open the server "
        "in Discord, complete them, then come back to this page.",
    ),
    10007: (
        "Unknown member: the buyer is not on the server.",
        "You are not on the server (yet).",
    ),
}
TOKEN_CODES = {50025}
GENERIC_SELLER = "Discord refused the request ({detail}). Check the app's connection, then Retry."
GENERIC_BUYER = "Discord could not complete this step. The seller has been told."


class DiscordError(Exception):
    """An error answer from Discord (or none at all)."""

    permanent = False

    def __init__(self, status=None, code=None, message=""):
        self.status, self.code, self.message = status, code, message or ""
        super().__init__(f"HTTP {status} code {code}: {message}" if status else message)

    @property
    def seller_message(self):
        """What the seller should do about it."""
        known = PERMANENT.get(self.code)
        if known:
            return known[0]
        return GENERIC_SELLER.format(detail=self.message or f"HTTP {self.status}")

    @property
    def buyer_message(self):
        """The same, in words a buyer understands."""
        known = PERMANENT.get(self.code)
        return known[1] if known else GENERIC_BUYER


class RetryableError(DiscordError):
    """A 5xx, a timeout or a dropped connection: try again later."""

    @property
    def seller_message(self):
        """Rolegate retries these by itself."""
        return (
            f"Discord did not answer properly ({self.message or self.status}). Rolegate retries "
            "automatically."
        )


class RateLimited(RetryableError):
    """Discord (or our own limiter) says: not before `retry_after` seconds."""

    def __init__(self, retry_after, status=429, code=None, message="rate limited", scope=None):
        super().__init__(status, code, message)
        self.retry_after = float(retry_after)
        self.scope = scope


class PermanentError(DiscordError):
    """Sending the same request again will fail the same way: a person must act."""

    permanent = True


class MissingPermissions(PermanentError):
    """50013: role above the bot, or a permission missing."""


class MissingAccess(PermanentError):
    """50001: the bot is not on the server."""


class UnknownGuild(PermanentError):
    """10004."""


class UnknownRole(PermanentError):
    """10011."""


class UnknownMember(PermanentError):
    """10007 (a removal treats it as already done)."""


class UnknownUser(PermanentError):
    """10013."""


class Banned(PermanentError):
    """40007: the buyer is banned from the server."""


class TooManyGuilds(PermanentError):
    """30001: the buyer is in 100 servers."""


class OnboardingRequired(PermanentError):
    """340015."""


class BotUnauthorized(PermanentError):
    """401 on the bot's own token: it was reset or is wrong."""

    @property
    def seller_message(self):
        """Only the operator can fix the bot token."""
        return (
            "Discord refused Rolegate's bot token (HTTP 401). The operator must set a valid "
            "DISCORD_BOT_TOKEN; Retry once it is fixed."
        )


class ClientUnauthorized(PermanentError):
    """OAuth `invalid_client`: the app's client id or secret is wrong."""

    @property
    def seller_message(self):
        """Only the operator can fix the OAuth client."""
        return (
            "Discord refused Rolegate's OAuth client credentials. The operator must check "
            "DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET; Retry once they are fixed."
        )


class TokenError(DiscordError):
    """A buyer's OAuth token was refused: refresh it once, else the buyer links again."""

    permanent = True

    @property
    def seller_message(self):
        """The buyer must act."""
        return (
            "The buyer's Discord authorisation was refused or expired. Rolegate asked them to "
            "open their claim link again."
        )

    @property
    def buyer_message(self):
        """Reconnect."""
        return "Discord no longer accepts your authorisation. Press “Connect Discord” again."


CLASSES = {
    50013: MissingPermissions,
    50001: MissingAccess,
    10004: UnknownGuild,
    10011: UnknownRole,
    10007: UnknownMember,
    10013: UnknownUser,
    40007: Banned,
    30001: TooManyGuilds,
    340015: OnboardingRequired,
}


def error_for(status, body, bearer=False):
    """The exception for an error answer (`body` is the parsed JSON or None)."""
    body = body if isinstance(body, dict) else {}
    code = body.get("code")
    message = body.get("message") or body.get("error_description") or body.get("error") or ""
    if status == 429:
        return RateLimited(
            body.get("retry_after", 1.0), code=code, message=message or "rate limited"
        )
    if status >= 500:
        return RetryableError(status, code, message or "server error")
    if body.get("error") == "invalid_client":
        return ClientUnauthorized(status, code, message)
    if code in TOKEN_CODES or (bearer and status == 401) or body.get("error") == "invalid_grant":
        return TokenError(status, code, message)
    if status == 401:
        return BotUnauthorized(status, code, message)
    return CLASSES.get(code, PermanentError)(status, code, message)


def buyer_message_for(code, status=None):
    """The buyer's sentence for a stored error code."""
    if code in PERMANENT:
        return PERMANENT[code][1]
    if code in TOKEN_CODES:
        return TokenError().buyer_message
    return GENERIC_BUYER
