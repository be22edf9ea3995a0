"""Data package: lets the installed lsweb find its templates (see lsweb/shipped.py)."""
