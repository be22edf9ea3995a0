"""Data package: lets the installed lsweb find its migrations (see lsweb/shipped.py)."""
