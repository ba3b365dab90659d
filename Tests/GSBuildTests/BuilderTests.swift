import Foundation
import GSBuild
import GSBundle
import GSCore
import GSExec
import GSOptimize
import GSPlan
import GSSpec
import ONNX
import Testing

/// A small spec repository around the real PP-OCR direction classifier and the rendered
/// text lines, written to a temporary folder.
enum BuildFixture {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static func write(
        precision: String = "int8-mixed", modelPath: String? = nil, metric: String = "top1-agreement",
        lines: String = repository.appendingPathComponent("Specs/data/text-lines").path
    ) throws -> String {
        let directory = NSTemporaryDirectory() + "gsctl-build-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let model = modelPath ?? repository.appendingPathComponent("Specs/models/ppocr_cls.onnx").path
        let digest = try SHA256.hex(ofFile: model)
        let specs = """
            apiVersion: gs.ai/v1
            kind: Device
            metadata: {name: gateway}
            spec:
              arch: x86_64
              cpu: {features: [avx2, fma]}
              runtimes:
                - {name: openvino, version: "2024.6.0", format: onnx, precisions: [fp32, fp16, int8], fast: [fp16, int8]}
            ---
            apiVersion: gs.ai/v1
            kind: Host
            metadata: {name: box}
            spec: {device: gateway, transport: local, root: hosts/box}
            ---
            apiVersion: gs.ai/v1
            kind: Model
            metadata: {name: direction}
            spec:
              source: \(model)
              sha256: \(digest)
              task: ocr-direction
              inputs: [{name: x, shape: [1, 3, 48, 192]}]
              preprocess: {scale: 0.00392156862745098, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: bgr}
              calibration: {data: \(lines), samples: 24}
              evaluation: {data: \(lines), samples: 24, metric: \(metric), tolerance: 0.05}
            ---
            apiVersion: gs.ai/v1
            kind: Workflow
            metadata: {name: reader}
            spec:
              tasks: [{name: classify, uses: classify, model: direction, command: [python3, classify.py]}]
            ---
            apiVersion: gs.ai/v1
            kind: Deployment
            metadata: {name: reader-box}
            spec:
              workflow: reader
              precision: \(precision)
              targets: [{hosts: [box]}]

            """
        try Data(specs.utf8).write(to: URL(fileURLWithPath: directory + "/specs.yaml"))
        return directory
    }

    static func build(_ directory: String, out: String? = nil, key: String? = nil) throws -> BuildResult {
        let report = Linter.lint(paths: [directory])
        let errors = report.diagnostics.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors.map(\.message))")
        var options = BuildOptions()
        options.outputDirectory = out ?? directory + "/Bundles"
        options.signingKey = key
        return try Builder.build(
            specs: report.specs, plan: Planner.plan(report.specs), specFiles: report.specs.files, options: options)
    }
}

