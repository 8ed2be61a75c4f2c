#!/usr/bin/env python3
"""Fails when the modules of a crate depend on each other in a cycle.

For every crate under crates/*/src, this reads the module tree (`mod x;` files and inline
`mod x { … }` blocks) and every path a module names: `use` trees, and paths in code such as
`crate::x::y`, `super::x`, `self::x`, `$crate::x` or a name brought in by a `use` or a glob
import. Each path is resolved to the module that defines the item it names (re-exports such as
`pub use pipeline::Importer` in lib.rs are followed to `pipeline`).

A reference from module `P::a::…` to an item of `P::b::…` is an edge `a → b` between the
siblings `a` and `b` of `P`. A module naming its own ancestors' items (`super::Thing` defined in
the parent's file) or its descendants is no edge: a parent and its children are one unit at the
parent's level. The graph of each level is checked for strongly connected components; each one
with more than one module is a cycle, printed with the file:line of every edge in it.

Comments, string literals and doc comments (intra-doc links) are not references. Test modules
count like any other module: a cycle through a test is still a cycle a reader has to follow.
Method calls (`importer.run_images()` on a type whose `impl` lives elsewhere) are not seen; only
names are.

Usage: scripts/check-module-cycles.py [CRATE_SRC_DIR …]   (default: crates/*/src)
       scripts/check-module-cycles.py --self-test          (runs the checker on toy crates)
"""

from __future__ import annotations

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from module_cycles.cycles import check_crate  # noqa: E402
from module_cycles.selftest import self_test  # noqa: E402


def main(argv) -> int:
    if argv[1:2] == ["--self-test"]:
        return self_test()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    srcs = argv[1:] or sorted(
        os.path.join(root, "crates", c, "src") for c in os.listdir(os.path.join(root, "crates"))
        if os.path.isdir(os.path.join(root, "crates", c, "src")))
    total = sum(check_crate(src) for src in srcs)
    if total:
        print(f"module cycles: {total} found", file=sys.stderr)
        return 1
    print(f"module cycles: none in {len(srcs)} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
