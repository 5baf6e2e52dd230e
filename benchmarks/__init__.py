"""Steward's benchmarks: the code behind ``steward bench ...``, kept out of the product packages.

Each module measures one thing and writes its figures to ``bench-results/``
(what each measures and how to read the files: ``docs/benchmarks.md``):

- ``benchmarks.e2e``: submit-to-succeeded time of an autonomous credit in a real browser;
- ``benchmarks.soak``: many credits through a faulty console (retries, double commits, memory);
- ``benchmarks.api``: submissions per second over HTTP, exactly once;
- ``benchmarks.audit`` (with its fixture ``benchmarks.audit_log``): audit appends, verification, proofs;
- ``benchmarks.policy``: policy decision and load time over a large generated policy;
- ``benchmarks.cli``: start-up time of CLI commands.

The dependency goes one way: benchmarks import the product packages, and no
product module imports ``benchmarks`` (``executor/cli/bench_cmds.py`` loads it
inside each command; ``tests/benchmarks/test_layout.py`` checks both).
"""

__all__: list[str] = []
