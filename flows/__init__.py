"""The canvas and the conversation, free of any chat transport."""
