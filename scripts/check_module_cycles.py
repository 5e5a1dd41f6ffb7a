#!/usr/bin/env python3
"""Checks that the modules of a crate's `src/` import each other without cycles.

Usage: check_module_cycles.py [--edges] [--known=SRC_DIR:MOD,MOD,...]... CRATE_SRC_DIR...

A module is a file (`a/b.rs` or `a/b/mod.rs` is module `a::b`; `lib.rs` is the root). An edge
A -> B is any path in A's `use` declarations (and fully qualified `crate::`/`super::` paths in its
code) naming module B or an item of B. A module's own child modules are not edges (a `mod`
declaration is not an import), and `#[cfg(test)]` test modules (`tests/`, `mod tests`) are
left out: tests may reach anywhere. For each directory prints every cycle (each set of modules
importing each other in a circle; with `--edges` the whole graph too); exits 1 if any has one,
except a cycle named exactly by a `--known` (a debt listed where CI runs, to be paid), and
also if a `--known` cycle is gone (so the list only shrinks with the code).
"""

import os
import re
import sys


def module_name(root, path):
    rel = os.path.relpath(path, root)[:-3]
    parts = rel.split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts)


def strip_tests(text):
    """Drops `#[cfg(test)] [pub(..)] mod x { ... }` blocks and comments."""
    text = re.sub(r"//[^\n]*", "", text)
    out, i = [], 0
    pattern = re.compile(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{")
    while True:
        m = pattern.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    return "".join(out)


def resolve(current, path, modules):
    """The module a `crate::`/`super::`/`self::` path points into, if it is one of ours."""
    parts = path.split("::")
    if parts[0] == "crate":
        base, rest = [], parts[1:]
    elif parts[0] in ("super", "self"):
        base = current.split("::") if current else []
        rest = parts
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    elif (f"{current}::{parts[0]}" if current else parts[0]) in modules:
        # A path relative to the current module: one of its children.
        base, rest = (current.split("::") if current else []), parts
    else:
        return None
    best = "::".join(base)
    for k in range(len(rest)):
        candidate = "::".join(base + rest[: k + 1])
        if candidate in modules:
            best = candidate
    return best


def use_paths(text):
    """Every path of every `use` tree, expanded, plus qualified paths in code."""
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths.extend(expand(m.group(1).replace("\n", " ").replace(" ", "")))
    for m in re.finditer(r"(?<![\w:])((?:crate|super)(?:::\w+)+)", text):
        paths.append(m.group(1))
    return paths


def expand(tree):
    if "{" not in tree:
        return [tree.split(" as ")[0]]
    head, _, inner = tree.partition("{")
    inner = inner[: inner.rfind("}")]
    items, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    items.append(cur)
    out = []
    for item in items:
        if item:
            out.extend(head + sub if sub != "self" else head.rstrip(":") for sub in expand(item))
    return out


def main():
    args = sys.argv[1:]
    show_edges = "--edges" in args
    known = {}
    roots = []
    for arg in args:
        if arg.startswith("--known="):
            root, _, cycle = arg[len("--known=") :].partition(":")
            known.setdefault(os.path.normpath(root), []).append(sorted(cycle.split(",")))
        elif arg != "--edges":
            roots.append(arg)
    results = [check(root, show_edges, known.get(os.path.normpath(root), [])) for root in roots]
    sys.exit(0 if roots and all(results) else 1)


def check(root, show_edges, known):
    """Prints `root`'s cycles (and its edges if asked); true if it has none but `known` ones,
    and every known one is still there (a cycle broken must leave the list too)."""
    files = {}
    for dirpath, _, names in os.walk(root):
        if os.sep + "tests" in dirpath[len(root) :] or dirpath.endswith(os.sep + "bin"):
            continue
        for name in names:
            # Beside a lib.rs, main.rs is another crate (the binary), using the library by its
            # name: its imports are not edges between these modules.
            if dirpath == root and name == "main.rs" and "lib.rs" in names:
                continue
            if name.endswith(".rs"):
                path = os.path.join(dirpath, name)
                files[module_name(root, path)] = path
    modules = set(files)
    edges = {m: set() for m in modules}
    for module, path in files.items():
        text = strip_tests(open(path).read())
        for p in use_paths(text):
            target = resolve(module, p, modules)
            if target is None or target == module:
                continue
            # A parent using its own child's items (`mod x;` then `use x::Item`) is an edge
            # too, so a child importing its parent back is caught as a cycle.
            edges[module].add(target)
    if show_edges:
        for module in sorted(edges):
            for target in sorted(edges[module]):
                print(f"{module or 'crate'} -> {target or 'crate'}")
    cycles = strongly_connected(edges)
    ok = True
    for component in cycles:
        if component in known:
            print(f"known cycle in {root}: " + " <-> ".join(x or "crate" for x in component))
        else:
            print(f"CYCLE in {root}: " + " <-> ".join(x or "crate" for x in component))
            ok = False
    for component in known:
        if component not in cycles:
            print(f"STALE --known for {root}: {','.join(component)} is no cycle now")
            ok = False
    if ok:
        print(f"no new import cycles among {len(modules)} modules of {root}")
    return ok


def strongly_connected(edges):
    """Every set of modules that import each other in a circle (Tarjan), each sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(m):
        index[m] = low[m] = len(index)
        stack.append(m)
        on_stack.add(m)
        for t in sorted(edges[m]):
            if t not in index:
                visit(t)
                low[m] = min(low[m], low[t])
            elif t in on_stack:
                low[m] = min(low[m], index[t])
        if low[m] == index[m]:
            component = []
            while True:
                t = stack.pop()
                on_stack.discard(t)
                component.append(t)
                if t == m:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for m in sorted(edges):
        if m not in index:
            visit(m)
    return sorted(found)

if __name__ == "__main__":
    main()
