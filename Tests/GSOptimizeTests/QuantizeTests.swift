import Foundation
import GSData
import GSExec
import GSOptimize
import ONNX
import Testing

@Suite struct RangeQuantizerTests {
    @Test func asymmetricRangeIncludesZeroAndMapsItExactly() {
        let p = RangeQuantizer.parameters(low: 0.5, high: 6, type: .uint8(reduceRange: false))
        #expect(p.zeroPoint == 0)
        #expect(abs(p.scale - 6.0 / 255) < 1e-9)
        let q = RangeQuantizer.parameters(low: -1, high: 3, type: .uint8(reduceRange: false))
        #expect(q.zeroPoint == 64)  // round(0 - (-1) / (4/255)) = round(63.75)
        #expect(RangeQuantizer.quantize(0, q, .uint8(reduceRange: false)) == 64)
    }

    @Test func symmetricWeightsUseTheMidpoint() {
        let p = RangeQuantizer.parameters(low: -0.2, high: 0.5, type: .int8(symmetric: true, reduceRange: false))
        #expect(p.zeroPoint == 0)
        #expect(abs(p.scale - 1.0 / 254) < 1e-7)
        #expect(RangeQuantizer.quantize(0.5, p, .int8(symmetric: true, reduceRange: false)) == 127)
        #expect(RangeQuantizer.quantize(-9, p, .int8(symmetric: true, reduceRange: false)) == -127)
    }

    @Test func reduceRangeUsesSevenBits() {
        #expect(QuantizedType.uint8(reduceRange: true).range == (0, 127))
        #expect(QuantizedType.int8(symmetric: true, reduceRange: true).range == (-64, 63))
    }

    @Test func degenerateRangeGivesScaleOne() {
        let p = RangeQuantizer.parameters(low: 0, high: 0, type: .uint8(reduceRange: false))
        #expect(p.scale == 1 && p.zeroPoint == 0)
    }

    @Test func roundsHalfToEven() {
        let p = QuantizationParameters(scale: 1, zeroPoint: 0)
        #expect(RangeQuantizer.quantize(2.5, p, .int8(symmetric: false, reduceRange: false)) == 2)
        #expect(RangeQuantizer.quantize(3.5, p, .int8(symmetric: false, reduceRange: false)) == 4)
    }
}

@Suite(.serialized) struct AccuracyFallbackTests {
    /// The search judges a candidate by what the tolerance is checked against (with
    /// `evaluation.confidence`, the low end of the score's interval), not by the score: a
    /// fully quantized model whose score is within the tolerance but whose interval reaches
    /// below it is not accepted, and the report keeps both figures for every trial.
    @Test func theSearchChecksTheToleranceAgainstTheIntervalsLowEnd() throws {
        let model = BiasCorrectionChoiceTests.model
        let config = QuantizationConfig()
        let statistics = try BiasCorrectionChoiceTests.statistics(config)
        func quantizers(_ candidate: ModelProto) -> Int {
            candidate.graph.node.filter { $0.opType == "QuantizeLinear" }.count
        }
        let full = quantizers(try QDQQuantizer(config: config, statistics: statistics).quantize(model).model)
        let outcome = try AccuracyFallback(tolerance: 0.01).run(
            model: model, statistics: statistics, config: config, samples: QDQFormTests.feeds(4, channels: 16)
        ) { (candidate: ModelProto) in
            // Score 99.5% always (within a one-point tolerance); the low end of its interval
            // clears 99% only once something is kept in float.
            AccuracyFallback.Measure(score: 0.995, checked: quantizers(candidate) < full ? 0.995 : 0.985)
        }
        #expect(outcome.met)
        #expect(!outcome.excluded.isEmpty)
        #expect(outcome.score == 0.995 && outcome.checked == 0.995)
        let first = try #require(outcome.steps.first)
        #expect(first.excludedNodes == 0 && first.score == 0.995 && first.checked == 0.985)
        #expect(outcome.steps.dropFirst().allSatisfy { $0.checked == 0.995 })
        // Checked against the score alone, everything quantized would have shipped.
        let plain = try AccuracyFallback(tolerance: 0.01).run(
            model: model, statistics: statistics, config: config, samples: QDQFormTests.feeds(4, channels: 16)
        ) { (_: ModelProto) -> Double in 0.995 }
        #expect(plain.met && plain.excluded.isEmpty)
    }

    /// Three Convs in a chain: `wide` (8 -> 16, 3x3), `depthwise` (16 channels, 3x3) and
    /// `project` (16 -> 8, 1x1).
    static let chain = Build.model(
        [
            NodeProto(
                "Conv", inputs: ["x", "w1", "b1"], outputs: ["a"], name: "wide",
                attributes: [.ints("pads", [1, 1, 1, 1])]),
            NodeProto(
                "Conv", inputs: ["a", "w2", "b2"], outputs: ["b"], name: "depthwise",
                attributes: [.ints("pads", [1, 1, 1, 1]), .int("group", 16)]),
            NodeProto("Conv", inputs: ["b", "w3", "b3"], outputs: ["out"], name: "project"),
        ],
        inputs: [Build.value("x", [1, 8, 6, 6])], outputs: [Build.value("out", [1, 8, 6, 6])],
        initializers: [
            Build.weight("w1", [16, 8, 3, 3]), Build.weight("b1", [16], low: 0, high: 0.1),
            Build.weight("w2", [16, 1, 3, 3]), Build.weight("b2", [16], low: 0, high: 0.1),
            Build.weight("w3", [8, 16, 1, 1]), Build.weight("b3", [8], low: 0, high: 0.1),
        ])

