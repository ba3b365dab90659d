#!/usr/bin/env python3
"""Regenerates Fuzz/Corpus/onnx/ (seed models for the ONNX reader fuzz target) and
Fuzz/onnx.dict. Needs the `onnx` and `numpy` packages (the oracle venv has both):

    .venv-oracle/bin/python Fuzz/tools/make_onnx_seeds.py

Deterministic: fixed values, no random weights, fixed producer fields, so a rerun rewrites
nothing. Seeds are written only when missing or changed; reproducers of past findings
(`crash-*`, `oom-*`, `timeout-*`, `repro-*`) are never touched. Each seed stays small (a
few kB): libFuzzer mutates small inputs far faster, and structure matters here, not size.
"""
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from seedfiles import write_dictionary, write_seeds

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Fuzz" / "Corpus" / "onnx"
MAX_SEED = 20_000  # bytes; run.sh passes -max_len=65536

seeds: dict[str, bytes] = {}


def model(graph, opsets=(("", 17),), ir_version=8, **fields) -> onnx.ModelProto:
    """A model with fixed producer fields (helper.make_model would stamp the onnx version)."""
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(domain, version) for domain, version in opsets],
        producer_name="gsctl-fuzz-seeds",
        producer_version="1",
        **fields,
    )
    m.ir_version = ir_version
    return m


def seed(name: str, m) -> None:
    data = m if isinstance(m, bytes) else m.SerializeToString()
    assert len(data) <= MAX_SEED, (name, len(data))
    seeds[name] = data


def ramp(shape, dtype=np.float32, scale=0.01):
    """Deterministic weights: 0, 1, 2, ... scaled, in the given shape."""
    count = int(np.prod(shape))
    return (np.arange(count, dtype=np.float64) * scale).astype(dtype).reshape(shape)


def tensor_value(name, elem_type, shape):
    return helper.make_tensor_value_info(name, elem_type, shape)


