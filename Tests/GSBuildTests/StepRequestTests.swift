import Foundation
import GSBuild
import GSOptimize
import GSSpec
import Testing

@testable import GSPlan

/// What a Model's `evaluation` says reaches the compiler's request and the build key: a
/// stricter score margin is a different check, so a cached variant is not reused for it.
@Suite struct StepRequestTests {
    static func model(evaluation: String) throws -> (Model, Device) {
        let folder = NSTemporaryDirectory() + "gsctl-step-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let yaml = """
            apiVersion: gs.ai/v1
            kind: Model
            metadata: {name: person}
            spec:
              source: person.onnx
              sha256: \(String(repeating: "ab", count: 32))
              task: detection
              inputs: [{name: "image_tensor:0", shape: [1, 300, 300, 3], dtype: uint8}]
              evaluation: \(evaluation)
            ---
            apiVersion: gs.ai/v1
            kind: Device
            metadata: {name: d}
            spec:
              arch: x86_64
              cpu: {features: [avx2], cores: 2}
              runtimes: [{name: onnxruntime, version: "1", format: onnx, precisions: [fp32, fp16, int8]}]
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: folder + "/specs.yaml"))
        let specs = SpecLoader.load(paths: [folder + "/specs.yaml"]).specs
        return (try #require(specs.models.first), try #require(specs.devices.first))
    }

    static let step = BuildStep(
        id: "person@d/fp16", model: "person", device: "d", precision: .fp16, source: "person.onnx",
        sha256: String(repeating: "ab", count: 32), bundles: [], deployments: [])

    @Test func scoreThresholdAndMarginReachTheRequestAndTheKey() throws {
        let (strict, device) = try Self.model(
            evaluation: "{metric: box-f1, scoreThreshold: 0.4, scoreMargin: 0, tolerance: 0.01}")
        let request = try StepRequest.make(step: Self.step, model: strict, device: device)
        #expect(request.metric == AccuracyMetric.boxF1)
        #expect(request.scoreThreshold == 0.4)
        #expect(request.scoreMargin == 0)

        let (plain, _) = try Self.model(evaluation: "{metric: box-f1, scoreThreshold: 0.4, tolerance: 0.01}")
        let defaults = try StepRequest.make(step: Self.step, model: plain, device: device)
        #expect(defaults.scoreMargin == Detections.margin)
        #expect(
            BuildKey.compute(step: Self.step, model: strict, request: request, dataDigests: [])
                != BuildKey.compute(step: Self.step, model: plain, request: defaults, dataDigests: []))
    }

    /// `evaluation.confidence` reaches the compiler and the cache key (a variant accepted on
    /// its score alone is not one accepted at the interval's low end).
    @Test func confidenceReachesTheRequestAndTheKey() throws {
        let (sure, device) = try Self.model(evaluation: "{metric: box-f1, tolerance: 0.01, confidence: 0.95}")
        let request = try StepRequest.make(step: Self.step, model: sure, device: device)
        #expect(request.confidence == 0.95)
        let (plain, _) = try Self.model(evaluation: "{metric: box-f1, tolerance: 0.01}")
        let defaults = try StepRequest.make(step: Self.step, model: plain, device: device)
        #expect(defaults.confidence == nil)
        #expect(
            BuildKey.compute(step: Self.step, model: sure, request: request, dataDigests: [])
                != BuildKey.compute(step: Self.step, model: plain, request: defaults, dataDigests: []))
    }
}
