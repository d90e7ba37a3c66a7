"""Benchmarks of the bot through a real PTB Application; run ``python -m benchmarks.run``."""
