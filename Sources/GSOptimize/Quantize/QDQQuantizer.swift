import GSExec
import ONNX

/// Rewrites a float model into QDQ form from calibration statistics: weights stored
/// quantized with a DequantizeLinear after them, activations given a QuantizeLinear ->
/// DequantizeLinear pair read by the quantized nodes that consume them, biases as int32.
///
/// The float model stays a valid model at every step: runtimes that fuse QDQ patterns run
/// the quantized ops in integers, others run the graph as written.
public struct QDQQuantizer {
    public let config: QuantizationConfig
    public let statistics: [String: TensorStatistics]

    public init(config: QuantizationConfig, statistics: [String: TensorStatistics]) {
        self.config = config
        self.statistics = statistics
    }

    /// What quantization did, for reports and the fallback.
    public struct Result: Sendable {
        public var model: ModelProto
        /// Activation tensors given a Q/DQ pair, with the nodes that read their DQ output.
        public var quantizedTensors: [String: [String]]
        /// Weight initializers stored as int8, with the nodes that use them.
        public var quantizedWeights: [String: [String]]
        public var quantizedNodes: Int
        public var floatNodes: Int
        /// The parameters each quantized activation got.
        public var activationParameters: [String: QuantizationParameters]
        /// Nodes that read quantized values or weights (for fallback groups).
        public var quantizedNodeNames: Set<String>
        /// The producer of each quantized activation, when a node produces it.
        public var producers: [String: String]
    }

    /// Activation tensors whose ranges calibration must measure for `model`.
    public static func tensorsToCalibrate(_ model: ModelProto, config: QuantizationConfig) -> Set<String> {
        let plan = QuantizationPlan(model.graph, config: config)
        return Set(plan.activations.keys)
    }

    public func quantize(_ model: ModelProto) throws -> Result {
        let opset = Int(model.opsetVersion(domain: "") ?? 0)
        if config.perChannel, opset < 13 {
            throw PassError(
                pass: "quantize",
                "per-channel QDQ needs opset 13 or later (the model has \(opset)); run upgrade-opset first")
        }
        var graph = model.graph
        let plan = QuantizationPlan(graph, config: config)
        var editor = QDQEditor(graph: graph)
        var activationParameters: [String: QuantizationParameters] = [:]
        var quantizedTensors: [String: [String]] = [:]

        // Activations: one Q/DQ pair per tensor, in plan order (deterministic names).
        for tensor in plan.activationOrder {
            guard let readers = plan.activations[tensor] else { continue }
            let parameters: QuantizationParameters
            if let shared = plan.sharedWith[tensor], let source = activationParameters[shared] {
                parameters = source
            } else if plan.probabilities.contains(tensor) {
                // Sigmoid and Softmax outputs are probabilities: [0, 1] whatever
                // calibration saw, so a confident detection never saturates.
                parameters = RangeQuantizer.parameters(low: 0, high: 1, type: config.format.activationType)
            } else {
                guard let stats = statistics[tensor] else { continue }
                let (low, high) = stats.range(config.method)
                parameters = RangeQuantizer.parameters(low: low, high: high, type: config.format.activationType)
            }
            activationParameters[tensor] = parameters
            let dequantized = editor.addActivationQDQ(tensor, parameters, type: config.format.activationType)
            editor.rewire(tensor, to: dequantized, inNodes: Set(readers))
            quantizedTensors[tensor] = readers
        }

        // Weights and biases of the quantized weighted nodes.
        var quantizedWeights: [String: [String]] = [:]
        var weightDequantized: [String: (output: String, scales: [Float])] = [:]
        for item in plan.weights {
            let dequantized: (output: String, scales: [Float])
            if let existing = weightDequantized[item.weight] {
                dequantized = existing
            } else {
                guard let tensor = editor.initializer(item.weight) else { continue }
                let values = try tensor.floats()
                let axis = config.perChannel ? item.axis : nil
                let channels = axis.map { tensor.shape.indices.contains($0) ? tensor.shape[$0] : 1 } ?? 1
                let biasValues = item.bias.flatMap { editor.initializer($0) }.flatMap { try? $0.floats() }
                let inputScale = item.activationInput.flatMap { activationParameters[$0]?.scale }
                dequantized = try editor.addWeightDQ(
                    item.weight, values: values, shape: tensor.shape, axis: axis, type: config.format.weightType,
                    minimumScales: Self.minimumWeightScales(
                        bias: biasValues, inputScale: inputScale, channels: channels))
                weightDequantized[item.weight] = dequantized
            }
            editor.replaceInput(node: item.node, position: item.position, with: dequantized.output)
            quantizedWeights[item.weight, default: []].append(item.node)
            // Bias: int32 with scale = input scale x weight scale (per channel).
            if let bias = item.bias, let input = item.activationInput,
                let inputParameters = activationParameters[input],
                let biasTensor = editor.initializer(bias), var biasValues = try? biasTensor.floats()
            {
                if config.biasCorrection, item.opType == "Conv", let means = statistics[input]?.channelMeans,
                    let weightTensor = editor.initializer(item.weight), let weightValues = try? weightTensor.floats(),
                    let corrected = BiasCorrection.corrected(
                        bias: biasValues, weights: weightValues, shape: weightTensor.shape, group: item.group,
                        scales: dequantized.scales, type: config.format.weightType, inputMeans: means)
                {
                    biasValues = corrected
                }
                guard
                    let biasOutput = editor.addBiasDQ(
                        bias, values: biasValues, inputScale: inputParameters.scale, weightScales: dequantized.scales,
                        perChannel: config.perChannel, forNode: item.node)
                else { continue }
                editor.replaceInput(node: item.node, position: 2, with: biasOutput)
            }
        }
        graph = editor.finish()
        var result = model
        result.graph = try NodeOrdering.sorted(graph)
        var producers: [String: String] = [:]
        for (index, node) in model.graph.node.enumerated() {
            for output in node.output where quantizedTensors[output] != nil {
                producers[output] = node.name.isEmpty ? "node_\(index)" : node.name
            }
        }
        return Result(
            model: result, quantizedTensors: quantizedTensors, quantizedWeights: quantizedWeights,
            quantizedNodes: plan.quantizedNodes.count, floatNodes: graph.node.count - plan.quantizedNodes.count,
            activationParameters: activationParameters.filter { quantizedTensors[$0.key] != nil },
            quantizedNodeNames: plan.quantizedNodes, producers: producers)
    }
}

