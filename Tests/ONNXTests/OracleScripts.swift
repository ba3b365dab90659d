/// The Python side of the oracle tests, kept in Swift so the test target has no loose files.
enum OracleScripts {
    /// `dump.py MODEL OUT [MODEL OUT...]`: a model as text, printed the way `ModelDump`
    /// prints it from our decoder; tensor values as bit patterns, large ones as SHA-256.
    static let dump = #"""
        # Prints a model as text the Swift test prints the same way from its own decoder.
        import hashlib, sys
        import numpy as np
        import onnx
        from onnx import TensorProto, numpy_helper

        def values(flat):
            flat = np.ascontiguousarray(flat.reshape(-1))
            if flat.size <= 8:
                return "[" + ",".join(str(int(x)) for x in flat) + "]"
            return f"n={flat.size} sha256={hashlib.sha256(flat.tobytes()).hexdigest()}"

        def tensor(t, base):
            head = f"tensor {t.name} type={t.data_type} dims={list(t.dims)}"
            if t.data_type == TensorProto.STRING:
                return head + " strings=[" + ",".join(bytes(s).hex() for s in t.string_data) + "]"
            if t.data_type == TensorProto.BFLOAT16:
                if t.HasField("raw_data"):
                    bits = np.frombuffer(t.raw_data, "<u2")
                else:
                    bits = np.array(t.int32_data, dtype=np.int64).astype(np.uint16)
                return head + " values=" + values(bits)
            array = numpy_helper.to_array(t, base)
            kind = {np.dtype(np.float32): "<u4", np.dtype(np.float16): "<u2", np.dtype(np.float64): "<u8"}
            if array.dtype in kind:
                array = np.ascontiguousarray(array).view(kind[array.dtype])
            elif array.dtype == np.bool_:
                array = array.astype(np.uint8)
            return head + " values=" + values(array)

        def type_text(tp):
            if tp.HasField("tensor_type"):
                tt = tp.tensor_type
                text = f"tensor elem={tt.elem_type}"
                if tt.HasField("shape"):
                    dims = []
                    for d in tt.shape.dim:
                        if d.HasField("dim_value"):
                            dim = str(d.dim_value)
                        elif d.HasField("dim_param"):
                            dim = "$" + d.dim_param
                        else:
                            dim = "?"
                        if d.denotation:
                            dim += "@" + d.denotation
                        dims.append(dim)
                    text += " shape=[" + ",".join(dims) + "]"
            else:
                text = "other"
            if tp.denotation:
                text += " denotation=" + tp.denotation
            return text

        def value_info(kind, v, out, indent):
            out.append(f"{indent}{kind} {v.name}: " + (type_text(v.type) if v.HasField("type") else "untyped"))

        def attribute(a, out, indent, base):
            head = f"{indent}attr {a.name} type={a.type}"
            if a.ref_attr_name:
                head += f" ref={a.ref_attr_name}"
            out.append(head)
            inner = indent + "  "
            if a.HasField("f"):
                out.append(f"{inner}f={int(np.array([a.f], dtype=np.float32).view('<u4')[0])}")
            if a.HasField("i"):
                out.append(f"{inner}i={a.i}")
            if a.HasField("s"):
                out.append(f"{inner}s={bytes(a.s).hex()}")
            if a.HasField("t"):
                out.append(f"{inner}t={tensor(a.t, base)}")
            if a.HasField("g"):
                graph(a.g, out, inner, base)
            if len(a.floats):
                out.append(f"{inner}floats=" + ",".join(str(int(x)) for x in np.array(a.floats, dtype=np.float32).view('<u4')))
            if len(a.ints):
                out.append(f"{inner}ints=" + ",".join(str(x) for x in a.ints))
            if len(a.strings):
                out.append(f"{inner}strings=" + ",".join(bytes(s).hex() for s in a.strings))
            for t in a.tensors:
                out.append(f"{inner}tensors[]={tensor(t, base)}")
            for g in a.graphs:
                graph(g, out, inner, base)
            if a.HasField("tp"):
                out.append(f"{inner}tp={type_text(a.tp)}")
            for tp in a.type_protos:
                out.append(f"{inner}type_protos[]={type_text(tp)}")

