import GSExec
import ONNX

/// Adds quantization nodes and initializers to a graph with collision-free names, and
/// rewires readers; the quantizer decides what to add, this only edits.
struct QDQEditor {
    private var graph: GraphProto
    private var initializerIndex: [String: Int]
    private var names: Set<String>
    private var nodeIndex: [String: Int]
    private var added: [NodeProto] = []

    init(graph: GraphProto) {
        self.graph = graph
        initializerIndex = graph.initializerIndex()
        var names = Set(graph.initializer.map(\.name)).union(graph.input.map(\.name))
        var index: [String: Int] = [:]
        for (position, node) in graph.node.enumerated() {
            names.formUnion(node.output)
            names.insert(node.name)
            index[node.name.isEmpty ? "node_\(position)" : node.name] = position
        }
        self.names = names
        nodeIndex = index
    }

    func initializer(_ name: String) -> TensorProto? {
        initializerIndex[name].map { graph.initializer[$0] }
    }

    /// A fresh name derived from `base`.
    mutating func unique(_ base: String) -> String {
        var candidate = base
        var counter = 1
        while names.contains(candidate) {
            candidate = "\(base)_\(counter)"
            counter += 1
        }
        names.insert(candidate)
        return candidate
    }

    mutating func addInitializer(_ tensor: TensorProto) {
        initializerIndex[tensor.name] = graph.initializer.count
        graph.initializer.append(tensor)
    }

    /// Q(tensor) -> DQ with scalar parameters; returns the DQ output's name.
    mutating func addActivationQDQ(_ tensor: String, _ parameters: QuantizationParameters, type: QuantizedType)
        -> String
    {
        let scale = unique("\(tensor)_scale")
        let zeroPoint = unique("\(tensor)_zero_point")
        let quantized = unique("\(tensor)_QuantizeLinear_Output")
        let dequantized = unique("\(tensor)_DequantizeLinear_Output")
        addInitializer(TensorProto(name: scale, shape: [], values: [parameters.scale]))
        addInitializer(Self.zeroPointTensor(zeroPoint, [parameters.zeroPoint], shape: [], type: type))
        added.append(
            NodeProto(
                "QuantizeLinear", inputs: [tensor, scale, zeroPoint], outputs: [quantized],
                name: unique("\(tensor)_QuantizeLinear")))
        added.append(
            NodeProto(
                "DequantizeLinear", inputs: [quantized, scale, zeroPoint], outputs: [dequantized],
                name: unique("\(tensor)_DequantizeLinear")))
        return dequantized
    }

    /// The weight stored as int8 (per channel along `axis`, or per tensor when nil) with a
    /// DequantizeLinear after it; returns the DQ output and the scales used.
    ///
    /// `minimumScales` (per channel) raise a scale where a tiny one would push the bias
    /// out of int32 (see `QDQQuantizer.minimumWeightScales`).
    mutating func addWeightDQ(
        _ weight: String, values: [Float], shape: [Int], axis: Int?, type: QuantizedType,
        minimumScales: [Float]? = nil
    ) throws
        -> (output: String, scales: [Float])
    {
        let channels = axis.map { shape.indices.contains($0) ? shape[$0] : 1 } ?? 1
        let inner = axis.map { shape.indices.contains($0) ? Tensor.count(of: Array(shape[($0 + 1)...])) : 1 } ?? 1
        var ranges = [(low: Float, high: Float)](repeating: (0, 0), count: channels)
        for (index, value) in values.enumerated() {
            let channel = axis == nil ? 0 : (index / inner) % channels
            ranges[channel].low = min(ranges[channel].low, value)
            ranges[channel].high = max(ranges[channel].high, value)
        }
        var parameters = ranges.map { RangeQuantizer.parameters(low: $0.low, high: $0.high, type: type) }
        if let minimumScales, minimumScales.count == channels, type.isSymmetric {
            for channel in 0..<channels where parameters[channel].scale < minimumScales[channel] {
                parameters[channel].scale = minimumScales[channel]
            }
        }
        var quantized = [Int8](repeating: 0, count: values.count)
        for (index, value) in values.enumerated() {
            let channel = axis == nil ? 0 : (index / inner) % channels
            quantized[index] = Int8(truncatingIfNeeded: RangeQuantizer.quantize(value, parameters[channel], type))
        }
        let quantizedName = unique("\(weight)_quantized")
        let scaleName = unique("\(weight)_scale")
        let zeroPointName = unique("\(weight)_zero_point")
        let output = unique("\(weight)_DequantizeLinear_Output")
        let parameterShape = axis == nil ? [Int]() : [channels]
        addInitializer(TensorProto(name: quantizedName, shape: shape, values: quantized))
        addInitializer(TensorProto(name: scaleName, shape: parameterShape, values: parameters.map(\.scale)))
        addInitializer(
            Self.zeroPointTensor(zeroPointName, parameters.map(\.zeroPoint), shape: parameterShape, type: type))
        var attributes: [AttributeProto] = []
        if let axis { attributes.append(.int("axis", Int64(axis))) }
        added.append(
            NodeProto(
                "DequantizeLinear", inputs: [quantizedName, scaleName, zeroPointName], outputs: [output],
                name: unique("\(weight)_DequantizeLinear"), attributes: attributes))
        return (output, parameters.map(\.scale))
    }