extension QDQQuantizer {
    /// Per-channel weight scales below which the int32 bias (scale = input scale x weight
    /// scale) would overflow. Channels that training left dead have weights near 1e-8:
    /// their own range gives a scale so small that any bias overflows, the bias stays
    /// float, and onnxruntime then runs the whole Conv in float (MobileNetV2's first two
    /// convolutions: 2.2 ms of SSDLite's 8.7). Raising such a channel's scale, as
    /// onnxruntime's quantizer does, rounds its weights to zero: they were already noise.
    static func minimumWeightScales(bias: [Float]?, inputScale: Float?, channels: Int) -> [Float]? {
        guard let bias, let inputScale, inputScale > 0, !bias.isEmpty else { return nil }
        // Half of int32's range: headroom for the accumulated products next to the bias.
        let limit = Double(Int32.max) / 2
        return (0..<channels).map { channel in
            // One scale for the whole tensor must fit its largest bias.
            let value =
                bias.count == channels ? abs(Double(bias[channel])) : Double(bias.map { abs($0) }.max() ?? 0)
            return Float(value / (Double(inputScale) * limit))
        }
    }
}

/// Which tensors and weights a quantization touches, decided from the graph alone.
struct QuantizationPlan {
    struct Weight {
        let node: String
        let weight: String
        let position: Int
        let axis: Int
        let bias: String?
        let activationInput: String?
        let opType: String
        let group: Int
    }

    /// Activation tensor -> the quantized nodes that will read its DQ output.
    var activations: [String: [String]] = [:]
    var activationOrder: [String] = []
    /// Pass-through outputs reuse their input's parameters.
    var sharedWith: [String: String] = [:]
    var weights: [Weight] = []
    var quantizedNodes: Set<String> = []
    /// Outputs of Sigmoid and Softmax, whose range is known to be [0, 1].
    var probabilities: Set<String> = []
    /// The output each quantized computing node (or the activation absorbed into it)
    /// produces: the tensor whose QuantizeLinear lets a runtime fuse the node.
    var fusedOutputs: [String] = []

