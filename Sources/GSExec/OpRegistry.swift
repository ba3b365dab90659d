/// What preparing a kernel may need besides its node.
public struct PrepareContext: Sendable {
    /// The default-domain opset the model imports.
    public var opset: Int
    /// Values visible from enclosing graphs (for Loop and If bodies).
    public var outerNames: Set<String>
}

/// Builds the kernel for one node.
public typealias KernelFactory = @Sendable (ExecNode, PrepareContext) throws -> any Kernel

/// Every operator the executor runs. Each family file lists its own ops; this is the only
/// place that lists the families, so an op missing here is one the executor does not have.
public enum OpRegistry {
    static let families: [[String: KernelFactory]] = [
        ElementwiseOps.factories,
        NeuralOps.factories,
        TensorOps.factories,
        ControlOps.factories,
        QuantizeOps.factories,
    ]

    static let factories: [String: KernelFactory] = {
        var all: [String: KernelFactory] = [:]
        for family in families {
            all.merge(family) { first, _ in first }
        }
        return all
    }()

    /// Op types the executor can run, sorted (for `gsctl model inspect` and error hints).
    public static var supported: [String] { factories.keys.sorted() }

    static func kernel(for node: ExecNode, opset: Int, outerNames: Set<String>) throws -> any Kernel {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw ExecError("operator domain `\(node.domain)` is not supported", node: node.label)
        }
        guard let factory = factories[node.opType] else {
            throw ExecError(
                "the executor has no kernel for `\(node.opType)`",
                node: node.label)
        }
        return try factory(node, PrepareContext(opset: opset, outerNames: outerNames))
    }
}
