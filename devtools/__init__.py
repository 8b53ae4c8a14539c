"""Tooling: demo data, seeding and benchmarks. At the top of the import graph: no app imports it."""
