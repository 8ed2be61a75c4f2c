"""The module tree of one crate: its modules (files and inline blocks), the items each defines,
the paths each names, and the edges between sibling modules those paths make."""

from __future__ import annotations

import os
import re
import sys
from collections import defaultdict

from .lexing import ITEM_KEYWORDS, KEYWORDS, is_ident, tokenize


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
