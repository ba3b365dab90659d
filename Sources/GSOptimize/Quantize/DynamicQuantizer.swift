import GSCore
import GSExec
import ONNX

/// How `int8` and `int8-mixed` quantize a model.
public enum QuantizationMode: String, Sendable, Hashable, CaseIterable {
    /// Calibrated QDQ on every supported op (`QDQQuantizer`): the form CNNs want.
    case `static`
    /// MatMul and Gemm weights int8, activations quantized at run time from their own range
    /// (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul, the graph onnxruntime's own
    /// dynamic quantizer writes and fuses): no calibration data, for MatMul-heavy models
    /// (transformers, LSTM and attention heads) whose activation ranges vary per input.
    case dynamic
    /// MatMul and Gemm weights stored int8 and read through DequantizeLinear; compute stays
    /// float. A quarter of the weight bytes, no calibration, no change to the activations.
    case weightOnly = "weight-only"
}

/// Dynamic and weight-only INT8 for the MatMul and Gemm nodes whose weights are constant
/// 2-D tensors. Weights are int8 symmetric per output column (7-bit with `reduceRange`, as
/// onnxruntime wants on x86 CPUs without VNNI).
struct DynamicQuantizer {
    let mode: QuantizationMode
    let reduceRange: Bool

    /// A node the quantizer can rewrite, with how much int8 rounding moves its weights.
    struct Candidate {
        /// The node's first output: its name in reports (`keptInFloat`).
        var output: String
        /// Mean over output columns of |w - dq(q(w))| / |w| (L2): what the ranking of
        /// int8-mixed keeps in float first.
        var weightError: Double
    }

    /// The weight of a MatMul (input 1) or Gemm (input 1, no transA, alpha 1, beta 1) when it
    /// is a constant 2-D float tensor, as `[K, N]` values with N the output columns.
    static func weight(of node: NodeProto, constants: [String: TensorProto]) -> (k: Int, n: Int, values: [Float])? {
        guard node.domain.isEmpty, node.input.count >= 2, let proto = constants[node.input[1]],
            proto.dataType == .float, proto.dims.count == 2, let values = try? proto.floats()
        else { return nil }
        let rows = Int(proto.dims[0])
        let columns = Int(proto.dims[1])
        switch node.opType {
        case "MatMul":
            return (rows, columns, values)
        case "Gemm":
            if node.attribute("transA")?.i ?? 0 != 0 { return nil }
            if let alpha = node.attribute("alpha"), alpha.f != 1 { return nil }
            if let beta = node.attribute("beta"), beta.f != 1 { return nil }
            guard node.attribute("transB")?.i ?? 0 != 0 else { return (rows, columns, values) }
            var transposed = [Float](repeating: 0, count: values.count)
            for r in 0..<rows { for c in 0..<columns { transposed[c * rows + r] = values[r * columns + c] } }
            return (columns, rows, transposed)
        default:
            return nil
        }
    }

    var qmax: Float { reduceRange ? 63 : 127 }

    /// Per-column scales and int8 values of a `[K, N]` weight.
    func quantize(k: Int, n: Int, _ values: [Float]) -> (scales: [Float], q: [Int8]) {
        var scales = [Float](repeating: 1, count: n)
        for column in 0..<n {
            var largest: Float = 0
            for row in 0..<k { largest = max(largest, abs(values[row * n + column])) }
            if largest > 0 { scales[column] = largest / qmax }
        }
        var q = [Int8](repeating: 0, count: values.count)
        for row in 0..<k {
            for column in 0..<n {
                let scaled = (values[row * n + column] / scales[column]).rounded(.toNearestOrEven)
                q[row * n + column] = Int8(max(-qmax, min(qmax, scaled)))
            }
        }
        return (scales, q)
    }