        def node(n, out, indent, base):
            out.append(f"{indent}node {n.op_type} domain={n.domain} name={n.name} in={list(n.input)} out={list(n.output)}")
            for a in n.attribute:
                attribute(a, out, indent + "  ", base)

        def graph(g, out, indent, base):
            out.append(f"{indent}graph {g.name}")
            inner = indent + "  "
            for v in g.input:
                value_info("input", v, out, inner)
            for v in g.output:
                value_info("output", v, out, inner)
            for v in g.value_info:
                value_info("value_info", v, out, inner)
            for t in g.initializer:
                out.append(f"{inner}init {tensor(t, base)}")
            for n in g.node:
                node(n, out, inner, base)

        def model(path):
            import os
            base = os.path.dirname(os.path.abspath(path))
            m = onnx.load(path)
            out = [f"model ir={m.ir_version} producer={m.producer_name}/{m.producer_version} domain={m.domain} version={m.model_version}"]
            for o in m.opset_import:
                out.append(f"opset {o.domain}:{o.version}")
            for p in m.metadata_props:
                out.append(f"meta {p.key}={p.value}")
            for f in m.functions:
                out.append(f"function {f.domain}.{f.name} in={list(f.input)} out={list(f.output)} attrs={list(f.attribute)}")
                for a in f.attribute_proto:
                    attribute(a, out, "  ", base)
                for n in f.node:
                    node(n, out, "  ", base)
            graph(m.graph, out, "", base)
            return "\n".join(out) + "\n"

        if __name__ == "__main__":
            for path, target in zip(sys.argv[1::2], sys.argv[2::2]):
                with open(target, "w") as f:
                    f.write(model(path))
        """#

    /// `fixtures.py DIR`: small models built with onnx.helper covering every attribute kind,
    /// every tensor storage, a Loop/If model and an external-data model saved by onnx itself.
    static let fixtures = #"""
        # Builds small models with onnx.helper that exercise every attribute kind and tensor storage.
        import os, sys
        import numpy as np
        import onnx
        from onnx import AttributeProto, TensorProto, helper, numpy_helper

        out = sys.argv[1]
        os.makedirs(out, exist_ok=True)
        f32 = np.array([1.5, -2.25, 3.0e-8, np.pi, -0.0, 65504.0], dtype=np.float32)

        def save(model, name):
            onnx.save_model(model, os.path.join(out, name))

