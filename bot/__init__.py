"""The Telegram adapter and the composition root."""
