import Foundation
import GSData
import GSExec
import GSOptimize
import ONNX
import Testing

/// The QDQ form decides whether a runtime computes in integers: onnxruntime and OpenVINO
/// fuse DequantizeLinear -> Conv -> QuantizeLinear (with an int32 bias) into one integer
/// convolution and run anything else in float. These tests check that form on small graphs
/// and on the person detector, and that bias correction removes int8 weights' mean shift.
@Suite struct QDQFormTests {
    /// x -> Conv -> y -> Reshape -> out: a convolution whose only reader is float
    /// post-processing, like a detector's box and class heads.
    static func convIntoReshape(weights: TensorProto, bias: TensorProto, group: Int = 1, channels: Int = 4)
        -> ModelProto
    {
        let outputs = weights.shape[0]
        return Build.model(
            [
                NodeProto(
                    "Conv", inputs: ["x", weights.name, bias.name], outputs: ["y"], name: "conv",
                    attributes: [.ints("pads", [1, 1, 1, 1]), .int("group", Int64(group))]),
                NodeProto("Reshape", inputs: ["y", "flat"], outputs: ["out"], name: "flatten"),
            ],
            inputs: [Build.value("x", [1, .init(.value(Int64(channels))), 6, 6])],
            outputs: [Build.value("out", [1, .init(.value(Int64(outputs * 36)))])],
            initializers: [weights, bias, Build.ints("flat", [1, -1])],
            valueInfo: [Build.value("y", [1, .init(.value(Int64(outputs))), 6, 6])])
    }

    static func feeds(_ count: Int, channels: Int = 4, low: Float = -1, high: Float = 1) -> [[String: Tensor]] {
        (0..<count).map { ["x": Build.feed([1, channels, 6, 6], seed: "x\($0)", low: low, high: high)] }
    }

    static func quantize(_ model: ModelProto, _ config: QuantizationConfig, samples: [[String: Tensor]]) throws
        -> ModelProto
    {
        let executor = try ONNXImport.executor(for: model)
        let statistics = try Calibrator(
            executor: executor, tensors: QDQQuantizer.tensorsToCalibrate(model, config: config), method: config.method
        ).run(samples)
        return try QDQQuantizer(config: config, statistics: statistics).quantize(model).model
    }

    static func producer(of value: String, in graph: GraphProto) -> NodeProto? {
        graph.node.first { $0.output.contains(value) }
    }

    @Test func aConvReadOnlyByFloatPostProcessingStillEndsInAQuantizeLinearForCPUs() throws {
        let model = Self.convIntoReshape(weights: Build.weight("w", [8, 4, 3, 3]), bias: Build.weight("b", [8]))
        let samples = Self.feeds(4)
        let cpu = try Self.quantize(model, QuantizationConfig(format: .cpu(reduceRange: false)), samples: samples)
        let readers = cpu.graph.node.filter { $0.input.contains("y") }.map(\.opType)
        #expect(readers == ["QuantizeLinear"])
        let flatten = try #require(cpu.graph.node.first { $0.name == "flatten" })
        #expect(Self.producer(of: flatten.input[0], in: cpu.graph)?.opType == "DequantizeLinear")
        // The model still computes what the float one does, within int8's steps.
        let reference = try ONNXImport.executor(for: model).run(samples[0])["out"]!.floatValues
        let quantized = try ONNXImport.executor(for: cpu).run(samples[0])["out"]!.floatValues
        let largest = reference.map { abs($0) }.max() ?? 1
        #expect(zip(reference, quantized).allSatisfy { abs($0 - $1) <= 0.05 * largest })

        // TensorRT fuses DequantizeLinear -> Conv with a float output: no extra Q/DQ.
        let tensorRT = try Self.quantize(model, QuantizationConfig(format: .tensorRT), samples: samples)
        #expect(tensorRT.graph.node.filter { $0.input.contains("y") }.map(\.opType) == ["Reshape"])
    }

