#!/usr/bin/env python3
"""List the import cycles between the modules of src/ (exit 1 when there is one).

A module depends on another when its code names it: `use crate::a::b::…`, `use super::…`,
`crate::a::b::f(…)` in a body, or a child module by its name. Test code (`*_tests.rs`, `tests.rs`,
`#[cfg(test)] mod tests { … }`) is left out, and so are edges between a module and its own
descendants (a parent holds its children; a child sees its parent's items, as `impl GitRepo` spread
over `git/*.rs` does). Each remaining edge is lifted to the two siblings under the modules' common
ancestor (`review::hooks -> config` is `review -> config`), so the check holds at every level:
no two sibling modules may depend on each other, directly or around a loop.

Usage: python3 scripts/module-cycles.py [SRC_DIR]   (prints the graph's cycles, one per line)
"""

import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")

MOD_DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.M)
PATH_ATTR = re.compile(r"#\[path\s*=\s*\"([^\"]+)\"\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")
USE = re.compile(r"\buse\s+([^;]+);", re.S)
# Comments, raw strings, strings and char literals, leftmost first.
TOKENS = re.compile(
    r"//[^\n]*|/\*.*?\*/|\bb?r(#*)\".*?\"\1|b?\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])'",
    re.S,
)
PATH = re.compile(r"\b((?:crate|super|self|[a-z_][a-z0-9_]*)(?:\s*::\s*[A-Za-z_][A-Za-z0-9_]*)+)")


def strip(text):
    """Text without comments, string literals and the inline test module."""
    text = TOKENS.sub(lambda m: '""' if m.group(0)[0] in "\"br'" else " ", text)
    cut = re.search(r"#\[cfg\(test\)\]\s*mod\s+tests\s*\{", text)
    return text[: cut.start()] if cut else text


def discover(path, module, modules):
    """Map each module path (tuple) to its file, following `mod x;` declarations."""
    modules[module] = path
    text = open(path, encoding="utf-8").read()
    here = os.path.dirname(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    child_dir = here if stem in ("lib", "main", "mod") else os.path.join(here, stem)
    attrs = {name: rel for rel, name in PATH_ATTR.findall(text)}
    for name in MOD_DECL.findall(strip_comments_only(text)):
        if name in attrs:
            if name == "tests" or attrs[name].endswith("_tests.rs"):
                continue
            child = os.path.join(here, attrs[name])
        elif name == "tests":
            continue
        else:
            child = os.path.join(child_dir, name + ".rs")
            if not os.path.exists(child):
                child = os.path.join(child_dir, name, "mod.rs")
        discover(child, module + (name,), modules)


def strip_comments_only(text):
    return re.sub(r"//[^\n]*", "", text)


def expand(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = re.sub(r"\s+", "", tree)
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                prefix, inner, rest = tree[:start], tree[start + 1 : i], tree[i + 1 :]
                parts, d, s = [], 0, 0
                for j, c in enumerate(inner):
                    if c == "{":
                        d += 1
                    elif c == "}":
                        d -= 1
                    elif c == "," and d == 0:
                        parts.append(inner[s:j])
                        s = j + 1
                parts.append(inner[s:])
                return [p for part in parts if part for p in expand(prefix + part + rest)]
    return [re.sub(r"\bas\w+$", "", tree)]


def resolve(module, segments, modules, in_use):
    """The longest module named by `segments` seen from `module`, or None when outside the crate."""
    first = segments[0]
    if first == "crate":
        at, rest = (), segments[1:]
    elif first == "super":
        at, rest = module, segments
        while rest and rest[0] == "super":
            at, rest = at[:-1], rest[1:]
    elif first == "self":
        at, rest = module, segments[1:]
    elif module + (first,) in modules:
        at, rest = module, segments
    elif in_use and module == () and (first,) in modules:
        at, rest = (), segments
    else:
        return None
    for name in rest:
        if at + (name,) in modules:
            at = at + (name,)
        else:
            break
    return at


def graph(modules):
    edges = {m: set() for m in modules}
    for module, path in modules.items():
        text = strip(open(path, encoding="utf-8").read())
        paths = [p.split("::") for use in USE.findall(text) for p in expand(use)]
        body = USE.sub("", text)
        paths += [re.sub(r"\s+", "", p).split("::") for p in PATH.findall(body)]
        for segments in paths:
            target = resolve(module, segments, modules, True)
            if target is None or target == module or module[: len(target)] == target:
                continue
            if target[: len(module)] == module:
                continue
            edges[module].add(target)
    return edges


def lifted(edges):
    """Each edge as one between the siblings under the two modules' common ancestor."""
    out, why = {m: set() for m in edges}, {}
    for a, targets in edges.items():
        for b in targets:
            common = 0
            while a[common] == b[common]:
                common += 1
            pair = (a[: common + 1], b[: common + 1])
            out[pair[0]].add(pair[1])
            why.setdefault(pair, []).append(f"{name(a)} -> {name(b)}")
    return out, why


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def name(module):
    return "::".join(module) or "crate"


def main():
    modules = {}
    discover(os.path.join(SRC, "lib.rs"), (), modules)
    edges, why = lifted(graph(modules))
    found = cycles(edges)
    for component in found:
        members = set(component)
        print(f"cycle: {', '.join(name(m) for m in component)}")
        for a in component:
            for b in sorted(edges[a] & members):
                print(f"  {name(a)} -> {name(b)}: {'; '.join(sorted(why[(a, b)]))}")
    if found:
        print(f"{len(found)} import cycle(s) between modules of {os.path.normpath(SRC)}")
        return 1
    print(f"no import cycle among {len(modules)} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
