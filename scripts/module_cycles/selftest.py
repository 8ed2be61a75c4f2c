"""Self-test: toy crates the checker must fail on, and ones it must pass."""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict

from .crate_tree import Crate
from .cycles import strongly_connected


TOYS = {
    # A cycle through `crate::` in code, a `use`, and a re-export of the root.
    "cyclic": ({
        "lib.rs": "mod a;\nmod b;\nmod c;\npub use c::Gamma;\n",
        "a.rs": "use crate::b::Beta;\npub struct Alpha;\n",
        "b.rs": "pub struct Beta;\nfn f() { let _ = crate::Gamma; }\n",
        "c.rs": "pub struct Gamma;\n// crate::b::Beta in a comment is no edge\n"
                "fn g() -> super::a::Alpha { super::a::Alpha }\n",
    }, {("a", "b"), ("b", "c"), ("c", "a")}),
    # A cycle one level down, through a glob import of the parent's imports.
    "nested": ({
        "lib.rs": "mod outer;\n",
        "outer/mod.rs": "mod x;\nmod y;\nuse self::y::Why;\n",
        "outer/x.rs": "use super::*;\npub struct Ex;\nfn f(_: Why) {}\n",
        "outer/y.rs": "pub struct Why;\nfn f(_: crate::outer::x::Ex) {}\n",
    }, {("x", "y"), ("y", "x")}),
    # No cycle: children naming their parent's items, inline test modules, strings, a
    # parent re-exporting its children, and one-way sibling edges.
    "acyclic": ({
        "lib.rs": "mod a;\nmod b;\npub use a::Alpha;\npub struct Root;\n",
        "a.rs": "pub struct Alpha;\nfn f() -> crate::Root { crate::Root }\n"
                "mod inner { use super::*; fn g() -> Alpha { Alpha } }\n"
                "#[cfg(test)]\nmod tests {\n    use super::*;\n    const S: &str = \"crate::b::x\";\n}\n",
        "b.rs": "use crate::Alpha;\nmod kid;\npub(in crate::b) struct Beta;\n",
        "b/kid.rs": "use super::Beta;\nfn f(_: super::super::a::Alpha) {}\n",
    }, set()),
}


def self_test() -> int:
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (files, expected) in TOYS.items():
            src = os.path.join(tmp, name, "src")
            for rel, body in files.items():
                os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
                with open(os.path.join(src, rel), "w", encoding="utf-8") as f:
                    f.write(body)
            crate = Crate(src)
            found = {pair for edges in crate.edges().values() for pair in edges}
            cyclic = any(len(c) > 1 for edges in crate.edges().values()
                         for c in strongly_connected({x for e in edges for x in e},
                                                     _succ(edges)))
            want_cycle = bool(expected)
            ok = (cyclic == want_cycle) and (not expected or expected <= found)
            if name == "acyclic":
                ok = ok and ("b", "a") in found and ("a", "b") not in found
            print(f"self-test {name}: {'ok' if ok else 'FAILED'} (edges {sorted(found)})")
            failures += not ok
    if failures:
        return 1
    print("self-test: ok")
    return 0


def _succ(edges):
    succ = defaultdict(set)
    for a, b in edges:
        succ[a].add(b)
    return succ