    /// Whether `node` of `candidate` reads its weight as a float initializer (kept in float).
    static func isFloat(_ node: String, in candidate: ModelProto) -> Bool {
        let initializers = Set(candidate.graph.initializer.map(\.name))
        return candidate.graph.node.first { $0.name == node }.map { initializers.contains($0.input[1]) } ?? false
    }

    /// The search's batch keeps whole tensors in float, so it also keeps Convs the metric
    /// does not need there. With each node's FLOPs, the search gives those back to int8, most
    /// expensive first, and keeps in float only what the tolerance needs: here the cheap
    /// depthwise Conv, which the (stand-in) metric wants in float.
    @Test func theSearchGivesExpensiveNodesItDoesNotNeedBackToInt8() throws {
        let model = Self.chain
        let config = QuantizationConfig()
        let samples = (0..<4).map { ["x": Build.feed([1, 8, 6, 6], seed: "x\($0)")] }
        let statistics = try Calibrator(
            executor: try ONNXImport.executor(for: model),
            tensors: QDQQuantizer.tensorsToCalibrate(model, config: config), method: config.method
        ).run(samples)
        let flops = try FLOPCount.measure(model)
        // 2 x outputs x (inputs per group x kernel).
        let expected: [String: Double] = [
            "wide": 2.0 * 16 * 36 * 72, "depthwise": 2.0 * 16 * 36 * 9, "project": 2.0 * 8 * 36 * 16,
        ]
        #expect(flops.byNode == expected)
        let measure = { (candidate: ModelProto) in Self.isFloat("depthwise", in: candidate) ? 0.995 : 0.95 }
        let outcome = try AccuracyFallback(tolerance: 0.01, costs: flops.byNode).run(
            model: model, statistics: statistics, config: config, samples: samples, evaluate: measure)
        #expect(outcome.met)
        #expect(outcome.excluded.contains("depthwise"))
        #expect(!outcome.excluded.contains("wide") && !outcome.excluded.contains("project"))
        #expect(Self.isFloat("depthwise", in: outcome.result.model))
        #expect(!Self.isFloat("wide", in: outcome.result.model) && !Self.isFloat("project", in: outcome.result.model))
        // The give-back's trials, in the report's order: most FLOPs first; the depthwise
        // Conv's trial missed, so it stayed in float.
        let trials = outcome.steps.compactMap(\.giveBack)
        #expect(trials.map(\.node) == trials.map(\.node).sorted { flops.byNode[$0]! > flops.byNode[$1]! })
        #expect(trials.contains { $0.node == "depthwise" && !$0.stayed })
        #expect(outcome.requantized == trials.filter(\.stayed).map(\.node) && !outcome.requantized.isEmpty)
        #expect(outcome.keptTensors.contains { $0.tensor == "w2" })
        #expect(!outcome.keptTensors.contains { $0.tensor == "w1" || $0.tensor == "w3" })
        // Without costs the passing batch ships as the search found it.
        let plain = try AccuracyFallback(tolerance: 0.01).run(
            model: model, statistics: statistics, config: config, samples: samples, evaluate: measure)
        #expect(plain.requantized.isEmpty && plain.steps.allSatisfy { $0.giveBack == nil })
        #expect(plain.excluded.count > outcome.excluded.count)
    }

    @Test func int8MixedMeetsTheToleranceOnThePersonDetector() throws {
        guard let path = QuantizeFixtures.modelPath("ssdlite_person.onnx") else {
            Issue.record("ssdlite_person.onnx not found")
            return
        }
        let model = try ModelFile.load(path)
        let preprocessing = Preprocessing(width: 300, height: 300, layout: .nhwc, elementType: .uint8)
        let frames = QuantizeFixtures.repository.appendingPathComponent("Specs/data/vtest-frames").path
        let calibration = try QuantizeFixtures.samples(
            input: "image_tensor:0", preprocessing: preprocessing, count: 16, directory: frames)
        let evaluation = try QuantizeFixtures.samples(
            input: "image_tensor:0", preprocessing: preprocessing, count: 16, offset: 40, directory: frames)
        let config = QuantizationConfig(format: .cpu(reduceRange: false), method: .minMax)
        let float = try ONNXImport.executor(for: model)
        let reference = try evaluation.map { try float.run($0) }
        let stats = try Calibrator(
            executor: float, tensors: QDQQuantizer.tensorsToCalibrate(model, config: config), method: .minMax
        )
        .run(calibration)
        let fallback = AccuracyFallback(tolerance: 0.02)
        let outcome = try fallback.run(model: model, statistics: stats, config: config, samples: calibration) {
            candidate in
            let executor = try ONNXImport.executor(for: candidate)
            return AccuracyMetric.boxF1.score(
                reference: reference, candidate: try evaluation.map { try executor.run($0) })
        }
        print(
            "fallback: met \(outcome.met) score \(outcome.score) excluded \(outcome.excluded.count) steps \(outcome.steps.map { "\($0.excludedNodes):\(String(format: "%.3f", $0.score))" }) stopped \(outcome.stopped)"
        )
        print("top damaged: \(outcome.ranking.prefix(5).map { "\($0.tensor) \(String(format: "%.3f", $0.error))" })")
        #expect(outcome.met)
        #expect(outcome.score >= 0.98)
    }
}
