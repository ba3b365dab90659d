"""Reference cases for the elementwise family (ElementwiseOps.swift)."""
import numpy as np

rng = np.random.default_rng(7)


def f(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def i(*shape):
    return rng.integers(-5, 6, shape).astype(np.int64)


def cases():
    out = []
    for op in ["Add", "Sub", "Mul", "Div", "Max", "Min"]:
        out.append({"name": f"{op}-broadcast", "op": op, "inputs": [f(2, 3, 4, 5), f(3, 1, 5)]})
        out.append({"name": f"{op}-scalar", "op": op, "inputs": [f(4, 5), f()]})
        out.append({"name": f"{op}-channel", "op": op, "inputs": [f(1, 8, 6, 6), f(1, 8, 1, 1)]})
        # Runs merged across axes, scalars on either side, lengths that are not a multiple
        # of the eight SIMD lanes, size-1 axes in the middle.
        out.append({"name": f"{op}-scalar-first", "op": op, "inputs": [f(1), f(2, 7, 13) + 3]})
        out.append({"name": f"{op}-same-long", "op": op, "inputs": [f(3, 37), f(3, 37) + 3]})
        out.append({"name": f"{op}-middle-ones", "op": op, "inputs": [f(2, 1, 3, 1, 9), f(1, 4, 3, 1, 1) + 3]})
    for op in ["Add", "Sub", "Mul", "Max", "Min"]:
        out.append({"name": f"{op}-int64", "op": op, "inputs": [i(3, 4), i(4)]})
    out.append({"name": "Div-int64", "op": "Div", "inputs": [i(3, 4) * 7, np.array([2, -3, 5, 4], dtype=np.int64)]})
    out.append({"name": "Add-float16", "op": "Add", "inputs": [f(3, 4).astype(np.float16), f(4).astype(np.float16)], "tolerance": 1e-3})
    out.append({"name": "Pow-square", "op": "Pow", "inputs": [f(3, 4), np.array(2.0, dtype=np.float32)]})
    out.append({"name": "Pow-frac", "op": "Pow", "inputs": [np.abs(f(3, 4)), np.array(0.5, dtype=np.float32)]})
    out.append({"name": "Sum-3", "op": "Sum", "inputs": [f(2, 3), f(3), f(1, 3)]})
    for op in ["Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual"]:
        out.append({"name": f"{op}-float", "op": op, "inputs": [np.round(f(3, 4)), np.round(f(4))]})
        out.append({"name": f"{op}-int", "op": op, "inputs": [i(3, 4), i(3, 1)]})
    for op in ["And", "Or", "Xor"]:
        out.append({"name": op, "op": op, "inputs": [f(3, 4) > 0, f(4) > 0]})
    out.append({"name": "Not", "op": "Not", "inputs": [f(3, 4) > 0]})
    for op in ["Relu", "Sigmoid", "Tanh", "Exp", "Neg", "Abs", "Floor", "Ceil", "Round", "Erf", "Softplus", "HardSwish"]:
        out.append({"name": op, "op": op, "inputs": [f(2, 3, 7)]})
    for op in ["Sqrt", "Log", "Reciprocal"]:
        out.append({"name": op, "op": op, "inputs": [np.abs(f(2, 3, 7)) + 0.1]})
    out.append({"name": "HardSigmoid", "op": "HardSigmoid", "attrs": {"alpha": 0.2, "beta": 0.5}, "inputs": [f(4, 9) * 4]})
    out.append({"name": "LeakyRelu", "op": "LeakyRelu", "attrs": {"alpha": 0.1}, "inputs": [f(4, 9)]})
    out.append({"name": "Clip-inputs", "op": "Clip", "inputs": [f(4, 9) * 5, np.array(0, dtype=np.float32), np.array(6, dtype=np.float32)]})
    out.append({"name": "Clip-long", "op": "Clip", "inputs": [f(5, 67) * 5, np.array(0, dtype=np.float32), np.array(6, dtype=np.float32)]})
    out.append({"name": "Clip-min-only", "op": "Clip", "inputs": [f(4, 9), np.array(-0.5, dtype=np.float32)]})
    out.append({"name": "Clip-opset6", "op": "Clip", "opset": 6, "attrs": {"min": -1.0, "max": 1.0}, "inputs": [f(4, 9) * 3]})
    out.append({"name": "Where", "op": "Where", "inputs": [f(3, 4) > 0, f(3, 4), f(4)]})
    out.append({"name": "Where-int", "op": "Where", "inputs": [f(3, 1) > 0, i(3, 4), i(4)]})
    out.append({"name": "Cast-f2i", "op": "Cast", "attrs": {"to": 7}, "inputs": [f(3, 4) * 10]})
    out.append({"name": "Cast-i2f", "op": "Cast", "attrs": {"to": 1}, "inputs": [i(3, 4)]})
    out.append({"name": "Cast-f2h", "op": "Cast", "attrs": {"to": 10}, "inputs": [f(3, 4)]})
    out.append({"name": "Cast-f2b", "op": "Cast", "attrs": {"to": 9}, "inputs": [np.round(f(3, 4))]})
    out.append({"name": "PRelu", "op": "PRelu", "inputs": [f(1, 4, 3, 3), f(4, 1, 1)]})
    out.append({"name": "Identity", "op": "Identity", "inputs": [i(3)]})
    return out
