import GSExec
import ONNX

/// `fold-constants`: a node whose inputs are all constants (initializers, or values this pass
/// has already folded) is evaluated with the executor and replaced by initializers holding its
/// outputs, named like them. Runs inside Loop and If bodies too, where constants of the
/// enclosing graphs count.
///
/// Not folded: nodes without inputs (Constant is `constant-to-initializer`'s job; the random
/// generators must stay random), random ops, DequantizeLinear (see `unfoldable`), nodes holding subgraphs, other domains, nodes
/// producing a graph output, and nodes the executor cannot run (noted). Size limits, so the
/// file does not grow much: a folded output is stored only when it is at most
/// `maxGrowthBytes` (64 KiB) or no larger than the constant inputs it replaces; a node whose
/// outputs would exceed `maxEvaluatedElements` (16 Mi elements; ConstantOfShape, Expand,
/// Tile, Range, Pad, Resize, OneHot are sized before they run) is not even evaluated. A value
/// too large to store is still used to fold what reads it (Expand then ReduceSum).
public struct FoldConstants: GraphPass {
    public let name = "fold-constants"
    /// Largest folded output stored when it is bigger than the constants it replaces.
    public static let maxGrowthBytes = 64 * 1024
    /// Largest output, in elements, evaluated at all.
    public static let maxEvaluatedElements = 16 << 20

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        let opset = Int(model.opsetVersion(domain: "") ?? 0)
        guard opset > 0 else { throw PassError(pass: name, "the model imports no default-domain opset") }
        var state = State()
        fold(&model.graph, outer: nil, opset: opset, state: &state)
        var notes: [String] = []
        if state.tooLarge > 0 {
            notes.append(
                "\(state.tooLarge) constant nodes kept: outputs over \(Self.maxGrowthBytes) bytes and larger than their inputs"
            )
        }
        if state.notEvaluated > 0 {
            notes.append(
                "\(state.notEvaluated) constant nodes not evaluated: outputs over \(Self.maxEvaluatedElements) elements"
            )
        }
        for (op, message) in state.failures.sorted(by: { $0.key < $1.key }) {
            notes.append("\(op) not folded: \(message)")
        }
        return (model, PassReport(pass: name, counts: ["folded": state.folded], notes: notes))
    }

    /// What one run counted and learnt.
    private struct State {
        var folded = 0
        var tooLarge = 0
        var notEvaluated = 0
        /// The first failure per op type (the executor could not run it).
        var failures: [String: String] = [:]
    }

    private func fold(_ graph: inout GraphProto, outer: ConstantScope?, opset: Int, state: inout State) {
        var scope = ConstantScope(graph, outer: outer)
        graph.sortTopologically()
        let graphOutputs = Set(graph.output.map(\.name))
        var nodes: [NodeProto] = []
        nodes.reserveCapacity(graph.node.count)
        for var node in graph.node {
            if node.hasSubgraphs {
                let visible = scope
                node.mapSubgraphs { fold(&$0, outer: visible, opset: opset, state: &state) }
                nodes.append(node)
                continue
            }
            let inputs = node.input.filter { !$0.isEmpty }
            let outputs = node.output.filter { !$0.isEmpty }
            guard node.domain.isEmpty || node.domain == "ai.onnx", !inputs.isEmpty, !outputs.isEmpty,
                !Self.unfoldable.contains(node.opType), inputs.allSatisfy(scope.knows),
                !outputs.contains(where: graphOutputs.contains)
            else {
                nodes.append(node)
                continue
            }
            guard let folded = evaluate(node, scope: &scope, opset: opset, state: &state) else {
                nodes.append(node)
                continue
            }
            let inputBytes = inputs.reduce(0) { $0 + (scope.proto($1)?.dataByteCount ?? 0) }
            let fits = folded.allSatisfy { _, value in
                let bytes = value.count * value.dataType.byteSize
                return bytes <= Self.maxGrowthBytes || bytes <= inputBytes
            }
            if fits {
                for name in outputs {
                    guard let value = folded[name] else { continue }
                    let proto = ONNXImport.proto(value, name: name)
                    graph.initializer.append(proto)
                    scope.add(proto, value: value)
                }
                state.folded += 1
            } else {
                for (name, value) in folded { scope.remember(name, value: value) }
                state.tooLarge += 1
                nodes.append(node)
            }
        }
        graph.node = nodes
    }

    /// The node's outputs, or nil (with the reason counted) when it is too large or fails.
    private func evaluate(
        _ node: NodeProto, scope: inout ConstantScope, opset: Int, state: inout State
    ) -> [String: Tensor]? {
        var values: [String: Tensor] = [:]
        do {
            for name in node.input where !name.isEmpty {
                guard let value = try scope.tensor(name) else { return nil }
                values[name] = value
            }
            let ordered = node.input.map { $0.isEmpty ? nil : values[$0] }
            if let count = Self.predictedCount(node, inputs: ordered), count > Self.maxEvaluatedElements {
                state.notEvaluated += 1
                return nil
            }
            return try NodeEvaluator.evaluate(node, inputs: values, opset: opset)
        } catch {
            if state.failures[node.opType] == nil { state.failures[node.opType] = "\(error)" }
            return nil
        }
    }

    /// Ops never folded: random outputs (and Constant, which has no inputs anyway), and
    /// DequantizeLinear: a quantized weight read through it is the QDQ form a runtime fuses
    /// into integer kernels; folded, the weight would be stored in float and the model
    /// (a quantization-aware one, say) would no longer run quantized.
    static let unfoldable: Set<String> = [
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
        "Constant", "DequantizeLinear",
    ]

    /// Elements the largest output will have, for ops whose output can be far larger than
    /// their inputs; nil for the others (bounded by their inputs) and when it cannot be told.
    static func predictedCount(_ node: NodeProto, inputs: [Tensor?]) -> Int? {
        func input(_ index: Int) -> Tensor? { index < inputs.count ? inputs[index] : nil }
        func product(_ values: [Int64]) -> Int {
            values.reduce(1) { total, value in
                let (result, overflow) = total.multipliedReportingOverflow(by: max(Int(clamping: value), 0))
                return overflow ? Int.max : result
            }
        }
        switch node.opType {
        case "ConstantOfShape":
            return input(0).map { product($0.int64Values) }
        case "Expand":
            guard let data = input(0), let shape = input(1)?.int64Values else { return nil }
            let target = (try? Shapes.broadcast(data.shape, shape.map { Int(clamping: $0) })) ?? []
            return product(target.map(Int64.init))
        case "Tile":
            guard let data = input(0), let repeats = input(1)?.int64Values, repeats.count == data.rank else {
                return nil
            }
            return product(zip(data.shape, repeats).map { Int64($0) * $1 })
        case "Range":
            guard let start = input(0)?.floatValues.first, let limit = input(1)?.floatValues.first,
                let delta = input(2)?.floatValues.first, delta != 0
            else { return nil }
            let count = ((Double(limit) - Double(start)) / Double(delta)).rounded(.up)
            return count.isFinite ? Int(clamping: Int64(max(count, 0).clamped(to: 0...9e18))) : Int.max
        case "Pad":
            guard let data = input(0), let pads = input(1)?.int64Values, pads.count == 2 * data.rank else { return nil }
            return product(data.shape.indices.map { Int64(data.shape[$0]) + pads[$0] + pads[$0 + data.rank] })
        case "Resize", "Upsample":
            guard let data = input(0) else { return nil }
            if let sizes = input(3)?.int64Values, !sizes.isEmpty { return product(sizes) }
            let scales = (node.opType == "Resize" && inputs.count > 2 ? input(2) : input(1))?.floatValues ?? []
            guard scales.count == data.rank else { return nil }
            return product(zip(data.shape, scales).map { Int64((Double($0) * Double($1)).clamped(to: 0...9e18)) })
        case "OneHot":
            guard let indices = input(0), let depth = input(1)?.int64Values.first else { return nil }
            return product([Int64(indices.count), depth])
        default:
            return nil
        }
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
