"""The ``embedis`` command line: ``python -m embedis <command>``.

Commands:

- ``check-aof [--fix] FILE``: check an append-only file (an ``.incr.aof`` file, a base, or
  the ``.manifest`` and every file it lists), as ``redis-check-aof`` does, and say what
  ``--fix`` would cut (or cut it, with ``--fix``). Exit status 0 when every file is valid
  (or was fixed), 1 otherwise.

- ``serve [options]``: serve a broker over RESP to any Redis client, with redis-server's
  option names (``embedis serve --help``; see ``embedis/_serve.py``).

Each command is a subparser below.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from . import _serve
from ._embedis import check_aof


def _check_aof(args: argparse.Namespace) -> int:
    try:
        results: list[dict[str, Any]] = check_aof(args.file, fix=args.fix)
    except Exception as e:  # noqa: BLE001 - reported to the user, exit status 2
        print(f"check-aof: {e}", file=sys.stderr)
        return 2
    status = 0
    for r in results:
        name = r["file"]
        if r["ok"]:
            print(f"AOF {name} is valid ({r['size']} bytes, {r['commands']} commands)")
            continue
        kind = "torn tail (a crash while the last command was written)" if r["torn"] else "damage"
        print(f"AOF {name}: {kind} at offset {r['offset']}: {r['problem']}")
        keep = r["offset"]
        if r["fixed"]:
            print(f"  fixed: cut {r['cut']} bytes, kept {keep} bytes")
        else:
            print(f"  --fix would cut {r['cut']} bytes from offset {keep} to the end, keeping {keep} bytes")
            if not r["torn"]:
                print("  everything after the damage would be lost; keep a copy of the file first")
            status = 1
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m embedis", description="embedis command line tools")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check-aof", help="check (and with --fix repair) an append-only file")
    check.add_argument("--fix", action="store_true", help="truncate the file at the first problem")
    check.add_argument("file", help="an .aof file, a base file, or the .manifest of an AOF directory")
    check.set_defaults(func=_check_aof)
    _serve.add_parser(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
