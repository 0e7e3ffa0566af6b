"""Command-line entry points, one module per command (thin: parse, call, report)."""
