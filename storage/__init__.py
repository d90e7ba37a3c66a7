"""Durable storage of partnerships, members, invites, answers and conversation state."""