    /// The bias as int32 with scale = input scale x weight scale and zero point 0; nil
    /// when a value would overflow int32 (the bias then stays float).
    mutating func addBiasDQ(
        _ bias: String, values: [Float], inputScale: Float, weightScales: [Float], perChannel: Bool, forNode: String
    ) -> String? {
        let channels = values.count
        let scales = (0..<channels).map {
            inputScale * weightScales[weightScales.count == 1 ? 0 : min($0, weightScales.count - 1)]
        }
        var quantized = [Int32](repeating: 0, count: channels)
        for i in 0..<channels {
            guard scales[i] > 0 else { return nil }
            let q = (Double(values[i]) / Double(scales[i])).rounded(.toNearestOrEven)
            guard abs(q) < Double(Int32.max) else { return nil }
            quantized[i] = Int32(q)
        }
        let quantizedName = unique("\(bias)_quantized")
        let scaleName = unique("\(bias)_scale")
        let zeroPointName = unique("\(bias)_zero_point")
        let output = unique("\(bias)_DequantizeLinear_Output")
        let perAxis = weightScales.count > 1
        addInitializer(TensorProto(name: quantizedName, shape: [channels], values: quantized))
        addInitializer(
            TensorProto(name: scaleName, shape: perAxis ? [channels] : [], values: perAxis ? scales : [scales[0]]))
        addInitializer(
            TensorProto(
                name: zeroPointName, shape: perAxis ? [channels] : [],
                values: [Int32](repeating: 0, count: perAxis ? channels : 1)))
        added.append(
            NodeProto(
                "DequantizeLinear", inputs: [quantizedName, scaleName, zeroPointName], outputs: [output],
                name: unique("\(bias)_DequantizeLinear"), attributes: perAxis ? [.int("axis", 0)] : []))
        return output
    }

    /// Makes the named nodes read `replacement` wherever they read `value`.
    mutating func rewire(_ value: String, to replacement: String, inNodes nodes: Set<String>) {
        for name in nodes {
            guard let position = nodeIndex[name] else { continue }
            graph.node[position].input = graph.node[position].input.map { $0 == value ? replacement : $0 }
        }
    }

    mutating func replaceInput(node: String, position: Int, with value: String) {
        guard let index = nodeIndex[node], graph.node[index].input.indices.contains(position) else { return }
        replaced.insert(graph.node[index].input[position])
        graph.node[index].input[position] = value
    }

    /// The edited graph (new nodes appended; the caller sorts). Float weights and biases
    /// that only the quantized nodes read are dropped: their int8 copies replace them.
    mutating func finish() -> GraphProto {
        graph.node += added
        added = []
        var used = Set(graph.output.map(\.name))
        for node in graph.node {
            used.formUnion(node.input)
            used.formUnion(node.implicitInputs)
        }
        graph.initializer.removeAll { replaced.contains($0.name) && !used.contains($0.name) }
        return graph
    }

    /// Initializers whose readers were pointed at a quantized copy.
    private var replaced: Set<String> = []

    static func zeroPointTensor(_ name: String, _ values: [Int32], shape: [Int], type: QuantizedType) -> TensorProto {
        if case .uint8 = type {
            return TensorProto(name: name, shape: shape, values: values.map { UInt8(truncatingIfNeeded: $0) })
        }
        return TensorProto(name: name, shape: shape, values: values.map { Int8(truncatingIfNeeded: $0) })
    }
}

/// Topological order of a graph's nodes (new nodes were appended at the end).
enum NodeOrdering {
    static func sorted(_ graph: GraphProto) throws -> GraphProto {
        var available = Set(graph.input.map(\.name)).union(graph.initializer.map(\.name))
        available.insert("")
        var pending = graph.node
        var ordered: [NodeProto] = []
        ordered.reserveCapacity(pending.count)
        var producers: [String: Int] = [:]
        for (index, node) in pending.enumerated() { for output in node.output { producers[output] = index } }
        // Kahn's algorithm keeping the original relative order where possible.
        var indegree = [Int](repeating: 0, count: pending.count)
        var dependents = [[Int]](repeating: [], count: pending.count)
        for (index, node) in pending.enumerated() {
            for input in Set(node.input + node.implicitInputs) where !available.contains(input) {
                if let source = producers[input], source != index {
                    indegree[index] += 1
                    dependents[source].append(index)
                }
            }
        }
        var ready = Heap(indegree.indices.filter { indegree[$0] == 0 })
        while let next = ready.popMin() {
            ordered.append(pending[next])
            for dependent in dependents[next] {
                indegree[dependent] -= 1
                if indegree[dependent] == 0 { ready.insert(dependent) }
            }
        }
        guard ordered.count == pending.count else {
            throw PassError(pass: "quantize", "the quantized graph has a cycle")
        }
        pending = ordered
        var result = graph
        result.node = pending
        available.removeAll()
        return result
    }
}

/// A small binary min-heap of node positions (keeps the original order among ready nodes).
struct Heap {
    private var items: [Int] = []

    init(_ values: [Int]) { for value in values { insert(value) } }

    mutating func insert(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = parent * 2 + 1
                let right = left + 1
                var smallest = parent
                if left < items.count, items[left] < items[smallest] { smallest = left }
                if right < items.count, items[right] < items[smallest] { smallest = right }
                guard smallest != parent else { break }
                items.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return first
    }
}
