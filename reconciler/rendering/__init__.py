"""Renderers of plans and reports: text, JSON, Markdown."""
