"""Cycles and upward imports in the module import graph (grimp, as import-linter builds it).

    python -m bench.import_graph

Layers, top to bottom: orchestration; the stage assets (one module per corpus stage, and
their staging and resources); the recipe (assembles and loads); the other `assets` modules
(the transforms); quality; warehouse. An upward import is one from a lower layer to a
higher one; a cycle is a strongly connected set of two or more modules."""

from __future__ import annotations

import sys

import grimp

PACKAGES = ("orchestration", "assets", "quality", "warehouse")
STAGE_ASSETS = {
    "assets.seed",
    "assets.synthesized",
    "assets.filtered",
    "assets.decontaminated",
    "assets.published",
    "assets.staging",
    "assets.resources",
}


def layer(module: str) -> int:
    """0 is the top."""
    top = module.split(".")[0]
    if top == "orchestration":
        return 0
    if top == "assets":
        if module in STAGE_ASSETS:
            return 1
        return 2 if module.startswith("assets.recipe") else 3
    return 4 if top == "quality" else 5


def cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """Strongly connected components of two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph.modules:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def main() -> None:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=True)
    own = {m for m in graph.modules if m.split(".")[0] in PACKAGES}
    upward = sorted(
        (importer, imported)
        for importer in own
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported in own and layer(imported) < layer(importer)
    )
    found = cycles(graph)
    print(f"modules: {len(own)}")
    print(f"cycles: {len(found)} ({sum(len(c) for c in found)} modules)")
    for component in found:
        print("  " + ", ".join(sorted(component)))
    print(f"upward imports: {len(upward)}")
    for importer, imported in upward:
        print(f"  {importer} -> {imported}")
    dagster = sorted(m for m in own if "dagster" in graph.find_modules_directly_imported_by(m))
    print(f"modules importing dagster: {len(dagster)}")
    for module in dagster:
        print(f"  {module}")
    sys.exit(0)


if __name__ == "__main__":
    main()
