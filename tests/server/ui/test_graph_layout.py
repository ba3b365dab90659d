"""The Graph view's layered layout: left-to-right layers, no overlaps, few crossings."""

from __future__ import annotations

import random

from edgeweave.server.ui.graph_layout import NODE_H, NODE_W, layout


def _check(order, upstream):  # type: ignore[no-untyped-def]
    result = layout(order, upstream)
    pos = result.by_id
    assert set(pos) == set(order)
    for tid, ups in upstream.items():
        for u in ups:
            assert pos[u].layer < pos[tid].layer and pos[u].x + NODE_W < pos[tid].x
    boxes = sorted((n.x, n.y) for n in result.nodes)
    for (x1, y1), (x2, y2) in zip(boxes, boxes[1:]):
        assert x1 != x2 or abs(y1 - y2) >= NODE_H  # nodes never overlap
    assert all(0 <= n.x <= result.width - NODE_W and 0 <= n.y <= result.height - NODE_H for n in result.nodes)
    return result


def test_layers_follow_the_longest_path():
    result = _check(["a", "b", "c", "d"], {"b": ["a"], "c": ["b"], "d": ["a", "c"]})
    assert [result.by_id[t].layer for t in "abcd"] == [0, 1, 2, 3]
    long_edge = next(e for e in result.edges if (e.source, e.target) == ("a", "d"))
    assert len(long_edge.points) == 4  # start, two bends through the skipped layers, end
    assert long_edge.path.startswith("M") and long_edge.path.count("C") == 3


def test_ordering_removes_avoidable_crossings():
    # declared so that a naive order crosses: a1->b2, a2->b1
    result = _check(["a1", "a2", "b1", "b2"], {"b2": ["a1"], "b1": ["a2"]})
    assert result.crossings == 0
    assert (result.by_id["a1"].y < result.by_id["a2"].y) == (result.by_id["b2"].y < result.by_id["b1"].y)


def test_two_hundred_tasks_lay_out_without_overlap():
    rng = random.Random(7)
    order = [f"t{i:03d}" for i in range(200)]
    upstream = {t: rng.sample(order[max(0, i - 15):i], min(i, 2)) for i, t in enumerate(order)}
    result = _check(order, upstream)
    assert len(result.edges) == sum(len(v) for v in upstream.values())


def test_wide_fan_out_is_one_column():
    order = ["src", *(f"w{i}" for i in range(150)), "sink"]
    upstream = {f"w{i}": ["src"] for i in range(150)} | {"sink": [f"w{i}" for i in range(150)]}
    result = _check(order, upstream)
    assert {result.by_id[f"w{i}"].layer for i in range(150)} == {1} and result.crossings == 0
