"""Reference cases for the neural family (NeuralOps.swift): convolutions, pooling,
normalisation and matrix products, in the shapes and attribute forms real models use."""
import numpy as np

rng = np.random.default_rng(11)


def f(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def cases():
    out = []
    # Conv: plain, padded, strided, dilated, grouped, depthwise, pointwise, 1-D, auto_pad.
    out.append({"name": "Conv-3x3-pad1", "op": "Conv", "attrs": {"pads": [1, 1, 1, 1]}, "inputs": [f(1, 3, 17, 19), f(8, 3, 3, 3), f(8)], "tolerance": 1e-5})
    out.append({"name": "Conv-stride2", "op": "Conv", "attrs": {"strides": [2, 2], "pads": [1, 1, 1, 1]}, "inputs": [f(2, 4, 16, 15), f(6, 4, 3, 3)]})
    out.append({"name": "Conv-asym-pads", "op": "Conv", "attrs": {"pads": [0, 1, 2, 0]}, "inputs": [f(1, 2, 9, 9), f(3, 2, 3, 3)]})
    out.append({"name": "Conv-dilated", "op": "Conv", "attrs": {"dilations": [2, 3], "pads": [2, 3, 2, 3]}, "inputs": [f(1, 3, 14, 14), f(4, 3, 3, 3)]})
    out.append({"name": "Conv-grouped", "op": "Conv", "attrs": {"group": 2, "pads": [1, 1, 1, 1]}, "inputs": [f(1, 8, 10, 10), f(6, 4, 3, 3), f(6)]})
    out.append({"name": "Conv-depthwise", "op": "Conv", "attrs": {"group": 16, "pads": [1, 1, 1, 1]}, "inputs": [f(1, 16, 20, 21), f(16, 1, 3, 3), f(16)]})
    out.append({"name": "Conv-depthwise-s2", "op": "Conv", "attrs": {"group": 8, "strides": [2, 2], "pads": [1, 1, 1, 1]}, "inputs": [f(1, 8, 15, 16), f(8, 1, 3, 3)]})
    # Depthwise windows at every border: dilated, padding wider than the kernel (rows and
    # columns that read only padding), asymmetric pads, wide rows (eight-lane interiors).
    out.append({"name": "Conv-depthwise-dilated", "op": "Conv", "attrs": {"group": 6, "dilations": [2, 2], "pads": [2, 2, 2, 2]}, "inputs": [f(1, 6, 17, 29), f(6, 1, 3, 3), f(6)]})
    out.append({"name": "Conv-depthwise-bigpad", "op": "Conv", "attrs": {"group": 3, "pads": [4, 3, 4, 5]}, "inputs": [f(1, 3, 5, 11), f(3, 1, 3, 3)]})
    out.append({"name": "Conv-depthwise-s2-wide", "op": "Conv", "attrs": {"group": 5, "strides": [2, 2], "pads": [0, 0, 1, 1]}, "inputs": [f(1, 5, 33, 41), f(5, 1, 3, 3), f(5)]})
    out.append({"name": "Conv-depthwise-nopad-wide", "op": "Conv", "attrs": {"group": 4}, "inputs": [f(1, 4, 12, 40), f(4, 1, 3, 3)]})
    out.append({"name": "Conv-depthwise-5x5", "op": "Conv", "attrs": {"group": 4, "pads": [2, 2, 2, 2]}, "inputs": [f(1, 4, 9, 9), f(4, 1, 5, 5)]})
    out.append({"name": "Conv-pointwise", "op": "Conv", "inputs": [f(1, 32, 7, 9), f(24, 32, 1, 1), f(24)]})
    out.append({"name": "Conv-1d", "op": "Conv", "attrs": {"pads": [1, 1]}, "inputs": [f(2, 3, 20), f(5, 3, 3), f(5)]})
    out.append({"name": "Conv-same-upper", "op": "Conv", "attrs": {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, "inputs": [f(1, 3, 11, 11), f(4, 3, 3, 3)]})
    out.append({"name": "Conv-valid", "op": "Conv", "attrs": {"auto_pad": "VALID"}, "inputs": [f(1, 3, 11, 10), f(4, 3, 4, 2)]})
    out.append({"name": "Conv-large-k", "op": "Conv", "attrs": {"pads": [1, 1, 1, 1]}, "inputs": [f(1, 64, 12, 12), f(32, 64, 3, 3)], "tolerance": 1e-5})
    out.append({"name": "Conv-float16", "op": "Conv", "attrs": {"pads": [1, 1, 1, 1]}, "inputs": [f(1, 3, 8, 8).astype(np.float16), f(4, 3, 3, 3).astype(np.float16)], "tolerance": 2e-3})
    # ConvTranspose: the PP-OCR detector's 2x upsampling and general forms.
    out.append({"name": "ConvT-2x2-s2", "op": "ConvTranspose", "attrs": {"strides": [2, 2]}, "inputs": [f(1, 8, 5, 6), f(8, 4, 2, 2), f(4)]})
    out.append({"name": "ConvT-3x3-pad", "op": "ConvTranspose", "attrs": {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}, "inputs": [f(1, 4, 5, 5), f(4, 3, 3, 3)]})
    out.append({"name": "ConvT-grouped", "op": "ConvTranspose", "attrs": {"group": 2, "strides": [2, 2]}, "inputs": [f(1, 4, 3, 3), f(4, 2, 2, 2)]})
    out.append({"name": "ConvT-output-shape", "op": "ConvTranspose", "attrs": {"strides": [2, 2], "output_shape": [10, 12]}, "inputs": [f(1, 2, 5, 6), f(2, 3, 3, 3)]})
    # Pooling.
    out.append({"name": "MaxPool-3x3-s2", "op": "MaxPool", "attrs": {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, "inputs": [f(1, 4, 15, 16)]})
    out.append({"name": "MaxPool-2x2", "op": "MaxPool", "attrs": {"kernel_shape": [2, 2], "strides": [2, 2]}, "inputs": [f(2, 3, 8, 9)]})
    out.append({"name": "MaxPool-ceil", "op": "MaxPool", "attrs": {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}, "inputs": [f(1, 2, 10, 11)]})
    out.append({"name": "MaxPool-1d", "op": "MaxPool", "attrs": {"kernel_shape": [3], "strides": [1], "pads": [1, 1]}, "inputs": [f(1, 2, 12)]})
    out.append({"name": "AvgPool-excl", "op": "AveragePool", "attrs": {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, "inputs": [f(1, 3, 9, 10)]})
    out.append({"name": "AvgPool-incl", "op": "AveragePool", "attrs": {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1}, "inputs": [f(1, 3, 9, 10)]})
    out.append({"name": "AvgPool-ceil", "op": "AveragePool", "attrs": {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}, "inputs": [f(1, 3, 7, 9)]})
    out.append({"name": "GlobalAveragePool", "op": "GlobalAveragePool", "inputs": [f(2, 5, 7, 8)]})
    out.append({"name": "GlobalMaxPool", "op": "GlobalMaxPool", "inputs": [f(2, 5, 7, 8)]})
    # Normalisation.
    out.append({"name": "BatchNorm", "op": "BatchNormalization", "attrs": {"epsilon": 1e-3}, "inputs": [f(2, 4, 5, 6), f(4), f(4), f(4), np.abs(f(4)) + 0.5]})
    out.append({"name": "LayerNorm", "op": "LayerNormalization", "attrs": {"axis": -1, "epsilon": 1e-6}, "inputs": [f(2, 5, 16), f(16), f(16)]})
    # Matrix products.
    out.append({"name": "Gemm", "op": "Gemm", "inputs": [f(3, 5), f(5, 4), f(4)]})
    out.append({"name": "Gemm-transB", "op": "Gemm", "attrs": {"transB": 1, "alpha": 0.5, "beta": 2.0}, "inputs": [f(7, 33), f(10, 33), f(7, 10)]})
    out.append({"name": "Gemm-transA", "op": "Gemm", "attrs": {"transA": 1}, "inputs": [f(6, 2), f(6, 3)]})
    out.append({"name": "Gemm-fc", "op": "Gemm", "attrs": {"transB": 1}, "inputs": [f(1, 1280), f(100, 1280), f(100)], "tolerance": 1e-5})
    out.append({"name": "MatMul-2d", "op": "MatMul", "inputs": [f(9, 40), f(40, 17)]})
    out.append({"name": "MatMul-batched", "op": "MatMul", "inputs": [f(2, 3, 10, 16), f(2, 3, 16, 10)]})
    out.append({"name": "MatMul-broadcast", "op": "MatMul", "inputs": [f(4, 1, 6, 8), f(3, 8, 5)]})
    out.append({"name": "MatMul-vector-left", "op": "MatMul", "inputs": [f(8), f(2, 8, 3)]})
    out.append({"name": "MatMul-vector-right", "op": "MatMul", "inputs": [f(2, 5, 8), f(8)]})
    out.append({"name": "MatMul-vectors", "op": "MatMul", "inputs": [f(8), f(8)]})
    return out
