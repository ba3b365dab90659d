import Foundation
import GSExec
import GSOptimize
import ONNX
import Testing

/// The passes on the four real models, against onnxruntime on a realistic input: each pass
/// alone (after `constant-to-initializer` where the pass only sees initializers), the standard
/// pipeline with the deployment shapes, and `upgrade-opset` after it. Prints node counts per
/// pass and the pipeline's time per model (the report's figures come from here).
@Suite(.serialized) struct RealModelPassTests {
    /// File, oracle input kind, the static input shapes a Model spec would give.
    static let models: [(file: String, kind: String, shapes: [String: [Int]])] = [
        ("ppocr_cls.onnx", "cls", ["x": [1, 3, 48, 192]]),
        ("ppocrv4_rec.onnx", "rec", ["x": [1, 3, 48, 320]]),
        ("ppocrv4_det.onnx", "det", ["x": [1, 3, 640, 640]]),
        ("ssdlite_person.onnx", "ssd", ["image_tensor:0": [1, 300, 300, 3]]),
    ]

    /// Passes whose float math is reassociated get the looser tolerance.
    static func tolerance(after passes: [String]) -> Float {
        let reassociating: Set = ["fold-batchnorm", "fold-conv-affine", "fuse-matmul-add", "fuse-hardswish"]
        return passes.contains(where: reassociating.contains) ? 1e-3 : 1e-4
    }

    static func load(_ file: String) throws -> ModelProto? {
        guard let path = PassOracle.modelPath(file) else {
            Issue.record("\(file) not found in ../shared/models or Specs/models: run `make models`")
            return nil
        }
        return try ModelFile.load(path)
    }

    @Test(arguments: models.map { $0.file })
    func standardPipelineKeepsOutputs(file: String) throws {
        guard let entry = Self.models.first(where: { $0.file == file }), let model = try Self.load(file) else { return }
        let started = Date()
        let pipeline = try PassPipeline(PassPipeline.standard)
        let result = try pipeline.run(model, PassContext(inputShapes: entry.shapes))
        let seconds = Date().timeIntervalSince(started)
        print("== \(file): standard pipeline \(String(format: "%.2f", seconds)) s\n\(result.summary)")
        #expect(result.nodesAfter < result.nodesBefore)
        try PassCheck.verify(
            original: model, transformed: result.model, kind: entry.kind,
            tolerance: Self.tolerance(after: PassPipeline.standard), label: "\(file) standard")
        // Every value of the main graph is typed; static ones carry their shape.
        let typed = Set(result.model.graph.valueInfo.map(\.name)).union(result.model.graph.output.map(\.name))
        for node in result.model.graph.node {
            for output in node.output where !output.isEmpty {
                #expect(typed.contains(output), "\(file): no value_info for \(output)")
            }
        }
    }
}

extension RealModelPassTests {
    /// Paddle2ONNX weights are Constant nodes, so every pass but `constant-to-initializer` runs
    /// after it; passes that act on declared shapes get `static-shapes` first as well.
    static func prefix(for pass: String) -> [String] {
        switch pass {
        case "constant-to-initializer": []
        case "static-shapes": ["constant-to-initializer"]
        case "fuse-matmul-add", "eliminate-noop-reshape", "fold-batchnorm":
            ["constant-to-initializer", "static-shapes"]
        default: ["constant-to-initializer"]
        }
    }

    @Test(arguments: models.map { $0.file })
    func eachPassAloneKeepsOutputs(file: String) throws {
        guard let entry = Self.models.first(where: { $0.file == file }), let model = try Self.load(file) else { return }
        let context = PassContext(inputShapes: entry.shapes)
        var candidates: [(label: String, model: ModelProto, tolerance: Float)] = []
        var lines: [String] = []
        for pass in PassRegistry.all.map(\.name) {
            let prepared = try PassPipeline(Self.prefix(for: pass)).run(model, context).model
            let started = Date()
            let (result, report) = try #require(PassRegistry.pass(named: pass)).apply(prepared, context)
            let seconds = Date().timeIntervalSince(started)
            let counts = report.counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map {
                "\($0.key) \($0.value)"
            }
            lines.append(
                "\(pass): \(prepared.graph.nodeCountIncludingSubgraphs) -> \(result.graph.nodeCountIncludingSubgraphs)"
                    + " nodes [\(counts.joined(separator: ", "))] \(String(format: "%.2f", seconds)) s")
            candidates.append((pass, result, Self.tolerance(after: [pass])))
        }
        print("== \(file): each pass alone (after its prefix)\n" + lines.joined(separator: "\n"))
        try PassCheck.verify(original: model, candidates: candidates, kind: entry.kind)
    }

