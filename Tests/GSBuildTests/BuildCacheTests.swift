import Foundation
import GSExec
import GSOptimize
import ONNX
import Testing

@testable import GSBuild

/// A compiled model too large for one protobuf message (2 GiB; a small limit here) is stored
/// with its weights in `model.onnx.data`, ships with them, and computes what was built.
@Suite struct BuildCacheTests {
    @Test func aModelOverTheLimitIsStoredAndBundledWithItsWeightsFile() throws {
        let source = try ModelFile.load(
            BuildFixture.repository.appendingPathComponent("Specs/models/ppocr_cls.onnx").path)
        var request = CompileRequest(precision: .fp32, inputShapes: ["x": [1, 3, 48, 192]])
        let sample = Tensor(
            shape: [1, 3, 48, 192], floats: (0..<(3 * 48 * 192)).map { Float(($0 * 37) % 255) / 127.5 - 1 })
        request.evaluation = [["x": sample]]
        let variant = try Compiler.compile(source, request)
        let inline = variant.model.serialized().count
        #expect(inline > 100_000)

        let root = NSTemporaryDirectory() + "gsctl-cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = try BuildCache(root: root, inlineModelLimit: 100_000)
        let entry = try cache.store("key", variant: variant)
        let stored = try #require(try FileManager.default.attributesOfItem(atPath: entry.model)[.size] as? Int)
        let weights = try #require(try FileManager.default.attributesOfItem(atPath: entry.modelData)[.size] as? Int)
        // Tensors of 1 KiB or more move (most of the bytes); biases and scales stay inline.
        #expect(stored < inline / 2 && weights > inline / 2, "model \(stored) bytes, weights \(weights) of \(inline)")
        #expect(
            BundleContents.variantFiles(base: "models/cls/fp32", entry: entry).map(\.path) == [
                "models/cls/fp32/model.onnx", "models/cls/fp32/model.onnx.data", "models/cls/fp32/golden-input.npz",
                "models/cls/fp32/golden-output.npz",
            ])
        let outputs = try ONNXImport.executor(for: try ModelFile.load(entry.model)).run(variant.goldenInput)
        for (name, expected) in variant.goldenOutputs {
            #expect(outputs[name]?.floatValues == expected.floatValues, "\(name)")
        }

        // Under the limit: one file, and no weights file in the bundle.
        let whole = try BuildCache(root: root).store("small", variant: variant)
        #expect(!FileManager.default.fileExists(atPath: whole.modelData))
        #expect(BundleContents.variantFiles(base: "m", entry: whole).count == 3)
    }
}