    func candidates(_ model: ModelProto) -> [Candidate] {
        let constants = Dictionary(model.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return model.graph.node.compactMap { node in
            guard let (k, n, values) = Self.weight(of: node, constants: constants), let output = node.output.first
            else { return nil }
            let (scales, q) = quantize(k: k, n: n, values)
            var total = 0.0
            for column in 0..<n {
                var error = 0.0
                var norm = 0.0
                for row in 0..<k {
                    let w = Double(values[row * n + column])
                    let d = w - Double(q[row * n + column]) * Double(scales[column])
                    error += d * d
                    norm += w * w
                }
                total += norm > 0 ? (error / norm).squareRoot() : 0
            }
            return Candidate(output: output, weightError: total / Double(max(n, 1)))
        }
    }

    /// The model with every candidate but those whose output is in `excluding` rewritten;
    /// returns how many were.
    func apply(_ model: ModelProto, excluding: Set<String> = []) -> (model: ModelProto, rewritten: Int) {
        var model = model
        var names = UniqueNames(model.graph)
        let constants = Dictionary(model.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var nodes: [NodeProto] = []
        var rewritten = 0
        // One quantized copy per weight, however many nodes read it.
        var quantizedWeights: [String: (q: String, scale: String, zero: String)] = [:]
        for node in model.graph.node {
            guard let output = node.output.first, !excluding.contains(output),
                let (k, n, values) = Self.weight(of: node, constants: constants)
            else {
                nodes.append(node)
                continue
            }
            let weight = node.input[1]
            let transB = node.opType == "Gemm" && node.attribute("transB")?.i ?? 0 != 0
            let stored: (q: String, scale: String, zero: String)
            if let known = quantizedWeights[weight] {
                stored = known
            } else {
                let (scales, q) = quantize(k: k, n: n, values)
                stored = (names.make(weight + "_int8"), names.make(weight + "_scale"), names.make(weight + "_zero"))
                switch mode {
                case .weightOnly:
                    // Kept in the weight's own layout ([N, K] for transB), scales along N.
                    var layout = q
                    if transB {
                        for row in 0..<k { for column in 0..<n { layout[column * k + row] = q[row * n + column] } }
                    }
                    let dims = transB ? [n, k] : [k, n]
                    model.graph.initializer.append(TensorProto(name: stored.q, shape: dims, values: layout))
                    model.graph.initializer.append(
                        TensorProto(name: stored.zero, shape: [n], values: [Int8](repeating: 0, count: n)))
                default:
                    model.graph.initializer.append(TensorProto(name: stored.q, shape: [k, n], values: q))
                    model.graph.initializer.append(TensorProto(name: stored.zero, shape: [], values: [Int8(0)]))
                }
                model.graph.initializer.append(TensorProto(name: stored.scale, shape: [n], values: scales))
                quantizedWeights[weight] = stored
            }
            let base = node.name.isEmpty ? output : node.name
            switch mode {
            case .weightOnly:
                let dequantized = names.make(weight + "_dequantized")
                nodes.append(
                    NodeProto(
                        "DequantizeLinear", inputs: [stored.q, stored.scale, stored.zero], outputs: [dequantized],
                        name: names.make(base + "_weight_dequantize"), attributes: [.int("axis", transB ? 0 : 1)]))
                var reader = node
                reader.input[1] = dequantized
                nodes.append(reader)
            default:
                let x = names.make(base + "_input_quantized")
                let xScale = names.make(base + "_input_scale")
                let xZero = names.make(base + "_input_zero")
                let product = names.make(base + "_int32")
                let asFloat = names.make(base + "_float")
                let scale = names.make(base + "_output_scale")
                let scaled = node.opType == "Gemm" && node.input.count > 2 ? names.make(base + "_scaled") : output
                nodes.append(
                    NodeProto(
                        "DynamicQuantizeLinear", inputs: [node.input[0]], outputs: [x, xScale, xZero],
                        name: names.make(base + "_quantize_input")))
                nodes.append(
                    NodeProto(
                        "MatMulInteger", inputs: [x, stored.q, xZero, stored.zero], outputs: [product],
                        name: names.make(base + "_matmul_integer")))
                nodes.append(
                    NodeProto(
                        "Cast", inputs: [product], outputs: [asFloat], name: names.make(base + "_cast"),
                        attributes: [.int("to", Int64(DataType.float.rawValue))]))
                nodes.append(
                    NodeProto(
                        "Mul", inputs: [xScale, stored.scale], outputs: [scale], name: names.make(base + "_scale")))
                nodes.append(
                    NodeProto("Mul", inputs: [asFloat, scale], outputs: [scaled], name: names.make(base + "_rescale")))
                if scaled != output {
                    nodes.append(
                        NodeProto(
                            "Add", inputs: [scaled, node.input[2]], outputs: [output], name: names.make(base + "_bias"))
                    )
                }
            }
            rewritten += 1
        }
        model.graph.node = nodes
        // The float weights no reader needs any more go (eliminate-dead would too).
        let read = Set(model.graph.node.flatMap(\.input)).union(model.graph.output.map(\.name))
        model.graph.initializer.removeAll {
            !read.contains($0.name) && $0.dataType == .float && quantizedWeights[$0.name] != nil
        }
        return (model, rewritten)
    }
}