        # Every tensor storage: typed fields and raw_data, each element type, empty and scalar.
        tensors = [
            helper.make_tensor("f_typed", TensorProto.FLOAT, [2, 3], f32.tolist()),
            numpy_helper.from_array(f32.reshape(3, 2), "f_raw"),
            helper.make_tensor("i64_typed", TensorProto.INT64, [4], [1, -1, 2**40, -(2**63)]),
            numpy_helper.from_array(np.array([5, -6, 2**62], dtype=np.int64), "i64_raw"),
            helper.make_tensor("i32_typed", TensorProto.INT32, [3], [-5, 7, 2**31 - 1]),
            numpy_helper.from_array(np.array([-2**31, 3], dtype=np.int32), "i32_raw"),
            helper.make_tensor("f64_typed", TensorProto.DOUBLE, [3], [1e300, -1.5, 0.1]),
            numpy_helper.from_array(np.array([2.5, -1e-300], dtype=np.float64), "f64_raw"),
            helper.make_tensor("u64_typed", TensorProto.UINT64, [3], [0, 2**64 - 1, 5]),
            helper.make_tensor("u32_typed", TensorProto.UINT32, [2], [0, 2**32 - 1]),
            helper.make_tensor("s_typed", TensorProto.STRING, [2], [b"hello", "w\u00f6rld".encode()]),
            helper.make_tensor("h_typed", TensorProto.FLOAT16, [3], np.array([1.0, -0.5, 65504], dtype=np.float16)),
            numpy_helper.from_array(np.array([0.25, -3.0], dtype=np.float16), "h_raw"),
            helper.make_tensor("b_typed", TensorProto.BOOL, [3], [True, False, True]),
            numpy_helper.from_array(np.array([False, True], dtype=np.bool_), "b_raw"),
            helper.make_tensor("i8_typed", TensorProto.INT8, [3], [-128, 0, 127]),
            helper.make_tensor("u8_typed", TensorProto.UINT8, [2], [0, 255]),
            numpy_helper.from_array(np.array([0, 255, 7], dtype=np.uint8), "u8_raw"),
            helper.make_tensor("i16_typed", TensorProto.INT16, [2], [-32768, 32767]),
            helper.make_tensor("u16_typed", TensorProto.UINT16, [2], [0, 65535]),
            helper.make_tensor("bf16_typed", TensorProto.BFLOAT16, [2], [1.0, -2.0]),
            numpy_helper.from_array(np.zeros((0, 3), dtype=np.float32), "empty"),
            numpy_helper.from_array(np.array(7, dtype=np.int64), "scalar"),
            numpy_helper.from_array(np.arange(100, dtype=np.float32).reshape(10, 10), "big"),
        ]
        graph = helper.make_graph(
            [helper.make_node("Identity", ["f_raw"], ["y"])], "tensors", [],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 2])], initializer=tensors)
        save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), "tensors.onnx")

        # Every attribute kind on one node of a custom domain, a function with ref_attr_name, metadata.
        sub = helper.make_graph(
            [helper.make_node("Identity", ["a"], ["b"], name="inner")], "sub",
            [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", None])],
            [helper.make_tensor_value_info("b", TensorProto.FLOAT, None)])
        sub2 = helper.make_graph(
            [helper.make_node("Neg", ["a"], ["b"])], "sub2",
            [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
            [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1])])
        sparse = helper.make_sparse_tensor(
            numpy_helper.from_array(np.array([1.0, 2.0], dtype=np.float32), "sv"),
            numpy_helper.from_array(np.array([1, 3], dtype=np.int64), "si"), [4])
        probe = helper.make_node("Probe", ["x", "", "x"], ["y", ""], name="probe", domain="test.probe")
        probe.attribute.extend([
            helper.make_attribute("f", 0.25),
            helper.make_attribute("f_neg_zero", -0.0),
            helper.make_attribute("i", -7),
            helper.make_attribute("i_zero", 0),
            helper.make_attribute("s", b"bytes\xff\x00"),
            helper.make_attribute("s_empty", b""),
            helper.make_attribute("t", numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "t")),
            helper.make_attribute("g", sub),
            helper.make_attribute("floats", [1.0, -2.5, 1e-30]),
            helper.make_attribute("ints", [1, -2, 2**40]),
            helper.make_attribute("strings", [b"a", b"bc", b""]),
            helper.make_attribute("tensors", [helper.make_tensor("t1", TensorProto.INT64, [2], [3, 4]),
                                              numpy_helper.from_array(np.array([1.5], dtype=np.float32), "t2")]),
            helper.make_attribute("graphs", [sub, sub2]),
            helper.make_attribute("tp", helper.make_tensor_type_proto(TensorProto.FLOAT, [2, "N"])),
            helper.make_attribute("type_protos", [helper.make_tensor_type_proto(TensorProto.INT64, []),
                                                  helper.make_sequence_type_proto(
                                                      helper.make_tensor_type_proto(TensorProto.FLOAT, None))]),
            helper.make_attribute("sparse", sparse),
            helper.make_attribute("empty_ints", [], attr_type=AttributeProto.INTS),
        ])
        ref = AttributeProto()
        ref.name = "alpha"
        ref.ref_attr_name = "alpha"
        ref.type = AttributeProto.FLOAT
        leaky = helper.make_node("LeakyRelu", ["x"], ["y"])
        leaky.attribute.append(ref)
        function = helper.make_function(
            "test.fn", "Leaky", ["x"], ["y"], [leaky], [helper.make_opsetid("", 17)], attributes=[],
            attribute_protos=[helper.make_attribute("alpha", 0.2)], doc_string="a function")
        x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, None])
        x_info.type.tensor_type.shape.dim[0].denotation = "DATA_BATCH"
        graph = helper.make_graph(
            [probe, helper.make_node("Leaky", ["x"], ["z"], domain="test.fn")], "attributes", [x_info],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
             helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 3, None])],
            value_info=[helper.make_tensor_value_info("w", TensorProto.INT64, [])], doc_string="graph doc")
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("test.probe", 1),
                                  helper.make_opsetid("test.fn", 1)],
            functions=[function], producer_name="fixtures", producer_version="1.0", doc_string="model doc",
            model_version=3, domain="test.models")
        helper.set_model_props(model, {"author": "gsctl tests", "character": "abc\u4e2d"})
        save(model, "attributes.onnx")

        # A Loop whose body reads an outer-scope value, then If on a computed condition.
        body = helper.make_graph(
            [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
             helper.make_node("Mul", ["acc_in", "two"], ["acc_out"]),
             helper.make_node("Cast", ["i"], ["i_float"], to=TensorProto.FLOAT),
             helper.make_node("Unsqueeze", ["i_float", "axes0"], ["scan_out"])],
            "body",
            [helper.make_tensor_value_info("i", TensorProto.INT64, []),
             helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
             helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [2])],
            [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
             helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [2]),
             helper.make_tensor_value_info("scan_out", TensorProto.FLOAT, [1])],
            initializer=[numpy_helper.from_array(np.array([0], dtype=np.int64), "axes0")])
        then_branch = helper.make_graph(
            [helper.make_node("Add", ["acc", "two"], ["r"])], "then", [],
            [helper.make_tensor_value_info("r", TensorProto.FLOAT, [2])])
        else_branch = helper.make_graph(
            [helper.make_node("Sub", ["acc", "two"], ["r"])], "else", [],
            [helper.make_tensor_value_info("r", TensorProto.FLOAT, [2])])
        graph = helper.make_graph(
            [helper.make_node("Loop", ["trip", "cond", "start"], ["acc", "scan"], body=body),
             helper.make_node("ReduceSum", ["acc"], ["total"], keepdims=0),
             helper.make_node("Greater", ["total", "limit"], ["big"]),
             helper.make_node("If", ["big"], ["out"], then_branch=then_branch, else_branch=else_branch)],
            "loop",
            [helper.make_tensor_value_info("start", TensorProto.FLOAT, [2])],
            [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2]),
             helper.make_tensor_value_info("scan", TensorProto.FLOAT, [None, 1])],
            initializer=[numpy_helper.from_array(np.array(3, dtype=np.int64), "trip"),
                         numpy_helper.from_array(np.array(True), "cond"),
                         numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two"),
                         numpy_helper.from_array(np.array(10.0, dtype=np.float32), "limit")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        save(model, "loop.onnx")

        # The same tensors model with its weights in an external file (onnx's own writer).
        os.makedirs(os.path.join(out, "external"), exist_ok=True)
        # (Without the empty tensor: onnx 1.17 reads an external length of 0 as "to the end of the file".)
        model = onnx.load(os.path.join(out, "tensors.onnx"))
        kept = [t for t in model.graph.initializer if t.name != "empty"]
        del model.graph.initializer[:]
        model.graph.initializer.extend(kept)
        onnx.save_model(model, os.path.join(out, "external", "model.onnx"), save_as_external_data=True,
                        all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
        """#

    /// `run.py MODEL INPUTS.json OUTPUTS.json`: onnx.checker (full check), then onnxruntime.
    static let run = #"""
        # Checks a model with onnx.checker (full_check) and runs it in onnxruntime.
        import json, sys
        import numpy as np
        import onnx
        import onnxruntime as ort

        path, inputs_path, outputs_path = sys.argv[1:4]
        onnx.checker.check_model(path, full_check=True)
        with open(inputs_path) as f:
            spec = json.load(f)
        feeds = {name: np.array(v["data"], dtype=v["dtype"]).reshape(v["shape"]) for name, v in spec.items()}
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        results = session.run(names, feeds)
        with open(outputs_path, "w") as f:
            json.dump({n: {"shape": list(r.shape), "data": np.asarray(r, dtype=np.float64).reshape(-1).tolist()}
                       for n, r in zip(names, results)}, f)
        """#
}
