"""Renderers of a plan: terminal text, JSON, HTML."""
