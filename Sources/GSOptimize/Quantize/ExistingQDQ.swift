import GSCore
import ONNX

/// A model that arrives quantized: quantization-aware training (and other quantizers) export
/// QuantizeLinear / DequantizeLinear pairs whose scales the training chose. Such a model is
/// verified and kept as it is for `int8` and `int8-mixed`: quantizing it again would put a
/// second rounding, calibrated by someone else, on top of the one the network learnt around.
///
/// Verified: every scale and zero point is a constant (a runtime fuses Q/DQ into integer
/// kernels only then), scales are finite and positive, zero points are 8- or 16-bit integers
/// with one per scale, a per-channel scale has one value per channel of its axis, and for
/// TensorRT every QuantizeLinear is symmetric int8 (zero point 0), the only form it runs.
public struct ExistingQDQ: Sendable {
    public var quantizeNodes: Int
    public var dequantizeNodes: Int

    static let ops: Set<String> = ["QuantizeLinear", "DequantizeLinear"]

    /// The model's Q/DQ nodes (main graph and subgraphs), or nil when it has none.
    public static func find(_ model: ModelProto) -> ExistingQDQ? {
        var found = ExistingQDQ(quantizeNodes: 0, dequantizeNodes: 0)
        func visit(_ graph: GraphProto) {
            for node in graph.node {
                if isQDQ(node) {
                    if node.opType == "QuantizeLinear" { found.quantizeNodes += 1 } else { found.dequantizeNodes += 1 }
                }
                node.subgraphs.forEach(visit)
            }
        }
        visit(model.graph)
        return found.quantizeNodes + found.dequantizeNodes == 0 ? nil : found
    }

    static func isQDQ(_ node: NodeProto) -> Bool {
        ops.contains(node.opType) && (node.domain.isEmpty || node.domain == "ai.onnx" || node.domain == "com.microsoft")
    }

    public var summary: String { "\(quantizeNodes) QuantizeLinear, \(dequantizeNodes) DequantizeLinear" }

    /// Throws a `CompileError` naming up to five nodes whose Q/DQ parameters are unusable
    /// (or, for TensorRT, not symmetric int8).
    public func verify(_ model: ModelProto, format: QDQFormat) throws {
        var problems: [String] = []
        let constants = Dictionary(model.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for node in model.graph.node where Self.isQDQ(node) {
            if let problem = Self.check(node, constants: constants, format: format) {
                problems.append(
                    "\(node.opType) `\(node.name.isEmpty ? node.output.first ?? "?" : node.name)`: \(problem)")
            }
        }
        guard !problems.isEmpty else { return }
        let listed = problems.prefix(5).joined(separator: "; ")
        let more = problems.count > 5 ? " (and \(problems.count - 5) more)" : ""
        throw CompileError(
            message:
                "the model is already quantized (\(summary)), and \(problems.count) of its Q/DQ nodes cannot be used as they are: \(listed)\(more)"
        )
    }

    static func check(_ node: NodeProto, constants: [String: TensorProto], format: QDQFormat) -> String? {
        guard node.input.count >= 2, let scale = constants[node.input[1]] else {
            return "its scale is computed at run time, not a constant (runtimes fuse only constant Q/DQ parameters)"
        }
        guard let scales = try? scale.floats(), !scales.isEmpty else {
            return "its scale `\(scale.name)` is not a float tensor"
        }
        if let bad = scales.first(where: { !$0.isFinite || $0 <= 0 }) {
            return "its scale `\(scale.name)` holds \(bad); scales must be finite and positive"
        }
        var zeroType: DataType = .uint8  // ONNX's default when the zero point is left out
        if node.input.count >= 3, !node.input[2].isEmpty {
            guard let zero = constants[node.input[2]] else {
                return "its zero point is computed at run time, not a constant"
            }
            zeroType = zero.dataType
            let allowed: Set<DataType> = [.uint8, .int8, .uint16, .int16, .int32]
            guard allowed.contains(zeroType) else {
                return "its zero point `\(zero.name)` is \(zeroType), not an 8- or 16-bit integer"
            }
            let count = zero.dims.reduce(1) { $0 * Int($1) }
            guard count == scales.count else {
                return "its zero point has \(count) value(s) for \(scales.count) scale(s)"
            }
            if case .tensorRT = format, node.opType == "QuantizeLinear" {
                guard zeroType == .int8 else {
                    return "quantizes to \(zeroType); TensorRT runs only symmetric int8 (zero point 0)"
                }
                if let offset = ((try? zero.values(as: Int8.self)) ?? []).first(where: { $0 != 0 }) {
                    return "has zero point \(offset); TensorRT runs only symmetric int8 (zero point 0)"
                }
            }
        } else if case .tensorRT = format, node.opType == "QuantizeLinear" {
            return
                "has no zero point, so quantizes to uint8; TensorRT runs only symmetric int8 (an int8 zero point of 0)"
        }
        if scales.count > 1, let x = constants[node.input[0]] {
            let rank = x.dims.count
            let axis = Int(node.attribute("axis")?.i ?? 1)
            let resolved = axis < 0 ? axis + rank : axis
            guard resolved >= 0, resolved < rank else {
                return "its axis \(axis) is out of range for `\(x.name)` of rank \(rank)"
            }
            guard Int(x.dims[resolved]) == scales.count else {
                return
                    "it has \(scales.count) per-channel scales for \(x.dims[resolved]) channels of `\(x.name)` on axis \(axis)"
            }
        }
        return nil
    }
}
