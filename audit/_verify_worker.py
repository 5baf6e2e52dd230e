"""Worker process for parallel verification: a JSON plan on stdin, JSON results on stdout.

Run as ``python -m audit._verify_worker`` by ``audit._parallel``; not an API.
"""

from __future__ import annotations

import json
import sys

from audit._parallel import check_chunk, encode


def main() -> None:
    """Check every chunk of the plan and print the results."""
    plan = json.loads(sys.stdin.read())
    out = [
        {"start": lo, **encode(check_chunk(plan["url"], lo, hi, plan["sizes"], plan["level"]))}
        for lo, hi in plan["chunks"]
    ]
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
