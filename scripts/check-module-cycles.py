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
import re
import sys
import tempfile
from collections import defaultdict

KEYWORDS = {
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
    "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true",
    "type", "union", "unsafe", "use", "where", "while", "macro_rules",
}
ITEM_KEYWORDS = {"struct", "enum", "fn", "trait", "type", "const", "static", "union"}


# ---------------------------------------------------------------------------------------------
# Lexing: blank out comments and literals (keeping line breaks), then split into tokens.


def strip_source(text: str) -> str:
    """Replaces comments, string, byte-string and char literals with spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)

    def blank(s: str) -> str:
        return "".join(c if c == "\n" else " " for c in s)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif (m := re.compile(r'b?r(#*)"').match(text, i)) and (
            i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
        ):
            end = text.find('"' + m.group(1), m.end())
            end = n if end < 0 else end + 1 + len(m.group(1))
            out.append(blank(text[i:end]))
            i = end
        elif c == '"' or (c == "b" and text.startswith('b"', i) and
                          (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"))):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(blank(text[i:j + 1]))
            i = j + 1
        elif c == "'":
            m = re.compile(r"b?'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'").match(
                text, i)
            if m:
                out.append(blank(m.group(0)))
                i = m.end()
            else:  # a lifetime or label
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


TOKEN = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*|::|\S")


def tokenize(text: str):
    """Yields (token, line) pairs of the stripped source."""
    stripped = strip_source(text)
    for line_no, line in enumerate(stripped.split("\n"), start=1):
        for m in TOKEN.finditer(line):
            yield m.group(0), line_no


def is_ident(tok: str) -> bool:
    return bool(re.fullmatch(r"\$?[A-Za-z_][A-Za-z0-9_]*", tok))


# ---------------------------------------------------------------------------------------------
# The module tree of one crate.


class Module:
    def __init__(self, path: tuple, file: str):
        self.path = path  # e.g. ("images", "stage"); () is the crate root
        self.file = file
        self.children: dict[str, "Module"] = {}
        self.items: set[str] = set()
        self.imports: dict[str, tuple] = {}  # local name -> path segments as written
        self.globs: list[tuple] = []  # glob import paths as written
        self.refs: list[tuple] = []  # (segments, file, line, kind) kind: "path" | "bare"


class Crate:
    def __init__(self, src: str):
        self.src = src
        self.modules: dict[tuple, Module] = {}
        self.pending: list[tuple] = []
        root_file = None
        for name in ("lib.rs", "main.rs"):
            if os.path.isfile(os.path.join(src, name)):
                root_file = os.path.join(src, name)
                break
        if root_file is None:
            raise SystemExit(f"module cycles: no lib.rs or main.rs in {src}")
        self.load_file((), root_file, os.path.dirname(root_file))

    def rel(self, file: str) -> str:
        return os.path.relpath(file, os.path.dirname(self.src))

    def module(self, path: tuple, file: str) -> Module:
        if path not in self.modules:
            self.modules[path] = Module(path, file)
            if path:
                self.modules[path[:-1]].children[path[-1]] = self.modules[path]
        return self.modules[path]

    def load_file(self, path: tuple, file: str, child_dir: str):
        with open(file, encoding="utf-8") as f:
            tokens = list(tokenize(f.read()))
        self.parse(tokens, path, file, child_dir)

    def parse(self, toks, path: tuple, file: str, child_dir: str):
        """Walks a file's tokens, tracking inline modules by their braces."""
        stack = [(path, child_dir, -1)]  # (module path, folder of its file children, depth)
        depth = 0
        i, n = 0, len(toks)
        self.module(path, file)
        prev = None
        while i < n:
            tok, line = toks[i]
            cur_path, cur_dir, _ = stack[-1]
            cur = self.modules[cur_path]
            nxt = toks[i + 1][0] if i + 1 < n else None
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
                if len(stack) > 1 and depth == stack[-1][2]:
                    stack.pop()
            elif tok == "pub" and nxt == "(":
                # Visibility such as pub(crate), pub(super), pub(in crate::x): not a reference.
                j = i + 2
                while j < n and toks[j][0] != ")":
                    j += 1
                i = j + 1
                prev = ")"
                continue
            elif tok == "mod" and nxt and is_ident(nxt) and prev not in ("::", "."):
                name = nxt
                after = toks[i + 2][0] if i + 2 < n else None
                child_path = cur_path + (name,)
                if after == ";":
                    self.load_child_file(child_path, file, cur_dir, name)
                    i += 3
                    prev = ";"
                    continue
                if after == "{":
                    self.module(child_path, file)
                    stack.append((child_path, os.path.join(cur_dir, name), depth))
                    depth += 1
                    i += 3
                    prev = "{"
                    continue
            elif tok == "use" and prev not in ("::", "."):
                j = i + 1
                while j < n and toks[j][0] != ";":
                    j += 1
                self.parse_use(cur, toks[i + 1:j], file)
                i = j + 1
                prev = ";"
                continue
            elif tok in ITEM_KEYWORDS and nxt and is_ident(nxt) and nxt not in KEYWORDS:
                cur.items.add(nxt)
            elif tok == "macro_rules" and nxt == "!" and i + 2 < n:
                cur.items.add(toks[i + 2][0])
                i += 3
                prev = None
                continue
            elif is_ident(tok) and prev not in ("::", ".", "'") and tok not in KEYWORDS - {
                    "crate", "self", "super"} and tok != "Self":
                # A path: ident (:: ident)*. A lone name is kept too, for glob imports.
                segs = [tok]
                j = i + 1
                while j + 1 < n and toks[j][0] == "::" and is_ident(toks[j + 1][0]):
                    segs.append(toks[j + 1][0])
                    j += 2
                if len(segs) > 1 or tok in ("crate", "self", "super", "$crate"):
                    cur.refs.append((tuple(segs), file, line, "path"))
                elif nxt in ("(", "!", "{") or tok[:1].isupper():
                    cur.refs.append((tuple(segs), file, line, "bare"))
                prev = segs[-1]
                i = j
                continue
            prev = tok
            i += 1

    def load_child_file(self, child_path: tuple, parent_file: str, child_dir: str, name: str):
        for cand in (os.path.join(child_dir, name + ".rs"),
                     os.path.join(child_dir, name, "mod.rs")):
            if os.path.isfile(cand):
                grand_dir = (os.path.dirname(cand) if cand.endswith("mod.rs")
                             else cand[:-3])
                self.load_file(child_path, cand, grand_dir)
                return
        print(f"module cycles: {self.rel(parent_file)}: no file for `mod {name};`",
              file=sys.stderr)

    def parse_use(self, mod: Module, toks, file: str):
        """Records every leaf of a use tree as an import and a reference."""
        pos = 0

        def tree(prefix: list):
            nonlocal pos
            segs = list(prefix)
            line = toks[pos][1] if pos < len(toks) else 0
            if pos < len(toks) and toks[pos][0] == "::":  # `use ::std::…`
                pos += 1
                segs.append("::")
            while pos < len(toks):
                tok = toks[pos][0]
                if tok == "{":
                    pos += 1
                    while pos < len(toks) and toks[pos][0] != "}":
                        tree(segs)
                        if pos < len(toks) and toks[pos][0] == ",":
                            pos += 1
                    pos += 1
                    return
                if tok == "*":
                    pos += 1
                    mod.globs.append(tuple(segs))
                    mod.refs.append((tuple(segs), file, line, "path"))
                    return
                if is_ident(tok):
                    line = toks[pos][1]
                    segs.append(tok)
                    pos += 1
                    if pos < len(toks) and toks[pos][0] == "::":
                        pos += 1
                        continue
                    alias = segs[-1]
                    if pos + 1 < len(toks) and toks[pos][0] == "as":
                        alias = toks[pos + 1][0]
                        pos += 2
                    target = tuple(segs[:-1]) if segs[-1] == "self" else tuple(segs)
                    if alias == "self":
                        alias = target[-1] if target else alias
                    if "::" not in target:
                        if alias != "_":
                            mod.imports[alias] = target
                        mod.refs.append((target, file, line, "path"))
                    return
                pos += 1  # anything unexpected: skip it
        while pos < len(toks):
            tree([])
            if pos < len(toks) and toks[pos][0] == ",":
                pos += 1

    # -----------------------------------------------------------------------------------------
    # Name resolution.

    def resolve(self, mod_path: tuple, segs: tuple, seen=None):
        """The absolute path a path written in `mod_path` names, or None (another crate)."""
        if not segs:
            return mod_path
        first, rest = segs[0], segs[1:]
        if first in ("crate", "$crate"):
            return self.canonical(rest)
        if first == "self":
            return self.canonical(mod_path + rest)
        if first == "super":
            base = mod_path
            while segs and segs[0] == "super":
                if not base:
                    return None
                base, segs = base[:-1], segs[1:]
            return self.canonical(base + segs)
        found = self.lookup(mod_path, first, seen or set())
        if found is None:
            return None
        return self.canonical(found + rest)

    def lookup(self, mod_path: tuple, name: str, seen: set):
        """The absolute path of `name` in the scope of a module, or None."""
        key = (mod_path, name)
        if key in seen:
            return None
        seen = seen | {key}
        mod = self.modules.get(mod_path)
        if mod is None:
            return None
        if name in mod.children or name in mod.items:
            return mod_path + (name,)
        if name in mod.imports:
            return self.resolve(mod_path, mod.imports[name], seen)
        for glob in mod.globs:
            target = self.resolve(mod_path, glob, seen)
            if target is not None and target in self.modules:
                found = self.lookup(target, name, seen)
                if found is not None:
                    return found
        return None

    def canonical(self, path: tuple, depth: int = 0):
        """Follows a path down the module tree and through re-exports."""
        cur = ()
        for k, seg in enumerate(path):
            mod = self.modules[cur]
            if seg in mod.children:
                cur = cur + (seg,)
                continue
            if depth < 20 and seg not in mod.items and (
                    seg in mod.imports or mod.globs):
                found = self.lookup(cur, seg, set())
                if found is not None and found != cur + (seg,):
                    return self.canonical(found + path[k + 1:], depth + 1)
            return cur + path[k:]
        return cur

    def module_of(self, path: tuple) -> tuple:
        """The deepest module on a path (the module that defines the item it names)."""
        cur = ()
        for seg in path:
            if seg in self.modules[cur].children:
                cur = cur + (seg,)
            else:
                break
        return cur

    def edges(self):
        """{level: {(a, b): [(file, line), …]}} for every sibling edge a → b under level."""
        out = defaultdict(lambda: defaultdict(list))
        for mod in self.modules.values():
            for segs, file, line, kind in mod.refs:
                if kind == "bare" and (not mod.globs or segs[0] in mod.imports
                                       or segs[0] in mod.items or segs[0] in mod.children):
                    continue  # a lone name counts only when a glob import brings it
                target = self.resolve(mod.path, segs)
                if target is None:
                    continue
                tmod = self.module_of(target)
                src = mod.path
                k = 0
                while k < len(src) and k < len(tmod) and src[k] == tmod[k]:
                    k += 1
                if k < len(src) and k < len(tmod):
                    loc = (self.rel(file), line)
                    bucket = out[src[:k]][(src[k], tmod[k])]
                    if loc not in bucket:
                        bucket.append(loc)
        return out


