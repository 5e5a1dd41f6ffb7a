#!/usr/bin/env python3
"""Checks that the modules of a crate's `src/` import each other without cycles.

Usage: check_module_cycles.py CRATE_SRC_DIR

A module is a file (`a/b.rs` or `a/b/mod.rs` is module `a::b`; `lib.rs` is the root). An edge
A -> B is any path in A's `use` declarations (and fully qualified `crate::`/`super::` paths in its
code) naming module B or an item of B. A module's own child modules are not edges (a `mod`
declaration is not an import), and `#[cfg(test)]` test modules (`tests/`, `mod tests`) are
left out: tests may reach anywhere. Prints the graph's edges and exits 1 on a cycle.
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
    """Drops `#[cfg(test)] mod tests { ... }` blocks and comments."""
    text = re.sub(r"//[^\n]*", "", text)
    out, i = [], 0
    pattern = re.compile(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{")
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
    root = sys.argv[1]
    files = {}
    for dirpath, _, names in os.walk(root):
        if os.sep + "tests" in dirpath[len(root) :] or dirpath.endswith(os.sep + "bin"):
            continue
        for name in names:
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
    for module in sorted(edges):
        for target in sorted(edges[module]):
            print(f"{module or 'crate'} -> {target or 'crate'}")
    color = {}
    stack = []

    def visit(m):
        color[m] = 1
        stack.append(m)
        for t in sorted(edges[m]):
            if color.get(t) == 1:
                cycle = stack[stack.index(t) :] + [t]
                print("CYCLE: " + " -> ".join(x or "crate" for x in cycle))
                sys.exit(1)
            if color.get(t) is None:
                visit(t)
        stack.pop()
        color[m] = 2

    for m in sorted(modules):
        if color.get(m) is None:
            visit(m)
    print(f"no import cycles among {len(modules)} modules of {root}")


if __name__ == "__main__":
    main()