# --- Conv + Relu: the shape of a real CNN layer, weights as raw_data (what exporters write).
conv_w = numpy_helper.from_array(ramp((4, 3, 3, 3)), "conv.weight")
conv_b = numpy_helper.from_array(ramp((4,), scale=0.5), "conv.bias")
seed(
    "conv-relu.onnx",
    model(
        helper.make_graph(
            [
                helper.make_node(
                    "Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="conv", kernel_shape=[3, 3],
                    pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1),
                helper.make_node("Relu", ["c"], ["y"], name="relu"),
            ],
            "conv_relu",
            [tensor_value("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
            [tensor_value("y", TensorProto.FLOAT, ["N", 4, 8, 8])],
            initializer=[conv_w, conv_b],
        )),
)

# --- The smallest thing that is a model: an IR version and an empty graph.
seed("minimal.onnx", model(helper.make_graph([], "empty", [], [])))

# --- Loop whose body holds an If (two levels of subgraphs), with outer-scope reads.
then_graph = helper.make_graph(
    [helper.make_node("Add", ["acc_in", "step"], ["then_out"])], "then", [],
    [tensor_value("then_out", TensorProto.FLOAT, [1])])
else_graph = helper.make_graph(
    [helper.make_node("Sub", ["acc_in", "step"], ["else_out"])], "else", [],
    [tensor_value("else_out", TensorProto.FLOAT, [1])])
body = helper.make_graph(
    [
        helper.make_node("Greater", ["acc_in", "limit"], ["big"]),
        helper.make_node("If", ["big"], ["acc_out"], then_branch=then_graph, else_branch=else_graph),
        helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        helper.make_node("Identity", ["acc_out"], ["scan_out"]),
    ],
    "loop_body",
    [
        tensor_value("iter", TensorProto.INT64, []),
        tensor_value("cond_in", TensorProto.BOOL, []),
        tensor_value("acc_in", TensorProto.FLOAT, [1]),
    ],
    [
        tensor_value("cond_out", TensorProto.BOOL, []),
        tensor_value("acc_out", TensorProto.FLOAT, [1]),
        tensor_value("scan_out", TensorProto.FLOAT, [1]),
    ],
)
seed(
    "loop-if.onnx",
    model(
        helper.make_graph(
            [helper.make_node("Loop", ["trips", "cond", "acc0"], ["acc", "scans"], name="loop", body=body)],
            "loop",
            [tensor_value("acc0", TensorProto.FLOAT, [1])],
            [tensor_value("acc", TensorProto.FLOAT, [1]), tensor_value("scans", TensorProto.FLOAT, [None, 1])],
            initializer=[
                numpy_helper.from_array(np.array(5, dtype=np.int64), "trips"),
                numpy_helper.from_array(np.array(True), "cond"),
                numpy_helper.from_array(np.array([0.5], dtype=np.float32), "step"),
                numpy_helper.from_array(np.array([2.0], dtype=np.float32), "limit"),
            ],
        )),
)

# --- One custom-domain node with an attribute of every AttributeProto type, including the
# empty lists (which only the explicit type tells apart) and sparse tensors (kept as unknown
# fields by the reader).
small_tensor = numpy_helper.from_array(np.array([1, 2, 3], dtype=np.int32), "attr_t")
small_graph = helper.make_graph(
    [helper.make_node("Neg", ["a"], ["b"])], "attr_g", [tensor_value("a", TensorProto.FLOAT, [2])],
    [tensor_value("b", TensorProto.FLOAT, [2])])
sparse = helper.make_sparse_tensor(
    numpy_helper.from_array(np.array([1.5, -2.5], dtype=np.float32), "sparse_values"),
    numpy_helper.from_array(np.array([1, 5], dtype=np.int64), "sparse_indices"), [2, 4])
float_type = helper.make_tensor_type_proto(TensorProto.FLOAT, [2, "M"])
seq_type = helper.make_sequence_type_proto(helper.make_tensor_type_proto(TensorProto.INT64, None))
attributes = {
    "f": 0.25, "f_nan": float("nan"), "f_neg_zero": -0.0, "i": 7, "i_neg": -3, "i_zero": 0, "s": b"text",
    "s_empty": b"", "t": small_tensor, "g": small_graph, "floats": [1.0, -2.0, 3.5], "ints": [1, -1, 2**40],
    "strings": [b"a", b"", b"\xff\xfe"], "tensors": [small_tensor, numpy_helper.from_array(ramp((2, 2)), "t2")],
    "graphs": [small_graph, small_graph], "sparse_tensor": sparse, "sparse_tensors": [sparse, sparse],
    "tp": float_type, "type_protos": [float_type, seq_type],
}
node = helper.make_node("Everything", ["x"], ["y"], name="everything", domain="com.example.fuzz", **attributes)
for name, kind in [
    ("floats_empty", onnx.AttributeProto.FLOATS), ("ints_empty", onnx.AttributeProto.INTS),
    ("strings_empty", onnx.AttributeProto.STRINGS), ("tensors_empty", onnx.AttributeProto.TENSORS),
    ("graphs_empty", onnx.AttributeProto.GRAPHS), ("type_protos_empty", onnx.AttributeProto.TYPE_PROTOS),
]:
    node.attribute.append(helper.make_attribute(name, [], attr_type=kind))
untyped = onnx.AttributeProto(name="untyped_i", i=4)  # no `type`: very old exporters
node.attribute.append(untyped)
node.attribute[0].doc_string = "an attribute with a doc string"
seed(
    "attributes-every-type.onnx",
    model(
        helper.make_graph(
            [node], "attributes", [tensor_value("x", TensorProto.FLOAT, [2])],
            [tensor_value("y", TensorProto.FLOAT, [2])]),
        opsets=(("", 17), ("com.example.fuzz", 1))),
)

# --- Initializers whose data lives in an external file (location, offset, length,
# checksum), also inside a Constant's tensor attribute. The file does not exist: the reader
# only parses the references.
def external(name, dims, location, offset=None, length=None, checksum=None):
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in [("location", location), ("offset", offset), ("length", length), ("checksum", checksum)]:
        if value is not None:
            entry = t.external_data.add()
            entry.key, entry.value = key, str(value)
    return t


const_ext = helper.make_node("Constant", [], ["k"], value=external("k_value", [4], "weights.bin", offset=4096))
seed(
    "external-data.onnx",
    model(
        helper.make_graph(
            [
                const_ext,
                helper.make_node("MatMul", ["x", "w"], ["m"]),
                helper.make_node("Add", ["m", "b"], ["a"]),
                helper.make_node("Add", ["a", "k"], ["y"]),
            ],
            "external",
            [tensor_value("x", TensorProto.FLOAT, [1, 4])],
            [tensor_value("y", TensorProto.FLOAT, [1, 4])],
            initializer=[
                external("w", [4, 4], "weights.bin", offset=0, length=64,
                         checksum="da39a3ee5e6b4b0d3255bfef95601890afd80709"),
                external("b", [4], "sub/bias.bin"),
                external("hostile", [2], "../../etc/passwd", offset=-1, length="lots"),
            ],
        )),
)

# --- Typed (non-raw) tensor fields: float_data, int32_data (int8, uint8, int16, uint16,
# bool, float16, bfloat16 bit patterns), string_data, int64_data, double_data, uint64_data
# (uint32, uint64), complex pairs, 4-bit and 8-bit float types, a segment, tensor metadata,
# and an unpacked float run (what old writers produced).
def typed(name, data_type, dims, field, values):
    t = TensorProto(name=name, data_type=data_type, dims=dims)
    getattr(t, field).extend(values)
    return t


typed_tensors = [
    typed("f32", TensorProto.FLOAT, [2, 2], "float_data", [1.0, -0.0, float("inf"), float("nan")]),
    typed("i32", TensorProto.INT32, [3], "int32_data", [-(2**31), 0, 2**31 - 1]),
    typed("i8", TensorProto.INT8, [3], "int32_data", [-128, 0, 127]),
    typed("u8", TensorProto.UINT8, [3], "int32_data", [0, 128, 255]),
    typed("i16", TensorProto.INT16, [2], "int32_data", [-32768, 32767]),
    typed("u16", TensorProto.UINT16, [2], "int32_data", [0, 65535]),
    typed("bool", TensorProto.BOOL, [3], "int32_data", [0, 1, 1]),
    typed("f16", TensorProto.FLOAT16, [2], "int32_data", [0x3C00, 0x7E00]),
    typed("bf16", TensorProto.BFLOAT16, [2], "int32_data", [0x3F80, 0xFF80]),
    typed("f8", TensorProto.FLOAT8E4M3FN, [2], "int32_data", [0x38, 0x7F]),
    typed("i4", TensorProto.INT4, [3], "int32_data", [0x7F, 0x08]),
    typed("str", TensorProto.STRING, [3], "string_data", [b"hello", b"", b"\x00\xff"]),
    typed("i64", TensorProto.INT64, [3], "int64_data", [-(2**63), 0, 2**63 - 1]),
    typed("f64", TensorProto.DOUBLE, [2], "double_data", [3.141592653589793, -1e308]),
    typed("u32", TensorProto.UINT32, [2], "uint64_data", [0, 2**32 - 1]),
    typed("u64", TensorProto.UINT64, [2], "uint64_data", [0, 2**64 - 1]),
    typed("c64", TensorProto.COMPLEX64, [1], "float_data", [1.0, -1.0]),
    typed("c128", TensorProto.COMPLEX128, [1], "double_data", [0.5, 2.0]),
    typed("scalar", TensorProto.FLOAT, [], "float_data", [42.0]),
    typed("empty", TensorProto.FLOAT, [0, 3], "float_data", []),
    typed("mismatch", TensorProto.FLOAT, [4], "float_data", [1.0]),  # too few values
]
segmented = typed("segment", TensorProto.INT64, [2], "int64_data", [5, 6])
segmented.segment.begin, segmented.segment.end = 4, 6
segmented.doc_string = "second half of a larger tensor"
typed_tensors.append(segmented)
with_meta = typed("with_meta", TensorProto.INT32, [1], "int32_data", [9])
with_meta.metadata_props.add(key="origin", value="fuzz")
typed_tensors.append(with_meta)
graph = helper.make_graph(
    [helper.make_node("Identity", ["f32"], ["y"])], "typed", [],
    [tensor_value("y", TensorProto.FLOAT, [2, 2])], initializer=typed_tensors)
typed_model = model(graph)
raw = typed_model.SerializeToString()
seed("typed-tensors.onnx", raw)
# A float tensor with float_data written unpacked (one key per value) and dims packed: the
# opposite of what protobuf writers do (the python package would normalise both, hence bytes).
def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def tag(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def field(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


unpacked = field(1, b"\x03") + b"\x10\x01"  # dims [3] packed, data_type FLOAT
for value in [1.0, 2.0, 3.0]:
    unpacked += b"\x25" + np.array([value], dtype="<f4").tobytes()  # field 4, wire type 5
unpacked += field(8, b"unpacked")
graph_bytes = field(2, b"unpacked") + field(5, unpacked)
shell = model(helper.make_graph([], "x", [], []))
shell.ClearField("graph")
seed("unpacked-float-data.onnx", shell.SerializeToString() + field(7, graph_bytes))

# --- Metadata everywhere, value infos of every kind of type (tensor with symbolic, fixed
# and unknown axes, unknown rank, sequence, map, optional, sparse), doc strings, a
# model-local function with an attribute reference and an overload, graph and node
# metadata (IR 10), training info and an unknown field (kept as unknown fields).
value_infos = [
    tensor_value("t_sym", TensorProto.FLOAT, ["batch", 3, None]),
    helper.make_tensor_value_info("t_norank", TensorProto.UINT8, None),
    helper.make_value_info("seq", helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, [2]))),
    helper.make_value_info("map", helper.make_map_type_proto(
        TensorProto.STRING, helper.make_tensor_type_proto(TensorProto.INT64, []))),
    helper.make_value_info("opt", helper.make_optional_type_proto(
        helper.make_tensor_type_proto(TensorProto.BOOL, [1]))),
    helper.make_sparse_tensor_value_info("sparse", TensorProto.FLOAT, [4, 4]),
]
value_infos[0].doc_string = "a value info with a doc string"
value_infos[0].type.denotation = "TENSOR"
value_infos[0].type.tensor_type.shape.dim[0].denotation = "DATA_BATCH"
value_infos[0].metadata_props.add(key="vi", value="meta")

fn_node = helper.make_node("Mul", ["fx", "fx"], ["fsq"])
scale_node = helper.make_node("Mul", ["fsq", "fscale"], ["fy"])
const_node = helper.make_node("Constant", [], ["fscale"])
const_node.attribute.append(helper.make_attribute_ref("value_float", onnx.AttributeProto.FLOAT, "alpha"))
function = helper.make_function(
    "com.example.fuzz", "ScaledSquare", ["fx"], ["fy"], [fn_node, const_node, scale_node],
    [helper.make_opsetid("", 17)], attributes=["alpha"])
function.overload = "v2"
function.doc_string = "x * x * alpha"
function.metadata_props.add(key="fn", value="meta")
function.value_info.append(tensor_value("fsq", TensorProto.FLOAT, [2]))
call = helper.make_node("ScaledSquare", ["x"], ["y"], domain="com.example.fuzz", alpha=2.0)
call.overload = "v2"
call.metadata_props.add(key="node", value="meta")
call.doc_string = "calls the model-local function"
meta_graph = helper.make_graph(
    [call], "metadata", [tensor_value("x", TensorProto.FLOAT, [2])], [tensor_value("y", TensorProto.FLOAT, [2])],
    value_info=value_infos, doc_string="graph doc")
meta_graph.metadata_props.add(key="graph", value="meta")
qa = meta_graph.quantization_annotation.add(tensor_name="x")
qa.quant_parameter_tensor_names.add(key="SCALE_TENSOR", value="x_scale")
meta_graph.sparse_initializer.append(sparse)
meta = model(meta_graph, opsets=(("", 17), ("com.example.fuzz", 1)), ir_version=10, functions=[function])
meta.domain = "com.example"
meta.model_version = 3
meta.doc_string = "every kind of metadata"
for key, value in [("author", "fuzz"), ("characters", "abc\u00e9\u4e2d"), ("empty", "")]:
    meta.metadata_props.add(key=key, value=value)
training = meta.training_info.add()
training.algorithm.CopyFrom(helper.make_graph([], "algorithm", [], []))
seed("metadata-valueinfo-function.onnx", meta.SerializeToString() + tag(103, 0) + b"\x01")  # + unknown field 103

# --- A model with two subgraph levels of Scan and nested If, all in custom types.
seed(
    "nested-if.onnx",
    model(
        helper.make_graph(
            [helper.make_node(
                "If", ["c"], ["y"],
                then_branch=helper.make_graph(
                    [helper.make_node("If", ["c"], ["inner"], then_branch=then_graph, else_branch=else_graph)],
                    "outer_then", [], [tensor_value("inner", TensorProto.FLOAT, [1])]),
                else_branch=else_graph)],
            "nested",
            [tensor_value("c", TensorProto.BOOL, []), tensor_value("acc_in", TensorProto.FLOAT, [1]),
             tensor_value("step", TensorProto.FLOAT, [1])],
            [tensor_value("y", TensorProto.FLOAT, [1])])),
)

# --- Sizes the file declares but does not hold: dims whose product is past Int64 or
# negative, an external length near Int64.max. The reader must take them as numbers, and
# what sums or formats them (the summary) must not overflow.
huge = [
    TensorProto(name="huge_u8", data_type=TensorProto.UINT8, dims=[2**62, 2]),
    TensorProto(name="huge_f32", data_type=TensorProto.FLOAT, dims=[2**31, 2**31]),
    TensorProto(name="negative", data_type=TensorProto.INT64, dims=[-1, 4]),
    TensorProto(name="half_bytes", data_type=TensorProto.INT4, dims=[2**63 - 1]),
    external("far", [4], "weights.bin", offset=2**63 - 1, length=2**63 - 1),
]
seed(
    "huge-declared-sizes.onnx",
    model(
        helper.make_graph(
            [helper.make_node("Identity", ["huge_u8"], ["y"])], "huge", [],
            [tensor_value("y", TensorProto.UINT8, [2**62, 2])], initializer=huge)),
)

write_seeds(seeds, OUT, ROOT)


# --- The libFuzzer dictionary: protobuf keys of the ONNX schema's fields (tag bytes as the
# writer emits them), op types, attribute names and the external_data keys.
def dict_entry(token: bytes) -> str:
    return '"' + "".join(chr(b) if 0x20 <= b <= 0x7E and b not in (0x22, 0x5C) else f"\\x{b:02X}" for b in token) + '"'


tokens: set[bytes] = set()
for number in range(1, 27):
    for wire in (0, 1, 2, 5):
        tokens.add(tag(number, wire))
tokens.update(tag(number, 2) + bytes([0]) for number in range(1, 27))  # empty messages and strings
# Varints at the edges (sizes, dims and lengths near the limits of Int32 and Int64, -1) and
# NaN/infinity bit patterns: byte-level mutation rarely builds a 9-byte varint by itself.
tokens.update(varint(v) for v in [2**31 - 1, 2**31, 2**32 - 1, 2**62, 2**63 - 1, 2**63, 2**64 - 1, 128, 2**14])
tokens.update({b"\x00\x00\xc0\x7f", b"\x00\x00\x80\x7f", b"\x00\x00\x80\xff"})
for text in [
    "Conv", "Relu", "Loop", "If", "Scan", "Constant", "Identity", "Add", "MatMul", "Gemm", "Reshape",
    "ai.onnx", "ai.onnx.ml", "com.microsoft", "location", "offset", "length", "checksum", "weights.bin",
    "body", "then_branch", "else_branch", "value", "kernel_shape", "pads", "strides", "N", "batch",
]:
    tokens.add(text.encode())
write_dictionary([dict_entry(t) for t in sorted(tokens)], ROOT / "Fuzz" / "onnx.dict",
                 "libFuzzer dictionary for the ONNX reader; generated by Fuzz/tools/make_onnx_seeds.py", ROOT)
