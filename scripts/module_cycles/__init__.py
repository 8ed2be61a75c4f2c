"""The module-cycle check of `scripts/check-module-cycles.py`, in parts."""
