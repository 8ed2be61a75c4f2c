"""Cycles: the strongly connected components of each level's graph, printed with the
file:line of every edge in them."""

from __future__ import annotations

import os
import sys
from collections import defaultdict

from .crate_tree import Crate


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
