"""Benchmarks that print their figures; each runs on a private platform and stops by itself."""
