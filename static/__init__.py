"""Data package: lets the installed lsweb find its static (see lsweb/shipped.py)."""
