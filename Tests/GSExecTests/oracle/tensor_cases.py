"""Reference cases for the tensor family (TensorOps.swift and its companions: Layout,
GatherScatter, Detection, Reduce, Resize)."""
import numpy as np

rng = np.random.default_rng(11)
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def f(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def i64(*values):
    return np.array(values, dtype=np.int64)


def ints(*shape, low=-5, high=6, dtype=np.int64):
    return rng.integers(low, high, shape).astype(dtype)


def case(name, op, inputs, attrs=None, opset=17, outputs=1, tolerance=None):
    c = {"name": name, "op": op, "inputs": inputs, "attrs": attrs or {}, "opset": opset, "outputs": outputs}
    if tolerance is not None:
        c["tolerance"] = tolerance
    return c


def shape_cases():
    out = []
    x = f(2, 3, 4)
    out.append(case("Reshape-minus1", "Reshape", [x, i64(4, -1)]))
    out.append(case("Reshape-zero-copies", "Reshape", [x, i64(0, -1, 2)]))
    out.append(case("Reshape-allowzero", "Reshape", [np.zeros((0, 3), np.float32), i64(3, 0)], {"allowzero": 1}, opset=14))
    out.append(case("Reshape-empty", "Reshape", [np.zeros((2, 0, 3), np.float32), i64(0, -1)]))
    out.append(case("Reshape-int64", "Reshape", [ints(6), i64(2, 3)]))
    out.append(case("Reshape-bool", "Reshape", [f(6) > 0, i64(3, 1, 2)]))
    out.append(case("Reshape-scalar", "Reshape", [f(1), np.zeros((0,), np.int64)]))
    for axis in [0, 1, -1, 3]:
        out.append(case(f"Flatten-axis{axis}", "Flatten", [f(2, 3, 4)], {"axis": axis}, opset=13))
    out.append(case("Flatten-int8", "Flatten", [ints(2, 3, 2, dtype=np.int8)], {"axis": 2}))
    out.append(case("Squeeze-attr-opset11", "Squeeze", [f(1, 3, 1, 2)], {"axes": [0, -2]}, opset=11))
    out.append(case("Squeeze-input", "Squeeze", [f(1, 3, 1, 2), i64(-4, 2)], opset=13))
    out.append(case("Squeeze-all", "Squeeze", [f(1, 3, 1, 1)], opset=13))
    out.append(case("Squeeze-bool", "Squeeze", [f(3, 1) > 0, i64(1)], opset=13))
    out.append(case("Unsqueeze-attr-opset11", "Unsqueeze", [f(3, 2)], {"axes": [0, 3]}, opset=11))
    out.append(case("Unsqueeze-input-negative", "Unsqueeze", [f(3, 2), i64(-1, 1)], opset=13))
    out.append(case("Unsqueeze-scalar", "Unsqueeze", [np.array(2.5, np.float32), i64(0)], opset=13))
    out.append(case("Unsqueeze-int64", "Unsqueeze", [ints(2, 2), i64(1, 0)], opset=13))
    out.append(case("Shape", "Shape", [f(2, 3, 4)]))
    out.append(case("Shape-window", "Shape", [f(2, 3, 4, 5)], {"start": 1, "end": -1}, opset=15))
    out.append(case("Shape-clamped", "Shape", [f(2, 3, 4)], {"start": -10, "end": 10}, opset=15))
    out.append(case("Shape-scalar", "Shape", [np.array(1.0, np.float32)]))
    out.append(case("Size", "Size", [f(2, 3, 4)]))
    out.append(case("Size-empty", "Size", [np.zeros((2, 0), np.int64)]))
    out.append(case("ConstantOfShape-default", "ConstantOfShape", [i64(2, 3)]))
    out.append(case("ConstantOfShape-int64", "ConstantOfShape", [i64(3)], {"value": np.array([7], np.int64)}))
    out.append(case("ConstantOfShape-float", "ConstantOfShape", [i64(2, 1, 2)], {"value": np.array([1.5], np.float32)}))
    out.append(case("ConstantOfShape-bool", "ConstantOfShape", [i64(2)], {"value": np.array([True])}))
    out.append(case("ConstantOfShape-scalar", "ConstantOfShape", [np.zeros((0,), np.int64)]))
    out.append(case("ConstantOfShape-zero-dim", "ConstantOfShape", [i64(0, 4)]))
    out.append(case("Constant-tensor", "Constant", [], {"value": f(2, 3)}))
    out.append(case("Constant-int-tensor", "Constant", [], {"value": ints(4)}))
    out.append(case("Constant-value_float", "Constant", [], {"value_float": 2.5}))
    out.append(case("Constant-value_floats", "Constant", [], {"value_floats": [1.0, -2.0, 3.5]}))
    out.append(case("Constant-value_int", "Constant", [], {"value_int": 42}))
    out.append(case("Constant-value_ints", "Constant", [], {"value_ints": [1, -2, 3]}))
    out.append(case("Range-float", "Range", [np.array(0.1, np.float32), np.array(3.0, np.float32), np.array(0.3, np.float32)]))
    out.append(case("Range-float-negative", "Range", [np.array(1.0, np.float32), np.array(-2.0, np.float32), np.array(-0.7, np.float32)]))
    out.append(case("Range-int64", "Range", [i64(2).reshape(()), i64(17).reshape(()), i64(4).reshape(())]))
    out.append(case("Range-int64-empty", "Range", [i64(5).reshape(()), i64(1).reshape(()), i64(1).reshape(())]))
    out.append(case("Range-int32", "Range", [np.array(10, np.int32), np.array(0, np.int32), np.array(-3, np.int32)]))
    out.append(case("Range-long-float", "Range", [np.array(-3.0, np.float32), np.array(40.0, np.float32), np.array(0.1, np.float32)]))
    return out


def layout_cases():
    out = []
    out.append(case("Transpose-default", "Transpose", [f(2, 3, 4)]))
    out.append(case("Transpose-nhwc", "Transpose", [f(1, 8, 20, 30)], {"perm": [0, 2, 3, 1]}))
    out.append(case("Transpose-nchw", "Transpose", [f(1, 30, 20, 3)], {"perm": [0, 3, 1, 2]}))
    out.append(case("Transpose-5d", "Transpose", [f(2, 3, 4, 2, 5)], {"perm": [2, 0, 3, 1, 4]}))
    out.append(case("Transpose-int8", "Transpose", [ints(3, 4, 5, dtype=np.int8)], {"perm": [1, 2, 0]}))
    out.append(case("Transpose-float16", "Transpose", [f(3, 4).astype(np.float16)], {"perm": [1, 0]}))
    out.append(case("Transpose-bool", "Transpose", [f(3, 4) > 0], {"perm": [1, 0]}))
    out.append(case("Transpose-identity", "Transpose", [ints(2, 3)], {"perm": [0, 1]}))
    out.append(case("Concat-axis1", "Concat", [f(2, 3, 4), f(2, 1, 4), f(2, 5, 4)], {"axis": 1}))
    out.append(case("Concat-negative", "Concat", [f(2, 3), f(2, 2)], {"axis": -1}))
    out.append(case("Concat-int64", "Concat", [ints(2), ints(3), ints(1)], {"axis": 0}))
    out.append(case("Concat-empty-part", "Concat", [np.zeros((0, 3), np.float32), f(2, 3)], {"axis": 0}))
    out.append(case("Concat-bool", "Concat", [f(2, 2) > 0, f(2, 1) > 0], {"axis": 1}))
    out.append(case("Concat-uint8", "Concat", [ints(1, 2, 3, low=0, high=255, dtype=np.uint8)] * 2, {"axis": 0}))
    out.append(case("Split-attr-opset11", "Split", [f(2, 7)], {"axis": 1, "split": [3, 4]}, opset=11, outputs=2))
    out.append(case("Split-input", "Split", [f(6, 2), i64(1, 2, 3)], {"axis": 0}, opset=13, outputs=3))
    out.append(case("Split-equal", "Split", [f(2, 6)], {"axis": -1}, opset=13, outputs=3))
    out.append(case("Split-num-outputs", "Split", [f(7, 2)], {"axis": 0, "num_outputs": 3}, opset=18, outputs=3))
    out.append(case("Split-uint8", "Split", [ints(4, 3, low=0, high=255, dtype=np.uint8)], {"axis": 0}, opset=13, outputs=2))
    out.append(case("Split-zero-part", "Split", [f(3, 2), i64(0, 3)], {"axis": 0}, opset=13, outputs=2))
    x = f(5, 6, 7)
    out.append(case("Slice-opset9-attrs", "Slice", [x], {"starts": [1, -3], "ends": [4, 100], "axes": [0, 2]}, opset=9))
    out.append(case("Slice-basic", "Slice", [x, i64(1, 2), i64(3, 5)]))
    out.append(case("Slice-axes-steps", "Slice", [x, i64(0, 1), i64(7, 6), i64(2, 1), i64(2, 2)]))
    out.append(case("Slice-negative", "Slice", [x, i64(-4), i64(-1), i64(1)]))
    out.append(case("Slice-clamped", "Slice", [x, i64(-100, 2), i64(100, INT64_MAX), i64(0, -1)]))
    out.append(case("Slice-reverse", "Slice", [x, i64(-1), i64(INT64_MIN), i64(1), i64(-1)]))
    out.append(case("Slice-reverse-step2", "Slice", [x, i64(10, 5), i64(0, -100), i64(2, 0), i64(-2, -3)]))
    out.append(case("Slice-empty", "Slice", [x, i64(3), i64(1), i64(0)]))
    out.append(case("Slice-int64-data", "Slice", [ints(4, 5), i64(1), i64(-1), i64(-1)]))
    out.append(case("Slice-int32-params", "Slice", [x, np.array([1], np.int32), np.array([3], np.int32)]))
    out.append(case("Slice-shape-vector", "Slice", [i64(1, 3, 48, 320), i64(0), i64(1)]))
    out.append(case("Expand", "Expand", [f(3, 1), i64(2, 3, 4)]))
    out.append(case("Expand-smaller-shape", "Expand", [f(2, 3), i64(3)]))
    out.append(case("Expand-ones", "Expand", [f(2, 1, 3), i64(1, 1, 4, 1)]))
    out.append(case("Expand-bool", "Expand", [np.array([True, False]), i64(3, 2)]))
    out.append(case("Expand-scalar", "Expand", [np.array(3, np.int64), i64(2, 2)]))
    out.append(case("Tile", "Tile", [f(2, 3), i64(2, 3)]))
    out.append(case("Tile-int64", "Tile", [ints(1, 2, 2), i64(3, 1, 2)]))
    out.append(case("Tile-zero", "Tile", [f(2, 3), i64(0, 2)]))
    out.append(case("Tile-bool", "Tile", [f(2) > 0, i64(4)]))
    p = f(2, 3, 4)
    out.append(case("Pad-constant", "Pad", [p, i64(0, 1, 2, 0, 2, 1), np.array(1.5, np.float32)], opset=13))
    out.append(case("Pad-default-value", "Pad", [p, i64(1, 0, 0, 1, 0, 3)], opset=13))
    out.append(case("Pad-negative", "Pad", [p, i64(0, -1, 1, -1, 0, -2)], opset=13))
    out.append(case("Pad-reflect", "Pad", [p, i64(0, 2, 3, 1, 2, 3)], {"mode": "reflect"}, opset=13))
    out.append(case("Pad-reflect-crop", "Pad", [f(5), i64(2, -1)], {"mode": "reflect"}, opset=13))
    out.append(case("Pad-edge", "Pad", [p, i64(1, 0, 5, 0, 4, 2)], {"mode": "edge"}, opset=13))
    out.append(case("Pad-edge-crop", "Pad", [f(5), i64(-2, 3)], {"mode": "edge"}, opset=13))
    out.append(case("Pad-opset2-attrs", "Pad", [p], {"pads": [0, 1, 1, 0, 0, 2], "value": -3.0}, opset=2))
    out.append(case("Pad-int64", "Pad", [ints(2, 2), i64(1, 1, 1, 1), np.array(9, np.int64)], opset=13))
    out.append(case("Pad-uint8", "Pad", [ints(3, 2, low=0, high=255, dtype=np.uint8), i64(1, 0, 0, 2)], opset=13))
    out.append(case("Pad-axes", "Pad", [p, i64(1, 2, 3, 0), np.array(0.5, np.float32), i64(-1, 0)], opset=18))
    out.append(case("Pad-wrap", "Pad", [f(3, 4), i64(0, 1, 0, 2)], {"mode": "wrap"}, opset=19))
    return out


def index_cases():
    out = []
    d = f(5, 4, 3)
    out.append(case("Gather-axis0-negative", "Gather", [d, i64(-1, 0, 2)]))
    out.append(case("Gather-axis1-2d", "Gather", [d, np.array([[0, 3], [-1, 1]], np.int64)], {"axis": 1}))
    out.append(case("Gather-scalar-index", "Gather", [d, np.array(-2, np.int64)], {"axis": -1}))
    out.append(case("Gather-int32-indices", "Gather", [d, np.array([1, 1, 0], np.int32)], {"axis": 2}))
    out.append(case("Gather-shape-vector", "Gather", [i64(1, 3, 300, 300), np.array(2, np.int64)]))
    out.append(case("Gather-bool", "Gather", [f(4, 2) > 0, i64(3, 0)]))
    out.append(case("Gather-empty-indices", "Gather", [d, np.zeros((0,), np.int64)]))
    g = f(3, 4)
    out.append(case("GatherElements-axis0", "GatherElements", [g, np.array([[0, 2, 1, -1], [2, 0, 0, 1]], np.int64)]))
    out.append(case("GatherElements-axis1", "GatherElements", [g, np.array([[3, 0], [1, -2], [0, 0]], np.int64)], {"axis": -1}))
    out.append(case("GatherElements-int64", "GatherElements", [ints(2, 3, 2), ints(2, 2, 2, low=0, high=3)], {"axis": 1}))
    z = np.round(f(4, 5))
    out.append(case("NonZero-float", "NonZero", [z]))
    out.append(case("NonZero-bool-3d", "NonZero", [f(2, 3, 4) > 0.5]))
    out.append(case("NonZero-int", "NonZero", [ints(7, low=-1, high=2)]))
    out.append(case("NonZero-scalar", "NonZero", [np.array(3.0, np.float32)]))
    out.append(case("NonZero-none", "NonZero", [np.zeros((2, 3), np.float32)]))
    return out


def selection_cases():
    out = []
    tied = np.round(f(3, 20) * 2) / 2  # many ties
    for k in [1, 2, 3, 5, 12, 20]:
        out.append(case(f"TopK-ties-k{k}", "TopK", [tied, i64(k)], opset=11, outputs=2))
        out.append(case(f"TopK-smallest-k{k}", "TopK", [tied, i64(k)], {"largest": 0}, opset=11, outputs=2))
        out.append(case(f"TopK-unsorted-k{k}", "TopK", [tied, i64(k)], {"sorted": 0}, opset=11, outputs=2))
        out.append(case(f"TopK-unsorted-smallest-k{k}", "TopK", [tied, i64(k)], {"sorted": 0, "largest": 0}, opset=11, outputs=2))
    big = np.round(f(2, 300) * 4) / 4
    for k in [3, 7, 64, 150, 300]:
        out.append(case(f"TopK-big-k{k}", "TopK", [big, i64(k)], opset=11, outputs=2))
        out.append(case(f"TopK-big-unsorted-k{k}", "TopK", [big, i64(k)], {"sorted": 0}, opset=11, outputs=2))
    out.append(case("TopK-axis0", "TopK", [tied.T.copy(), i64(4)], {"axis": 0}, opset=11, outputs=2))
    out.append(case("TopK-axis-middle", "TopK", [np.round(f(2, 9, 3)), i64(5)], {"axis": 1, "sorted": 0}, opset=11, outputs=2))
    out.append(case("TopK-int64", "TopK", [ints(4, 10), i64(3)], opset=11, outputs=2))
    out.append(case("TopK-k0", "TopK", [f(2, 5), i64(0)], opset=11, outputs=2))
    out.append(case("TopK-opset10", "TopK", [f(3, 6), i64(2)], opset=10, outputs=2))
    out.append(case("TopK-opset9-attr", "TopK", [f(3, 6)], {"k": 2}, opset=9, outputs=2))
    out.append(case("TopK-nan", "TopK", [np.array([1, np.nan, 3, 2], np.float32), i64(2)], opset=11, outputs=2))
    # NonMaxSuppression: many boxes, tied scores, both box encodings.
    n = 400
    corner = rng.uniform(0, 1, (2, n, 2)).astype(np.float32)
    size = rng.uniform(0.02, 0.3, (2, n, 2)).astype(np.float32)
    boxes = np.concatenate([corner, corner + size], axis=2)[:, :, [1, 0, 3, 2]].copy()  # y1 x1 y2 x2
    flipped = boxes[:, :, [2, 3, 0, 1]].copy()
    centers = np.concatenate([corner + size / 2, size], axis=2)  # x y w h
    scores = (np.round(rng.uniform(0, 1, (2, 3, n)) * 20) / 20).astype(np.float32)
    mx = i64(40)
    iou = np.array([0.5], np.float32)
    st = np.array([0.3], np.float32)
    out.append(case("NMS-many-ties", "NonMaxSuppression", [boxes, scores, mx, iou, st]))
    out.append(case("NMS-no-score-threshold", "NonMaxSuppression", [boxes, scores, mx, iou]))
    out.append(case("NMS-flipped-corners", "NonMaxSuppression", [flipped, scores, i64(1000), np.array([0.3], np.float32), st]))
    out.append(case("NMS-center-point", "NonMaxSuppression", [centers, scores, mx, iou, st], {"center_point_box": 1}))
    out.append(case("NMS-unlimited-iou0", "NonMaxSuppression", [boxes, scores, i64(10000), np.array([0.0], np.float32)]))
    out.append(case("NMS-max0", "NonMaxSuppression", [boxes, scores, i64(0), iou, st]))
    out.append(case("NMS-no-max", "NonMaxSuppression", [boxes, scores]))
    same = np.tile(np.array([[[0, 0, 1, 1]]], np.float32), (1, 50, 1)) + np.arange(50, dtype=np.float32).reshape(1, 50, 1) * 0.01
    out.append(case("NMS-identical-scores", "NonMaxSuppression", [same, np.full((1, 1, 50), 0.5, np.float32), i64(50), np.array([0.9], np.float32)]))
    a = np.round(f(3, 4, 5))
    for op in ["ArgMax", "ArgMin"]:
        out.append(case(f"{op}-axis1", op, [a], {"axis": 1}, opset=13))
        out.append(case(f"{op}-last-index", op, [a], {"axis": 2, "select_last_index": 1}, opset=13))
        out.append(case(f"{op}-nokeep", op, [a], {"axis": -1, "keepdims": 0}, opset=13))
        out.append(case(f"{op}-int", op, [ints(4, 6)], {"axis": 0}, opset=13))
    return out


def reduce_cases():
    out = []
    x = f(3, 4, 5)
    pos = np.abs(f(3, 4, 5)) + 0.5
    for op in ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2"]:
        data = pos if op == "ReduceProd" else x
        out.append(case(f"{op}-attr-opset13", op, [data], {"axes": [1]}, opset=13))
        out.append(case(f"{op}-nokeep", op, [data], {"axes": [-1], "keepdims": 0}, opset=13))
        out.append(case(f"{op}-all", op, [data], {}, opset=13))
        out.append(case(f"{op}-split-axes", op, [data], {"axes": [0, 2]}, opset=13))
        out.append(case(f"{op}-input-opset18", op, [data, i64(0, 1)], opset=18))
        out.append(case(f"{op}-noop-opset18", op, [data, np.zeros((0,), np.int64)], {"noop_with_empty_axes": 1}, opset=18))
    out.append(case("ReduceSum-attr-opset11", "ReduceSum", [x], {"axes": [0, -1]}, opset=11))
    out.append(case("ReduceSum-input", "ReduceSum", [x, i64(1)], opset=13))
    out.append(case("ReduceSum-all", "ReduceSum", [x], {"keepdims": 0}, opset=13))
    out.append(case("ReduceSum-noop", "ReduceSum", [x, np.zeros((0,), np.int64)], {"noop_with_empty_axes": 1}, opset=13))
    out.append(case("ReduceSum-int64", "ReduceSum", [ints(3, 4), i64(0)], opset=13))
    out.append(case("ReduceSum-int32", "ReduceSum", [ints(3, 4, dtype=np.int32), i64(1)], opset=13))
    out.append(case("ReduceMax-int64", "ReduceMax", [ints(3, 4)], {"axes": [1]}, opset=13))
    out.append(case("ReduceMean-int64", "ReduceMean", [ints(3, 4)], {"axes": [1]}, opset=13))
    out.append(case("ReduceSum-empty-axis", "ReduceSum", [np.zeros((2, 0), np.float32), i64(1)], opset=13))
    out.append(case("ReduceMin-empty-axis", "ReduceMin", [np.zeros((2, 0), np.float32)], {"axes": [1]}, opset=13))
    out.append(case("ReduceProd-empty-axis", "ReduceProd", [np.zeros((2, 0), np.float32)], {"axes": [1]}, opset=13))
    out.append(case("ReduceMean-spatial", "ReduceMean", [f(1, 32, 40, 40)], {"axes": [2, 3]}, opset=13))
    out.append(case("ReduceMean-last-rec", "ReduceMean", [f(1, 40, 120)], {"axes": [-1]}, opset=12))
    out.append(case("ReduceMax-middle-unit", "ReduceMax", [f(2, 1, 3, 4)], {"axes": [1, 2]}, opset=13))
    out.append(case("Softmax-opset11-flatten", "Softmax", [f(2, 3, 4)], {"axis": 1}, opset=11))
    out.append(case("Softmax-opset11-default", "Softmax", [f(2, 3, 4)], opset=11))
    out.append(case("Softmax-opset13-axis1", "Softmax", [f(2, 3, 4)], {"axis": 1}, opset=13))
    out.append(case("Softmax-opset13-default", "Softmax", [f(2, 3, 4) * 10], opset=13))
    out.append(case("Softmax-rec-wide", "Softmax", [f(1, 10, 6625) * 5], {"axis": 2}, opset=12))
    out.append(case("Softmax-attention", "Softmax", [f(1, 8, 40, 40)], {"axis": 3}, opset=12))
    out.append(case("Softmax-large-values", "Softmax", [f(3, 7) * 100], opset=13))
    out.append(case("LogSoftmax-opset11", "LogSoftmax", [f(2, 3, 4)], {"axis": 1}, opset=11))
    out.append(case("LogSoftmax-opset13-axis0", "LogSoftmax", [f(2, 3, 4)], {"axis": 0}, opset=13))
    out.append(case("Softmax-double", "Softmax", [f(2, 5).astype(np.float64)], opset=13))
    return out


def resize_cases():
    out = []
    empty = np.zeros((0,), np.float32)
    x = f(1, 3, 7, 9)
    out.append(case("Resize-det-nearest-x2", "Resize", [f(1, 4, 10, 12), empty, np.array([1, 1, 2, 2], np.float32)],
                    {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}, opset=12))
    out.append(case("Resize-det-nearest-x4", "Resize", [f(1, 4, 5, 6), empty, np.array([1, 1, 4, 4], np.float32)],
                    {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}, opset=12))
    out.append(case("Resize-det-nearest-x8", "Resize", [f(1, 2, 3, 5), empty, np.array([1, 1, 8, 8], np.float32)],
                    {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}, opset=12))
    # SSDLite preprocessing: linear, asymmetric, sizes.
    out.append(case("Resize-ssd-linear-sizes", "Resize", [f(1, 3, 45, 61) * 100, empty, None, i64(1, 3, 300, 300)],
                    {"mode": "linear", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor", "exclude_outside": 0},
                    opset=13))
    for transform in ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"]:
        if transform != "tf_half_pixel_for_nn":
            out.append(case(f"Resize-linear-{transform}-up", "Resize", [x, empty, np.array([1, 1, 1.7, 2.3], np.float32)],
                            {"mode": "linear", "coordinate_transformation_mode": transform}, opset=13))
            out.append(case(f"Resize-linear-{transform}-down", "Resize", [x, empty, None, i64(1, 3, 4, 5)],
                            {"mode": "linear", "coordinate_transformation_mode": transform}, opset=13))
        for mode in ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]:
            out.append(case(f"Resize-nearest-{transform}-{mode}", "Resize", [x, empty, None, i64(1, 3, 12, 5)],
                            {"mode": "nearest", "coordinate_transformation_mode": transform, "nearest_mode": mode}, opset=13))
    out.append(case("Resize-nearest-scales-frac", "Resize", [x, empty, np.array([1, 1, 0.6, 1.5], np.float32)],
                    {"mode": "nearest"}, opset=13))
    out.append(case("Resize-nearest-rank1", "Resize", [f(6), empty, np.array([1.5], np.float32)], {"mode": "nearest"}, opset=13))
    out.append(case("Resize-nearest-int32", "Resize", [ints(1, 1, 3, 3, dtype=np.int32), empty, np.array([1, 1, 2, 2], np.float32)],
                    {"mode": "nearest"}, opset=13))
    out.append(case("Resize-nearest-channel-scale", "Resize", [f(1, 2, 3, 3), empty, np.array([1, 2, 1, 1], np.float32)],
                    {"mode": "nearest"}, opset=13))
    out.append(case("Resize-linear-2d", "Resize", [f(5, 6), empty, np.array([2.0, 0.5], np.float32)], {"mode": "linear"}, opset=13))
    out.append(case("Resize-linear-nhwc", "Resize", [f(1, 7, 9, 3), empty, np.array([1, 1.5, 0.8, 1], np.float32)],
                    {"mode": "linear"}, opset=13))
    out.append(case("Resize-linear-uint8-nchw", "Resize", [ints(1, 2, 5, 6, low=0, high=256, dtype=np.uint8), empty,
                                                         np.array([1, 1, 1.6, 1.9], np.float32)], {"mode": "linear"}, opset=13))
    out.append(case("Resize-linear-uint8-nhwc", "Resize", [ints(1, 5, 6, 3, low=0, high=256, dtype=np.uint8), empty,
                                                         np.array([1, 1.6, 1.9, 1], np.float32)], {"mode": "linear"}, opset=13))
    out.append(case("Resize-linear-int8-nhwc", "Resize", [ints(1, 5, 6, 2, low=-128, high=128, dtype=np.int8), empty,
                                                        np.array([1, 2.5, 0.7, 1], np.float32)], {"mode": "linear"}, opset=13))
    roi = np.array([0, 0, 0.1, 0.2, 1, 1, 0.9, 1.3], np.float32)
    out.append(case("Resize-crop-and-resize-linear", "Resize", [x, roi, None, i64(1, 3, 6, 8)],
                    {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": -7.0}, opset=13))
    out.append(case("Resize-crop-and-resize-nearest", "Resize", [x, roi, None, i64(1, 3, 6, 8)],
                    {"mode": "nearest", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": 3.0}, opset=13))
    out.append(case("Resize-opset10", "Resize", [f(1, 2, 4, 5), np.array([1, 1, 2, 0.5], np.float32)], {"mode": "nearest"}, opset=10))
    out.append(case("Resize-opset10-linear", "Resize", [f(1, 2, 4, 5), np.array([1, 1, 1.5, 2], np.float32)], {"mode": "linear"}, opset=10))
    out.append(case("Resize-same-size", "Resize", [x, empty, None, i64(1, 3, 7, 9)], {"mode": "linear"}, opset=13))
    out.append(case("Resize-axes-opset18", "Resize", [x, empty, np.array([2.0, 0.5], np.float32)],
                    {"mode": "linear", "axes": [2, 3]}, opset=18))
    out.append(case("Resize-not-larger-opset18", "Resize", [x, empty, None, i64(10, 10)],
                    {"mode": "nearest", "axes": [2, 3], "keep_aspect_ratio_policy": "not_larger"}, opset=18))
    out.append(case("Resize-not-smaller-opset18", "Resize", [x, empty, None, i64(10, 10)],
                    {"mode": "linear", "axes": [2, 3], "keep_aspect_ratio_policy": "not_smaller"}, opset=18))
    out.append(case("Resize-half-pixel-symmetric", "Resize", [x, empty, np.array([1, 1, 1.3, 0.7], np.float32)],
                    {"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"}, opset=19))
    return out


def cases():
    return shape_cases() + layout_cases() + index_cases() + selection_cases() + reduce_cases() + resize_cases()
