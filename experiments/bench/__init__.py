"""Benchmarks of simulation speed (``fearsim-bench``)."""