    /// x -> Conv -> y -> Mul(y, HardSigmoid(y)): the fused hard-swish, where a float reader
    /// (HardSigmoid) sits beside a quantized one (Mul). Both must read y's DequantizeLinear,
    /// or the Conv has two consumers and no runtime fuses it into an integer convolution.
    @Test func aConvWithFloatAndQuantizedReadersFeedsOnlyItsQuantizeLinear() throws {
        let model = Build.model(
            [
                NodeProto(
                    "Conv", inputs: ["x", "w", "b"], outputs: ["y"], name: "conv",
                    attributes: [.ints("pads", [1, 1, 1, 1])]),
                NodeProto(
                    "HardSigmoid", inputs: ["y"], outputs: ["gate"], name: "gate",
                    attributes: [.float("alpha", Float(1) / 6), .float("beta", 0.5)]),
                NodeProto("Mul", inputs: ["y", "gate"], outputs: ["out"], name: "swish"),
            ],
            inputs: [Build.value("x", [1, 4, 6, 6])], outputs: [Build.value("out", [1, 8, 6, 6])],
            initializers: [Build.weight("w", [8, 4, 3, 3]), Build.weight("b", [8])],
            valueInfo: [Build.value("y", [1, 8, 6, 6]), Build.value("gate", [1, 8, 6, 6])])
        let samples = Self.feeds(4)
        let cpu = try Self.quantize(model, QuantizationConfig(format: .cpu(reduceRange: false)), samples: samples)
        #expect(cpu.graph.node.filter { $0.input.contains("y") }.map(\.opType) == ["QuantizeLinear"])
        for reader in ["gate", "swish"] {
            let node = try #require(cpu.graph.node.first { $0.name == reader })
            #expect(Self.producer(of: node.input[0], in: cpu.graph)?.opType == "DequantizeLinear", "\(reader)")
        }
    }

    /// x -> Conv -> Relu -> Conv -> Add(x) -> Reshape: a residual block.
    static func residualBlock() -> ModelProto {
        Build.model(
            [
                NodeProto(
                    "Conv", inputs: ["x", "w1", "b1"], outputs: ["a"], name: "conv1",
                    attributes: [.ints("pads", [1, 1, 1, 1])]),
                NodeProto("Relu", inputs: ["a"], outputs: ["r"], name: "relu"),
                NodeProto(
                    "Conv", inputs: ["r", "w2", "b2"], outputs: ["c"], name: "conv2",
                    attributes: [.ints("pads", [1, 1, 1, 1])]),
                NodeProto("Add", inputs: ["c", "x"], outputs: ["s"], name: "residual"),
                NodeProto("Reshape", inputs: ["s", "flat"], outputs: ["out"], name: "flatten"),
            ],
            inputs: [Build.value("x", [1, 4, 6, 6])], outputs: [Build.value("out", [1, 144])],
            initializers: [
                Build.weight("w1", [4, 4, 3, 3]), Build.weight("b1", [4]), Build.weight("w2", [4, 4, 3, 3]),
                Build.weight("b2", [4]), Build.ints("flat", [1, -1]),
            ],
            // What the static-shapes pass records on a real model: the Add is on feature maps.
            valueInfo: ["a", "r", "c", "s"].map { Build.value($0, [1, 4, 6, 6]) })
    }

