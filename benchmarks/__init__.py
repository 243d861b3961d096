"""mvcpy's benchmark suite: in-process cost, router scaling and over-the-wire throughput.

Run everything with ``python benchmarks/run.py``; see ``BENCHMARKS.md`` at the repo root.
"""