# ---------------------------------------------------------------------------------------------
# Cycles.


def strongly_connected(nodes, succ):
    index, low, on, stack, comps = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(succ.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comps.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return comps


def check_crate(src: str, out=sys.stdout) -> int:
    crate = Crate(src)
    name = os.path.basename(os.path.dirname(os.path.abspath(src)))
    cycles = 0
    for level, edges in sorted(crate.edges().items()):
        succ = defaultdict(set)
        nodes = set()
        for a, b in edges:
            succ[a].add(b)
            nodes.update((a, b))
        for comp in strongly_connected(nodes, succ):
            if len(comp) < 2:
                continue
            cycles += 1
            where = "crate::" + "::".join(level) + ("::" if level else "")
            members = ", ".join(comp)
            print(f"module cycle in {name}: {where}{{{members}}}", file=out)
            for a in comp:
                for b in comp:
                    if (a, b) in edges:
                        locs = edges[(a, b)]
                        shown = ", ".join(f"{f}:{ln}" for f, ln in locs[:6])
                        more = f" (+{len(locs) - 6} more)" if len(locs) > 6 else ""
                        print(f"  {a} -> {b}: {shown}{more}", file=out)
    return cycles


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


# ---------------------------------------------------------------------------------------------
# Self-test: toy crates the checker must fail on, and ones it must pass.


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


if __name__ == "__main__":
    sys.exit(main(sys.argv))