    /// TensorRT's form: symmetric int8 everywhere (every zero point an int8 0, weights and
    /// activations), and both inputs of a residual Add dequantized, so that TensorRT can run
    /// the Add in int8 too. The CPU form quantizes activations to uint8 with a zero point.
    @Test func tensorRTGetsSymmetricInt8AndQDQOnBothInputsOfAResidualAdd() throws {
        let model = Self.residualBlock()
        let samples = Self.feeds(4)
        let tensorRT = try Self.quantize(model, QuantizationConfig(format: .tensorRT), samples: samples)
        let initializers = Dictionary(
            tensorRT.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let quantizers = tensorRT.graph.node.filter { ["QuantizeLinear", "DequantizeLinear"].contains($0.opType) }
        #expect(quantizers.count >= 8, "\(Build.ops(tensorRT))")
        // Every zero point but the int32 biases' is an int8 0.
        for node in quantizers where initializers[node.input[0]]?.dataType != .int32 {
            let zero = try #require(initializers[node.input[2]], "\(node.name) has no zero point")
            #expect(zero.dataType == .int8, "\(node.name): \(zero.dataType)")
            #expect(try ONNXImport.tensor(zero).floatValues.allSatisfy { $0 == 0 }, "\(node.name)")
        }
        let add = try #require(tensorRT.graph.node.first { $0.name == "residual" })
        for input in add.input {
            #expect(Self.producer(of: input, in: tensorRT.graph)?.opType == "DequantizeLinear", "Add input \(input)")
        }
        // Still the float model's numbers, within int8's steps.
        let reference = try ONNXImport.executor(for: model).run(samples[0])["out"]!.floatValues
        let quantized = try ONNXImport.executor(for: tensorRT).run(samples[0])["out"]!.floatValues
        let largest = reference.map { abs($0) }.max() ?? 1
        #expect(zip(reference, quantized).allSatisfy { abs($0 - $1) <= 0.06 * largest })

        let cpu = try Self.quantize(model, QuantizationConfig(format: .cpu(reduceRange: false)), samples: samples)
        let cpuInitializers = Dictionary(cpu.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let activationZeros = cpu.graph.node.filter { $0.opType == "QuantizeLinear" }.compactMap {
            cpuInitializers[$0.input[2]]?.dataType
        }
        #expect(!activationZeros.isEmpty && activationZeros.allSatisfy { $0 == .uint8 }, "\(activationZeros)")
    }

    @Test func aDeadChannelNoLongerLeavesTheBiasInFloat() throws {
        // Channel 0's weights are 1e-9 (a channel training left dead) next to a bias of 0.5:
        // with its own scale the int32 bias would overflow.
        var values = Build.random(8 * 4 * 9, seed: "w", low: -1, high: 1)
        for i in 0..<(4 * 9) { values[i] = 1e-9 }
        let weights = TensorProto(name: "w", shape: [8, 4, 3, 3], values: values)
        let bias = TensorProto(name: "b", shape: [8], values: [Float]([0.5, 0.1, -0.2, 0.3, 0, 0.05, -0.4, 0.2]))
        let model = Self.convIntoReshape(weights: weights, bias: bias)
        let samples = Self.feeds(4)
        let quantized = try Self.quantize(model, QuantizationConfig(), samples: samples)
        let conv = try #require(quantized.graph.node.first { $0.name == "conv" })
        let biasDQ = try #require(Self.producer(of: conv.input[2], in: quantized.graph))
        #expect(biasDQ.opType == "DequantizeLinear")
        let stored = quantized.graph.initializer.first { $0.name == biasDQ.input[0] }
        #expect(stored?.dataType == .int32)
        // Channel 0 still outputs its bias: 0.5 everywhere.
        let output = try ONNXImport.executor(for: quantized).run(samples[0])["out"]!.floatValues
        #expect(output.prefix(36).allSatisfy { abs($0 - 0.5) < 0.01 })
    }

    @Test func biasCorrectionRemovesTheMeanShiftOfInt8Weights() throws {
        // A depthwise convolution over positive inputs (post-ReLU feature maps): nine weights
        // per channel round the same way on every frame.
        let weights = Build.weight("w", [16, 1, 3, 3], low: -0.6, high: 0.6)
        let bias = TensorProto(name: "b", shape: [16], values: [Float](repeating: 0.1, count: 16))
        let model = Self.convIntoReshape(weights: weights, bias: bias, group: 16, channels: 16)
        let calibration = Self.feeds(16, channels: 16, low: 0, high: 2)
        let evaluation = (16..<32).map { ["x": Build.feed([1, 16, 6, 6], seed: "x\($0)", low: 0, high: 2)] }
        func meanShift(_ candidate: ModelProto) throws -> Double {
            let float = try ONNXImport.executor(for: model)
            let quantized = try ONNXImport.executor(for: candidate)
            var shift = [Double](repeating: 0, count: 16)
            for sample in evaluation {
                let a = try float.run(sample)["out"]!.floatValues
                let b = try quantized.run(sample)["out"]!.floatValues
                // Interior pixels only (padding reads zeros, not the mean).
                for channel in 0..<16 {
                    for row in 1..<5 {
                        for column in 1..<5 {
                            let i = channel * 36 + row * 6 + column
                            shift[channel] += Double(b[i] - a[i])
                        }
                    }
                }
            }
            return shift.map { abs($0) / Double(evaluation.count * 16) }.reduce(0, +) / 16
        }
        let plain = try meanShift(
            Self.quantize(model, QuantizationConfig(biasCorrection: false), samples: calibration))
        let corrected = try meanShift(Self.quantize(model, QuantizationConfig(), samples: calibration))
        #expect(plain > 0)
        #expect(corrected < plain * 0.5, "mean |shift| per channel: \(corrected) corrected vs \(plain) plain")
    }
}

/// The person detector in int8: every convolution in the form onnxruntime fuses.
@Suite(.serialized) struct QuantizeRealModelTests {
    @Test func everyConvolutionOfThePersonDetectorIsInFusableForm() throws {
        guard let path = QuantizeFixtures.modelPath("ssdlite_person.onnx") else {
            Issue.record("ssdlite_person.onnx not found")
            return
        }
        let float = try PassPipeline(PassPipeline.standard + PassPipeline.quantizationPreparation).run(
            try ModelFile.load(path), PassContext(inputShapes: ["image_tensor:0": [1, 300, 300, 3]])
        ).model
        let preprocessing = Preprocessing(width: 300, height: 300, layout: .nhwc, elementType: .uint8)
        let frames = QuantizeFixtures.repository.appendingPathComponent("Specs/data/vtest-frames").path
        let calibration = try QuantizeFixtures.samples(
            input: "image_tensor:0", preprocessing: preprocessing, count: 8, directory: frames)
        let quantized = try QDQFormTests.quantize(float, QuantizationConfig(), samples: calibration)
        let graph = quantized.graph
        let initializers = Dictionary(graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var readers: [String: [NodeProto]] = [:]
        for node in graph.node { for input in node.input { readers[input, default: []].append(node) } }
        func isDequantized(_ value: String, type: DataType? = nil) -> Bool {
            guard let node = QDQFormTests.producer(of: value, in: graph), node.opType == "DequantizeLinear" else {
                return false
            }
            return type.map { initializers[node.input[0]]?.dataType == $0 } ?? true
        }
        var unfusable: [String] = []
        let convolutions = graph.node.filter { $0.opType == "Conv" }
        for conv in convolutions {
            var output = conv.output[0]
            if let follower = readers[output], follower.count == 1, ["Clip", "Relu"].contains(follower[0].opType) {
                output = follower[0].output[0]
            }
            let quantizedOutput = readers[output]?.allSatisfy { $0.opType == "QuantizeLinear" } ?? false
            let biasReady = conv.input.count < 3 || isDequantized(conv.input[2], type: .int32)
            if !(isDequantized(conv.input[0]) && isDequantized(conv.input[1]) && biasReady && quantizedOutput) {
                unfusable.append(conv.name)
            }
        }
        #expect(convolutions.count > 80)
        #expect(unfusable.isEmpty, "convolutions onnxruntime would run in float: \(unfusable)")
    }
}

/// Entropy calibration on a ReLU output: the spike of exact zeros must not buy a threshold
/// that clips the values that matter.
@Suite struct EntropyCalibrationTests {
    @Test func aReluOutputKeepsMostOfItsRange() throws {
        let model = Build.model(
            [
                NodeProto("Relu", inputs: ["x"], outputs: ["r"]),
                NodeProto("Conv", inputs: ["r", "w"], outputs: ["y"], name: "conv"),
            ],
            inputs: [Build.value("x", [1, 4, 6, 6])], outputs: [Build.value("y", [1, 8, 6, 6])],
            initializers: [Build.weight("w", [8, 4, 1, 1])])
        // 40% of the values are negative (0 after the ReLU), the rest spread over [0, 6].
        let samples = QDQFormTests.feeds(16, low: -4, high: 6)
        let statistics = try Calibrator(
            executor: ONNXImport.executor(for: model), tensors: ["r"], method: .entropy
        ).run(samples)
        let range = try #require(statistics["r"]).range(.entropy)
        #expect(range.low == 0)
        #expect(range.high > 4.5, "entropy threshold \(range.high) of a ReLU output spread over [0, 6]")
    }
}
