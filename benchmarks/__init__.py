"""Benchmarks: measure the registry over real HTTP, always next to floors measured in the same run.

An absolute figure ("4,000 reads/s") says as much about the machine as about the registry, so
every workload is reported beside a *floor* measured in the same run, on the same database and
machine: the bare HTTP server returning the same bytes, plain executemany of the same rows, and
one hand-written SQL query for the same look-up. The ratio to the floor is what carries over
between machines. ``python -m benchmarks --help`` runs it; ``benchmarks/README.md`` explains it.
"""
