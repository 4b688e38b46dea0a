#!/usr/bin/env python3
"""Fails when modules of a crate import each other in a cycle.

Usage: scripts/module-cycles.py <crate src dir>...

Every `crate::a::b` and `super::x` path is resolved to the module that holds it. An edge
between two modules counts between their ancestors that are siblings (so `booking/service`
using `event::models` is an edge `booking -> event`); a parent and its own children are
not a cycle (a parent declares its children, children use what the parent defines).
Test modules (`tests`, `#[cfg(test)] mod tests`) are left out.
"""

import os
import re
import sys


def modules(src):
    """Module path (a tuple) -> source text, for every file under `src`."""
    found = {}
    for root, _, files in os.walk(src):
        for file in files:
            if not file.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, file), src)[:-3]
            path = () if rel in ("lib", "main") else tuple(rel.split("/"))
            if path and path[-1] == "mod":
                path = path[:-1]
            if "tests" in path:
                continue
            with open(os.path.join(root, file)) as f:
                text = f.read()
            found[path] = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", text, flags=re.S)
    return found


def deepest(mods, parts):
    """The longest prefix of `parts` that names a module."""
    for n in range(len(parts), -1, -1):
        if tuple(parts[:n]) in mods:
            return tuple(parts[:n])
    return ()


def edges(mods):
    out = set()
    for module, text in mods.items():
        for m in re.finditer(r"\b(crate|super)::(\{[^}]*\}|(?:\w+::)*\w+)", text):
            base = [] if m.group(1) == "crate" else list(module[:-1])
            rest = m.group(2)
            if rest.startswith("{"):
                heads = [n.strip().split("::")[0] for n in rest.strip("{}").split(",") if n.strip()]
                targets = [deepest(mods, base + [h]) for h in heads]
            else:
                targets = [deepest(mods, base + rest.split("::"))]
            out.update((module, t) for t in targets if t != module)
    return out


def sibling_edges(all_edges):
    out = set()
    for a, b in all_edges:
        k = 0
        while k < min(len(a), len(b)) and a[k] == b[k]:
            k += 1
        if k < len(a) and k < len(b):
            out.add((a[: k + 1], b[: k + 1]))
    return out


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    nodes = {n for edge in graph for n in edge}
    succ = {n: sorted(b for a, b in graph if a == n) for n in nodes}
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(n):
        index[n] = low[n] = len(index)
        stack.append(n)
        on_stack.add(n)
        for s in succ[n]:
            if s not in index:
                visit(s)
                low[n] = min(low[n], low[s])
            elif s in on_stack:
                low[n] = min(low[n], index[s])
        if low[n] == index[n]:
            component = []
            while True:
                s = stack.pop()
                on_stack.discard(s)
                component.append(s)
                if s == n:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return found


def main():
    failed = False
    for src in sys.argv[1:]:
        for component in cycles(sibling_edges(edges(modules(src)))):
            failed = True
            print(f"{src}: modules import each other: {', '.join('::'.join(m) for m in component)}")
    if failed:
        sys.exit(1)
    print(f"no module cycles in {len(sys.argv) - 1} crates")


if __name__ == "__main__":
    main()
