"""Messages to buyers: reminders before access ends, welcomes, payment failures (SPEC §12)."""
