"""Reference cases for the quantization family (QuantizeOps.swift)."""
import numpy as np

rng = np.random.default_rng(3)


def f(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def case(name, op, inputs, attrs=None, opset=13, outputs=1):
    return {"name": name, "op": op, "inputs": inputs, "attrs": attrs or {}, "opset": opset, "outputs": outputs,
            "tolerance": 0.0}


def cases():
    out = []
    scale = np.array(0.25, np.float32)
    # Exact halves (x / scale = k + 0.5) must round to even; big values saturate.
    halves = (np.arange(-40, 40, dtype=np.float32) + 0.5) * 0.25
    edges = np.concatenate([halves, np.array([1e6, -1e6, np.inf, -np.inf, 0.0, -0.0], np.float32)])
    out.append(case("Quantize-uint8-ties", "QuantizeLinear", [edges, scale, np.array(128, np.uint8)]))
    out.append(case("Quantize-int8-ties", "QuantizeLinear", [edges, scale, np.array(-3, np.int8)]))
    out.append(case("Quantize-default-uint8", "QuantizeLinear", [edges, scale]))
    out.append(case("Quantize-odd-scale", "QuantizeLinear", [f(3, 50) * 3, np.array(0.0173, np.float32), np.array(117, np.uint8)]))
    out.append(case("Quantize-scale-vector1", "QuantizeLinear", [f(4, 5), np.array([0.05], np.float32), np.array([10], np.uint8)]))
    per_axis_scale = np.array([0.01, 0.05, 0.2], np.float32)
    x = f(2, 3, 4, 5) * 2
    out.append(case("Quantize-per-axis-uint8", "QuantizeLinear", [x, per_axis_scale, np.array([0, 128, 255], np.uint8)]))
    out.append(case("Quantize-per-axis-int8", "QuantizeLinear", [x, per_axis_scale, np.array([0, -5, 7], np.int8)]))
    out.append(case("Quantize-per-axis-0", "QuantizeLinear", [f(3, 6), per_axis_scale, np.array([1, 2, 3], np.int8)], {"axis": 0}))
    out.append(case("Quantize-per-axis-negative", "QuantizeLinear", [f(2, 4, 3), per_axis_scale, np.array([9, 0, 4], np.uint8)],
                    {"axis": -1}))
    out.append(case("Quantize-opset10", "QuantizeLinear", [f(10), np.array(0.02, np.float32), np.array(100, np.uint8)], opset=10))
    out.append(case("Quantize-float16", "QuantizeLinear", [f(20).astype(np.float16), np.array(0.03, np.float16),
                                                         np.array(5, np.int8)], opset=19))
    out.append(case("Quantize-empty", "QuantizeLinear", [np.zeros((0, 3), np.float32), scale, np.array(1, np.uint8)]))
    q8 = rng.integers(-128, 128, (2, 3, 4)).astype(np.int8)
    qu = rng.integers(0, 256, (2, 3, 4)).astype(np.uint8)
    out.append(case("Dequantize-uint8", "DequantizeLinear", [qu, np.array(0.037, np.float32), np.array(131, np.uint8)]))
    out.append(case("Dequantize-int8", "DequantizeLinear", [q8, np.array(0.5, np.float32), np.array(-7, np.int8)]))
    out.append(case("Dequantize-no-zero-point", "DequantizeLinear", [q8, np.array(0.125, np.float32)]))
    out.append(case("Dequantize-int32-bias", "DequantizeLinear", [rng.integers(-100000, 100000, 16).astype(np.int32),
                                                                 np.array(0.0003, np.float32)]))
    out.append(case("Dequantize-int32-per-axis", "DequantizeLinear", [rng.integers(-100000, 100000, 3).astype(np.int32),
                                                                     per_axis_scale], {"axis": 0}))
    out.append(case("Dequantize-per-axis-int8", "DequantizeLinear", [q8, per_axis_scale, np.array([0, 1, -1], np.int8)]))
    out.append(case("Dequantize-per-axis-negative", "DequantizeLinear", [qu.reshape(2, 4, 3), per_axis_scale,
                                                                        np.array([3, 200, 0], np.uint8)], {"axis": -1}))
    out.append(case("Dequantize-float16", "DequantizeLinear", [q8, np.array(0.0625, np.float16), np.array(2, np.int8)], opset=19))
    out.append(case("Dequantize-opset10", "DequantizeLinear", [qu, np.array(0.1, np.float32), np.array(1, np.uint8)], opset=10))
    for name, data in [("random", f(4, 30) * 3), ("positive", np.abs(f(50)) + 1), ("negative", -np.abs(f(50)) - 0.5),
                       ("zeros", np.zeros(8, np.float32)), ("ties", np.array([-2.0, 0.5, 1.5, 2.5, 63.75], np.float32))]:
        out.append(case(f"DynamicQuantize-{name}", "DynamicQuantizeLinear", [data], opset=11, outputs=3))
    # MatMulInteger: uint8 activations x int8 weights (dynamic quantization's form), zero
    # points scalar, per row of A and per column of B, batch broadcasting, and a K large
    # enough (300) that a float accumulator would not be exact.
    au = rng.integers(0, 256, (2, 5, 300)).astype(np.uint8)
    b8 = rng.integers(-128, 128, (300, 7)).astype(np.int8)
    out.append(case("MatMulInteger-u8s8", "MatMulInteger", [au, b8, np.array(131, np.uint8), np.array(0, np.int8)], opset=10))
    out.append(case("MatMulInteger-no-zero-points", "MatMulInteger", [au, b8], opset=10))
    out.append(case("MatMulInteger-per-column", "MatMulInteger",
                    [au[0], b8, np.array(7, np.uint8), rng.integers(-5, 5, 7).astype(np.int8)], opset=10))
    out.append(case("MatMulInteger-u8u8-batched", "MatMulInteger",
                    [au, rng.integers(0, 256, (2, 300, 3)).astype(np.uint8), np.array(1, np.uint8), np.array(200, np.uint8)],
                    opset=10))
    return out