    init(_ graph: GraphProto, config: QuantizationConfig) {
        let initializers = Set(graph.initializer.map(\.name))
        let floatInitializers = Set(graph.initializer.filter { $0.dataType == .float }.map(\.name))
        let outputs = Set(graph.output.map(\.name))
        let consumers = graph.consumerIndex()
        let producers = graph.producerIndex()
        let floatValues = Self.floatValues(graph)
        var ranks: [String: Int] = [:]
        for info in graph.valueInfo + graph.output + graph.input {
            if let dims = info.tensorType?.shape?.dim { ranks[info.name] = dims.count }
        }
        func name(_ node: NodeProto, _ index: Int) -> String { node.name.isEmpty ? "node_\(index)" : node.name }
        func isFloatActivation(_ value: String) -> Bool {
            !value.isEmpty && !initializers.contains(value) && floatValues.contains(value)
        }
        func add(_ tensor: String, reader: String) {
            if activations[tensor] == nil { activationOrder.append(tensor) }
            activations[tensor, default: []].append(reader)
        }
        for node in graph.node where node.opType == "Sigmoid" || node.opType == "Softmax" {
            probabilities.formUnion(node.output.prefix(1))
        }
        for (index, node) in graph.node.enumerated() {
            let nodeName = name(node, index)
            guard !config.excludedNodes.contains(nodeName) else { continue }
            let transB = (node.attribute("transB")?.i ?? 0) != 0
            if let axis = QuantizableOps.weightAxis(node.opType, transB: transB) {
                let weightPosition = 1
                guard node.input.count > 1 else { continue }
                let weight = node.input[weightPosition]
                let data = node.input[0]
                if floatInitializers.contains(weight), isFloatActivation(data) {
                    // Gemm's C and Conv's B are biases when constant and 1-D.
                    let biasName =
                        node.input.count > 2 && floatInitializers.contains(node.input[2]) ? node.input[2] : nil
                    let isBias =
                        biasName.map { bias in
                            graph.initializer.first { $0.name == bias }.map { $0.dims.count == 1 } ?? false
                        } ?? false
                    let rank = graph.initializer.first { $0.name == weight }?.dims.count ?? 0
                    let effectiveAxis = node.opType == "MatMul" ? max(0, rank - 1) : axis
                    weights.append(
                        Weight(
                            node: nodeName, weight: weight, position: weightPosition, axis: effectiveAxis,
                            bias: isBias && node.opType != "MatMul" ? biasName : nil, activationInput: data,
                            opType: node.opType, group: Int(node.attribute("group")?.i ?? 1)))
                    add(data, reader: nodeName)
                    quantizedNodes.insert(nodeName)
                } else if node.opType == "MatMul", isFloatActivation(data), isFloatActivation(weight) {
                    // Activation x activation (attention): both inputs quantized.
                    add(data, reader: nodeName)
                    add(weight, reader: nodeName)
                    quantizedNodes.insert(nodeName)
                } else {
                    continue
                }
            } else if QuantizableOps.computing.contains(node.opType) {
                let inputs = node.input.filter(isFloatActivation)
                // Arithmetic joins the quantized region only where it continues it on feature
                // maps (a residual Add after convolutions, 4-D), never in float
                // post-processing such as box decoding (2-D lists of boxes).
                let continuesRegion = inputs.contains { input in
                    producers[input].map { quantizedNodes.contains(name(graph.node[$0], $0)) } ?? false
                }
                let onFeatureMaps = node.output.first.map { ranks[$0] == 4 } ?? false
                guard !inputs.isEmpty, continuesRegion, onFeatureMaps || node.opType == "GlobalAveragePool" else {
                    continue
                }
                for input in inputs { add(input, reader: nodeName) }
                quantizedNodes.insert(nodeName)
            } else if QuantizableOps.passThrough.contains(node.opType), let input = node.input.first,
                isFloatActivation(input),
                producers[input].map({ quantizedNodes.contains(name(graph.node[$0], $0)) }) ?? false,
                let output = node.output.first, Self.feedsComputing(output, graph, consumers, config, name)
            {
                // Only between quantized ops: moving int8 data from one to the next is what
                // makes it pay; data movement toward float post-processing stays float.
                add(input, reader: nodeName)
                quantizedNodes.insert(nodeName)
                sharedWith[output] = input
            } else {
                continue
            }
            // Outputs of computing ops get their own Q/DQ so runtimes can fuse the op;
            // an activation that follows alone absorbs it (its output is quantized instead).
            guard
                QuantizableOps.weightAxis(node.opType, transB: false) != nil
                    || QuantizableOps.computing.contains(node.opType),
                let output = node.output.first, !output.isEmpty, !outputs.contains(output)
            else { continue }
            var fused = output
            let readers = consumers[output] ?? []
            if readers.count == 1, QuantizableOps.absorbed.contains(graph.node[readers[0]].opType),
                config.format != .tensorRT, let activated = graph.node[readers[0]].output.first,
                !outputs.contains(activated)
            {
                let follower = name(graph.node[readers[0]], readers[0])
                if !config.excludedNodes.contains(follower) {
                    for reader in consumers[activated] ?? [] {
                        add(activated, reader: name(graph.node[reader], reader))
                    }
                    quantizedNodes.insert(follower)
                    fused = activated
                }
            }
            fusedOutputs.append(fused)
        }
        // Consumers listed for outputs must be nodes that are themselves quantized, or
        // pass-through nodes that will be: drop readers that stay float.
        for (tensor, readers) in activations {
            activations[tensor] = readers.filter { quantizedNodes.contains($0) }
            if activations[tensor]?.isEmpty ?? true { activations[tensor] = nil }
        }
        activationOrder = activationOrder.filter { activations[$0] != nil }
        // onnxruntime and OpenVINO run a Conv, Gemm or Add in integers only when a
        // QuantizeLinear follows it: without one they dequantize the weights and compute in
        // float, slower than the float model (SSDLite's box and class heads, whose readers
        // are float post-processing, cost 2.8 ms of 11). Their outputs are quantized too,
        // read back through DequantizeLinear by every (float) reader, as onnxruntime's own
        // quantizer does. TensorRT fuses DequantizeLinear -> Conv with a float output.
        // Every reader means float ones next to quantized ones too: a hard-swish's
        // HardSigmoid reading the Conv's float output beside the Mul reading its DQ left the
        // Conv two consumers, and onnxruntime then ran 24 of PP-OCRv4 det's 62 Convs in float
        // (int8 1.7x slower than before the hard-swish was fused).
        guard config.format != .tensorRT else { return }
        for tensor in fusedOutputs {
            let readers = (consumers[tensor] ?? []).map { name(graph.node[$0], $0) }
            guard !readers.isEmpty else { continue }
            if activations[tensor] == nil { activationOrder.append(tensor) }
            activations[tensor] = readers
        }
    }

