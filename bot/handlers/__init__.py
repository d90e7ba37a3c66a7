"""Handlers, one module per concern; each module registers its own."""
