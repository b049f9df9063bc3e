"""Talking to Discord: the REST client, its shared rate limits and its errors."""

from webapp.discord.http import DiscordHTTP, Route

__all__ = ["DiscordHTTP", "Route"]
