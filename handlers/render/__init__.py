"""Renderers: one reply model, three shapes (plain text, Slack Block Kit, WeCom markdown).

Each renderer escapes user text for its own platform; the reply model never holds markup.
"""
