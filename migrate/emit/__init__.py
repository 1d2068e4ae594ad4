"""Generating target code from a PrecisionSpec."""
