"""Layered (Sugiyama-style) drawing of a DAG for the Graph view, computed once per DAG.

Tasks go left to right by longest path from the roots; an edge that spans several layers
gets a chain of invisible dummy nodes so it bends around tasks instead of crossing them;
the order within each layer comes from alternating barycenter sweeps, keeping the order
with the fewest crossings. Plain Python: a 200-task DAG lays out in milliseconds, and
the result is drawn as static SVG before any run exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

NODE_W, NODE_H = 176, 34
GAP_X, GAP_Y = 64, 14
MARGIN = 16
SWEEPS = 12


@dataclass(frozen=True)
class PlacedNode:
    id: str
    x: float
    y: float
    layer: int


@dataclass(frozen=True)
class PlacedEdge:
    source: str
    target: str
    points: tuple[tuple[float, float], ...]

    @property
    def path(self) -> str:
        """SVG path: a horizontal-tangent cubic curve through every bend point."""
        (x0, y0), rest = self.points[0], self.points[1:]
        parts = [f"M{x0:.1f},{y0:.1f}"]
        for x1, y1 in rest:
            mid = (x0 + x1) / 2
            parts.append(f"C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
            x0, y0 = x1, y1
        return " ".join(parts)


@dataclass
class Layout:
    nodes: list[PlacedNode]
    edges: list[PlacedEdge]
    width: float
    height: float
    crossings: int
    node_w: int = NODE_W
    node_h: int = NODE_H
    by_id: dict[str, PlacedNode] = field(default_factory=dict)


def _layers(order: Sequence[str], upstream: Mapping[str, Sequence[str]]) -> dict[str, int]:
    layer: dict[str, int] = {}
    for tid in order:  # topological: upstream first
        layer[tid] = 1 + max((layer[u] for u in upstream.get(tid, ())), default=-1)
    return layer


def _crossings(upper: list[str], lower: list[str], down: Mapping[str, list[str]]) -> int:
    pos = {n: i for i, n in enumerate(lower)}
    ends = [(i, pos[t]) for i, s in enumerate(upper) for t in down.get(s, ()) if t in pos]
    ends.sort()
    count = 0
    for a in range(len(ends)):  # O(E^2) per layer pair: fine for a few hundred edges
        for b in range(a + 1, len(ends)):
            if ends[a][0] != ends[b][0] and ends[b][1] < ends[a][1]:
                count += 1
    return count


def layout(order: Sequence[str], upstream: Mapping[str, Sequence[str]]) -> Layout:
    """Place ``order`` (task ids, upstream first) with edges ``upstream[task] -> task``."""
    layer = _layers(order, upstream)
    down: dict[str, list[str]] = {tid: [] for tid in order}
    up: dict[str, list[str]] = {tid: [] for tid in order}
    chains: dict[tuple[str, str], list[str]] = {}
    for tid in order:
        for src in upstream.get(tid, ()):
            chain = [src]
            for k in range(layer[src] + 1, layer[tid]):  # dummies for long edges
                dummy = f"\0{src}\0{tid}\0{k}"
                layer[dummy] = k
                down[dummy], up[dummy] = [], []
                chain.append(dummy)
            chain.append(tid)
            for a, b in zip(chain, chain[1:]):
                down[a].append(b)
                up[b].append(a)
            chains[(src, tid)] = chain
    depth = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    for n in [*order, *(d for d in layer if d.startswith("\0"))]:
        rows[layer[n]].append(n)

    def total(rs: list[list[str]]) -> int:
        return sum(_crossings(rs[i], rs[i + 1], down) for i in range(len(rs) - 1))

    best, best_cost = [list(r) for r in rows], total(rows)
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        span = range(1, depth) if forward else range(depth - 2, -1, -1)
        for i in span:
            ref = rows[i - 1] if forward else rows[i + 1]
            pos = {n: j for j, n in enumerate(ref)}
            links = up if forward else down
            keyed = []
            for j, n in enumerate(rows[i]):
                near = [pos[m] for m in links[n] if m in pos]
                keyed.append((sum(near) / len(near) if near else float(j), j, n))
            rows[i] = [n for _, _, n in sorted(keyed)]
        cost = total(rows)
        if cost < best_cost:
            best, best_cost = [list(r) for r in rows], cost
        if best_cost == 0:
            break
    tallest = max((len(r) for r in best), default=0)
    height = 2 * MARGIN + tallest * NODE_H + max(tallest - 1, 0) * GAP_Y
    centre: dict[str, tuple[float, float]] = {}
    for i, row in enumerate(best):
        span_h = len(row) * NODE_H + max(len(row) - 1, 0) * GAP_Y
        top = (height - span_h) / 2
        for j, n in enumerate(row):
            centre[n] = (MARGIN + i * (NODE_W + GAP_X) + NODE_W / 2, top + j * (NODE_H + GAP_Y) + NODE_H / 2)
    nodes = [PlacedNode(t, centre[t][0] - NODE_W / 2, centre[t][1] - NODE_H / 2, layer[t]) for t in order]
    edges = []
    for (src, tid), chain in chains.items():
        pts = [(centre[src][0] + NODE_W / 2, centre[src][1])]
        pts += [centre[d] for d in chain[1:-1]]
        pts.append((centre[tid][0] - NODE_W / 2, centre[tid][1]))
        edges.append(PlacedEdge(src, tid, tuple(pts)))
    width = 2 * MARGIN + depth * NODE_W + max(depth - 1, 0) * GAP_X
    result = Layout(nodes, edges, width, height, best_cost)
    result.by_id = {n.id: n for n in nodes}
    return result