    @Test(arguments: models.map { $0.file })
    func upgradeOpsetKeepsOutputs(file: String) throws {
        guard let entry = Self.models.first(where: { $0.file == file }), let model = try Self.load(file) else { return }
        let context = PassContext(inputShapes: entry.shapes)
        let (alone, report) = try UpgradeOpset().apply(model, context)
        let prepared = try PassPipeline(PassPipeline.standard + PassPipeline.quantizationPreparation).run(
            model, context)
        #expect(alone.opsetVersion(domain: "") == max(13, model.opsetVersion(domain: "") ?? 0))
        // The PP-OCR models' hard-swishes fuse once the opset is 13, which makes it 14.
        let swishes = prepared.model.graph.node.filter { $0.opType == "HardSwish" }.count
        #expect((swishes > 0) == (file != "ssdlite_person.onnx"))
        let expected = swishes > 0 ? 14 : max(13, model.opsetVersion(domain: "") ?? 0)
        #expect(prepared.model.opsetVersion(domain: "") == expected)
        print("== \(file): upgrade-opset alone \(report.counts.sorted { $0.key < $1.key }) \(report.notes)")
        print("== \(file): standard + upgrade: \(prepared.nodesBefore) -> \(prepared.nodesAfter) nodes")
        try PassCheck.verify(
            original: model,
            candidates: [("upgrade alone", alone, 1e-4), ("standard + upgrade", prepared.model, 1e-3)],
            kind: entry.kind)
    }

    /// The talk's claim on our models: the same pipeline removes more with static input shapes.
    @Test(arguments: models.map { $0.file })
    func staticShapesOptimizeBetter(file: String) throws {
        guard let entry = Self.models.first(where: { $0.file == file }), let model = try Self.load(file) else { return }
        let pipeline = try PassPipeline(PassPipeline.standard)
        let dynamic = try pipeline.run(model, PassContext())
        let fixed = try pipeline.run(model, PassContext(inputShapes: entry.shapes))
        func main(_ model: ModelProto) -> Int { model.graph.node.count }
        print(
            "== \(file): nodes (main graph / with Loop bodies) original \(main(model)) / \(dynamic.nodesBefore),"
                + " dynamic shapes \(main(dynamic.model)) / \(dynamic.nodesAfter),"
                + " static shapes \(main(fixed.model)) / \(fixed.nodesAfter)")
        #expect(fixed.nodesAfter <= dynamic.nodesAfter)
        if file.hasPrefix("ssdlite") { #expect(main(fixed.model) < main(dynamic.model)) }
        try PassCheck.verify(
            original: model, candidates: [("standard, dynamic shapes", dynamic.model, 1e-3)], kind: entry.kind)
    }

    /// SSDLite's static model on inputs other than the zeros static-shapes ran: a blank frame
    /// and a synthetic gradient (a shape taken from the data would break one of them).
    @Test func staticSSDLiteRunsOtherInputs() throws {
        guard let model = try Self.load("ssdlite_person.onnx") else { return }
        let shapes = ["image_tensor:0": [1, 300, 300, 3]]
        let result = try PassPipeline(PassPipeline.standard).run(model, PassContext(inputShapes: shapes))
        let count = 300 * 300 * 3
        let gradient = (0..<count).map { UInt8(truncatingIfNeeded: ($0 / 3) % 300 * 255 / 299 + $0 % 3 * 40) }
        for (label, pixels) in [("blank", [UInt8](repeating: 0, count: count)), ("gradient", gradient)] {
            try PassCheck.verify(
                original: model, transformed: result.model,
                feeds: ["image_tensor:0": Tensor(shape: [1, 300, 300, 3], storage: .uint8(pixels))],
                tolerance: 1e-3, label: label)
        }
    }
}