@Suite(.serialized) struct BuilderTests {
    @Test func buildsASignedBundleThatVerifies() throws {
        let directory = try BuildFixture.write()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = try SigningKeyFiles.generate(prefix: directory + "/release", force: false)
        let result = try BuildFixture.build(directory, key: directory + "/release.key")
        #expect(result.bundles.count == 1)
        let bundle = try #require(result.bundles.first)
        #expect(bundle.manifest.id == "reader-gateway-int8-mixed")
        let paths = Set(bundle.manifest.files.map(\.path))
        #expect(
            paths == [
                "models/direction/int8-mixed/model.onnx", "models/direction/int8-mixed/golden-input.npz",
                "models/direction/int8-mixed/golden-output.npz",
            ])
        let verified = try BundleVerifier.verify(
            bundle.archivePath, trustedKeys: [try Ed25519PublicKey.load(path: key.publicKeyPath)])
        #expect(verified.manifest.id == bundle.manifest.id)
        // The report says what was built, in the talk's table shape.
        #expect(result.reportMarkdown.contains("| direction | gateway | int8-mixed | int8-mixed |"))
        // Accuracy with the interval 24 samples allow, and the int8 share of the work.
        let row = try #require(result.reportMarkdown.split(separator: "\n").first { $0.hasPrefix("| direction |") })
        #expect(row.contains("% [") && row.contains("100.0%"), "\(row)")
        #expect(FileManager.default.fileExists(atPath: directory + "/Bundles/build-report.json"))
    }

    /// int8-mixed as well: calibration, the sensitivity ranking and the fallback search
    /// give the same model on every run.
    @Test(arguments: ["fp16", "int8-mixed"])
    func aSecondBuildIsCachedAndByteIdentical(precision: String) throws {
        let directory = try BuildFixture.write(precision: precision)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try BuildFixture.build(directory)
        #expect(first.steps.allSatisfy { !$0.cached })
        let archive = try Data(contentsOf: URL(fileURLWithPath: try #require(first.bundles.first).archivePath))
        let second = try BuildFixture.build(directory)
        #expect(second.steps.allSatisfy { $0.cached })
        let again = try Data(contentsOf: URL(fileURLWithPath: try #require(second.bundles.first).archivePath))
        #expect(archive == again)
        // A fresh output folder with its own, empty cache (another runner) compiles again and
        // gives the same bytes too.
        let elsewhere = try BuildFixture.build(directory, out: directory + "/Other")
        #expect(elsewhere.steps.allSatisfy { !$0.cached })
        let fresh = try Data(contentsOf: URL(fileURLWithPath: try #require(elsewhere.bundles.first).archivePath))
        #expect(archive == fresh, "a fresh compile packed different bytes")
    }

    /// With `metric: top1` and a labelled data folder, the report gives accuracy on the
    /// labels (the direction classifier's `rotated` column), the original model's beside the
    /// variant's; the labels are part of the build key, so editing them rebuilds.
    @Test func directionAccuracyIsScoredOnTheTextLinesLabels() throws {
        let data = NSTemporaryDirectory() + "gsctl-lines-\(UUID().uuidString)"
        try FileManager.default.copyItem(
            atPath: BuildFixture.repository.appendingPathComponent("Specs/data/text-lines").path, toPath: data)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let directory = try BuildFixture.write(precision: "fp16", metric: "top1", lines: data)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try BuildFixture.build(directory)
        let step = try #require(first.steps.first)
        let labels = try #require(step.report["labels"])
        #expect(labels["metric"]?.stringValue == "top1-accuracy")
        #expect(labels["samples"]?.intValue == 24)
        let original = try #require(labels["originalAccuracy"]?.doubleValue)
        let accuracy = try #require(labels["accuracy"]?.doubleValue)
        // The classifier gets most directions right, and fp16 changes none of its answers.
        #expect(original >= 0.9 && original <= 1, "\(labels)")
        #expect(accuracy == original, "\(labels)")
        #expect(step.report["metric"]?.stringValue == "top1-accuracy")
        #expect(step.report["deviceMetric"]?.stringValue == "top1-agreement")
        #expect(first.reportMarkdown.contains("top1-accuracy on 24 labelled; original"), "\(first.reportMarkdown)")

        // Every upside-down line relabelled upright: a different key, and a lower accuracy.
        let tsv = data + "/labels.tsv"
        let text = try String(contentsOfFile: tsv, encoding: .utf8)
        let upright = text.split(separator: "\n").map { line in
            var fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if fields[2] == "1" { fields[2] = "0" }
            return fields.joined(separator: "\t")
        }
        try Data((upright.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: tsv))
        let second = try BuildFixture.build(directory)
        let again = try #require(second.steps.first)
        #expect(!again.cached)
        #expect(again.key != step.key)
        let lower = try #require(again.report["labels"]?["originalAccuracy"]?.doubleValue)
        #expect(lower < original, "\(again.report)")
    }

    @Test func aCorruptModelFailsTheStepAndWritesNoBundle() throws {
        let corrupt = NSTemporaryDirectory() + "gsctl-corrupt-\(UUID().uuidString).onnx"
        var bytes = Array(
            try Data(contentsOf: BuildFixture.repository.appendingPathComponent("Specs/models/ppocr_cls.onnx")))
        bytes.removeLast(bytes.count / 2)
        try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
        defer { try? FileManager.default.removeItem(atPath: corrupt) }
        let directory = try BuildFixture.write(precision: "fp32", modelPath: corrupt)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            _ = try BuildFixture.build(directory)
            Issue.record("a truncated model must fail the build")
        } catch let error as GSError {
            #expect(error.message.contains("direction@gateway/fp32"))
        }
        let written = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/Bundles")) ?? []
        #expect(!written.contains { $0.hasSuffix(".tar.zst") })
    }

    @Test func aModelOfAnOpsetTooNewFailsTheStepSayingSo() throws {
        let path = NSTemporaryDirectory() + "gsctl-opset-\(UUID().uuidString).onnx"
        var model = try ModelFile.load(
            BuildFixture.repository.appendingPathComponent("Specs/models/ppocr_cls.onnx").path)
        model.opsetImport = [OperatorSetIdProto(version: 30)]
        try Data(model.serialized()).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let directory = try BuildFixture.write(precision: "fp16", modelPath: path)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            _ = try BuildFixture.build(directory)
            Issue.record("an opset-30 model must fail the build")
        } catch let error as GSError {
            #expect(error.message.contains("direction@gateway/fp16"), "\(error.message)")
            #expect(error.message.contains("opset 30"), "\(error.message)")
        }
        let written = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/Bundles")) ?? []
        #expect(!written.contains { $0.hasSuffix(".tar.zst") })
    }

    /// A model whose weights live in an external data file: the pinned sha256 covers only the
    /// `.onnx`, so the key covers the data file too: new weights rebuild, a missing file is
    /// named.
    @Test func newExternalWeightsRebuildTheStep() throws {
        let folder = NSTemporaryDirectory() + "gsctl-external-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The classifier keeps its weights in Constant nodes: as initializers they can move out.
        let original = try ModelFile.load(
            BuildFixture.repository.appendingPathComponent("Specs/models/ppocr_cls.onnx").path)
        var model = try PassPipeline(["constant-to-initializer"]).run(original, PassContext()).model
        // Its floats are in typed fields; external data holds raw bytes.
        model.graph.initializer = try model.graph.initializer.map { tensor in
            guard tensor.dataType == .float else { return tensor }
            return TensorProto(
                name: tensor.name, shape: tensor.dims.map(Int.init), values: try ONNXImport.tensor(tensor).floatValues)
        }
        try ModelFile.save(model, to: folder + "/cls.onnx", externalData: ExternalDataOptions(location: "cls.data"))
        let directory = try BuildFixture.write(precision: "fp16", modelPath: folder + "/cls.onnx")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try #require(try BuildFixture.build(directory).steps.first)
        #expect(!first.cached)
        #expect(try #require(try BuildFixture.build(directory).steps.first).cached)
        // New weights (the last byte of the data file), the same .onnx: compiled again.
        var data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/cls.data")))
        try #require(data.count > 100_000, "the weights did not move out: \(data.count) bytes")
        data[data.count - 1] ^= 0x10
        try Data(data).write(to: URL(fileURLWithPath: folder + "/cls.data"))
        let again = try #require(try BuildFixture.build(directory).steps.first)
        #expect(!again.cached && again.key != first.key)
        try FileManager.default.removeItem(atPath: folder + "/cls.data")
        #expect {
            _ = try BuildFixture.build(directory)
        } throws: { error in
            "\(error)".contains("cls.data")
        }
    }

    @Test func keysChangeWithWhatShapesTheOutput() throws {
        let directory = try BuildFixture.write()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lines = BuildFixture.repository.appendingPathComponent("Specs/data/text-lines").path
        let digest = try BuildKey.dataDigest(lines)
        #expect(digest == (try BuildKey.dataDigest(lines)))
        let copy = directory + "/lines"
        try FileManager.default.copyItem(atPath: lines, toPath: copy)
        #expect(try BuildKey.dataDigest(copy) == digest)
        try Data([0]).write(to: URL(fileURLWithPath: copy + "/line-000.png"))
        #expect(try BuildKey.dataDigest(copy) != digest)
    }
}