    /// Whether `value` reaches a computing op (through pass-through ops) that is not kept
    /// in float.
    static func feedsComputing(
        _ value: String, _ graph: GraphProto, _ consumers: [String: [Int]], _ config: QuantizationConfig,
        _ name: (NodeProto, Int) -> String, depth: Int = 0
    ) -> Bool {
        guard depth < 8 else { return false }
        for index in consumers[value] ?? [] {
            let node = graph.node[index]
            guard !config.excludedNodes.contains(name(node, index)) else { continue }
            if QuantizableOps.weightAxis(node.opType, transB: false) != nil { return true }
            if QuantizableOps.computing.contains(node.opType), let output = node.output.first,
                graph.valueInfo.contains(where: { $0.name == output && $0.tensorType?.shape?.dim.count == 4 })
            {
                return true
            }
            if QuantizableOps.passThrough.contains(node.opType), let output = node.output.first,
                feedsComputing(output, graph, consumers, config, name, depth: depth + 1)
            {
                return true
            }
        }
        return false
    }

    /// Values known to be float, walking the (topologically ordered) nodes: float inputs,
    /// value_infos and initializers, Casts to float, float Constants, and the outputs of
    /// other nodes that read a float (the ops that produce integers or booleans excepted).
    static func floatValues(_ graph: GraphProto) -> Set<String> {
        var values: Set<String> = []
        for info in graph.input + graph.valueInfo + graph.output where info.tensorType?.elemType == 1 {
            values.insert(info.name)
        }
        for tensor in graph.initializer where tensor.dataType == .float { values.insert(tensor.name) }
        let integerOps: Set<String> = [
            "Shape", "Size", "NonZero", "ArgMax", "ArgMin", "Equal", "Greater", "Less", "GreaterOrEqual",
            "LessOrEqual", "And", "Or", "Not", "Xor", "Range", "TopK", "NonMaxSuppression", "QuantizeLinear",
            "ConstantOfShape",
        ]
        for node in graph.node {
            switch node.opType {
            case "Cast":
                if node.attribute("to")?.i == 1 { values.formUnion(node.output) }
            case "Constant":
                if node.attribute("value")?.t?.dataType == .float || node.attribute("value_float") != nil
                    || node.attribute("value_floats") != nil
                {
                    values.formUnion(node.output)
                }
            default:
                if !integerOps.contains(node.opType), node.input.contains(where: values.contains) {
                    values.formUnion(node.output.filter { !$0.isEmpty })
                }
            }
        }
        return values
    }
}
