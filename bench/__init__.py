"""Benchmarks (`make bench`), not timed tests: they print numbers for a person to read."""
