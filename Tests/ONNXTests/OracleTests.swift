import Foundation
import GSCore
import ONNX
import Testing

/// Our decoder and encoder against the reference: onnx's Python decoder for what we read,
/// onnx.checker and onnxruntime for what we write. Needs the oracle venv (`make oracle`).
@Suite(.serialized)
struct OracleTests {
    /// Small models made once per run by `OracleScripts.fixtures` (or why that failed).
    static let fixtures: Result<String, TestFailure> = {
        let directory = TestFiles.temporaryDirectory()
        do {
            try Oracle.run(OracleScripts.fixtures, [directory])
            return .success(directory)
        } catch {
            return .failure(TestFailure("building fixtures with onnx failed: \(error)"))
        }
    }()

    /// The fixture's path.
    static func fixture(_ name: String) throws -> String { try fixtures.get() + "/" + name }

    /// onnx's dump of each model, through one Python run.
    static func pythonDumps(_ paths: [String]) throws -> [String] {
        let directory = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let targets = paths.indices.map { "\(directory)/\($0).txt" }
        try Oracle.run(OracleScripts.dump, zip(paths, targets).flatMap { [$0, $1] })
        return try targets.map { try String(contentsOfFile: $0, encoding: .utf8) }
    }

    /// Compares two dumps line by line, naming the first difference.
    static func expectSameDump(_ ours: String, _ theirs: String, _ name: String) {
        let a = ours.split(separator: "\n", omittingEmptySubsequences: false)
        let b = theirs.split(separator: "\n", omittingEmptySubsequences: false)
        if let index = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("\(name): line \(index + 1) differs\n  ours:   \(a[index])\n  python: \(b[index])")
        } else {
            #expect(a.count == b.count, "\(name): \(a.count) lines, python \(b.count)")
        }
    }

    @Test(arguments: ["tensors.onnx", "attributes.onnx", "loop.onnx", "external/model.onnx"])
    func decoderReadsWhatOnnxReads(fixture: String) throws {
        let path = try Self.fixture(fixture)
        let ours = try ModelDump.text(try ModelFile.load(path))
        let theirs = try Self.pythonDumps([path])[0]
        Self.expectSameDump(ours, theirs, fixture)
    }

    @Test func realModelsDecodeLikeOnnx() throws {
        let paths = try TestFiles.modelNames.map { try TestFiles.model($0) }
        let theirs = try Self.pythonDumps(paths)
        for (path, python) in zip(paths, theirs) {
            Self.expectSameDump(try ModelDump.text(try ModelFile.load(path)), python, path)
        }
    }

    @Test(arguments: ["tensors.onnx", "attributes.onnx", "loop.onnx", "external/model.onnx"])
    func reencodingWhatOnnxWroteGivesTheSameBytes(fixture: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try Self.fixture(fixture))))
        #expect(try ModelProto(serialized: bytes).serialized() == bytes)
    }

    @Test func attributesFixtureReadsAsWritten() throws {
        let model = try ModelFile.load(try Self.fixture("attributes.onnx"))
        let probe = try #require(model.graph.node.first { $0.opType == "Probe" })
        #expect(probe.domain == "test.probe")
        #expect(probe.input == ["x", "", "x"])
        #expect(probe.attribute("f")?.f == 0.25)
        #expect(probe.attribute("f_neg_zero")?.f.bitPattern == (-0.0 as Float).bitPattern)
        #expect(probe.attribute("i")?.i == -7)
        #expect(probe.attribute("i_zero")?.type == .int)
        #expect(probe.attribute("s")?.s == [0x62, 0x79, 0x74, 0x65, 0x73, 0xFF, 0x00])
        #expect(probe.attribute("floats")?.floats == [1.0, -2.5, 1e-30])
        #expect(probe.attribute("ints")?.ints == [1, -2, 1 << 40])
        #expect(probe.attribute("strings")?.stringValues == ["a", "bc", ""])
        #expect(try probe.attribute("t")?.t?.floats() == [0, 1, 2, 3, 4, 5])
        #expect(try probe.attribute("tensors")?.tensors.first?.int64s() == [3, 4])
        #expect(probe.attribute("g")?.g?.node.map(\.opType) == ["Identity"])
        #expect(probe.attribute("graphs")?.graphs.map(\.name) == ["sub", "sub2"])
        #expect(probe.attribute("tp")?.tp?.tensorType?.shape?.dim.map(\.value) == [.value(2), .param("N")])
        #expect(probe.attribute("type_protos")?.typeProtos.count == 2)
        #expect(probe.attribute("type_protos")?.typeProtos[1].wire.unknownFields.map(\.number) == [4])
        // The sparse tensor is not modelled: its field stays as bytes and comes back out.
        let sparse = try #require(probe.attribute("sparse"))
        #expect(sparse.type == .sparseTensor)
        #expect(sparse.wire.unknownFields.map(\.number) == [22])
        #expect(probe.attribute("empty_ints")?.type == .ints)

        let function = try #require(model.functions.first)
        #expect(function.name == "Leaky" && function.domain == "test.fn")
        #expect(function.attributeProto.first?.f == 0.2)
        #expect(function.node.first?.attribute("alpha")?.refAttrName == "alpha")
        #expect(model.metadataProps["character"] == "abc\u{4e2d}")
        #expect(model.opsetVersion(domain: "") == 17)
        #expect(model.opsetVersion(domain: "ai.onnx") == 17)
        #expect(model.opsetVersion(domain: "test.probe") == 1)
        #expect(model.opsetVersion(domain: "com.microsoft") == nil)
        let x = try #require(model.graph.input.first?.tensorType?.shape?.dim)
        #expect(x.map(\.value) == [.param("batch"), .value(3), .unknown])
        #expect(x[0].denotation == "DATA_BATCH")
    }

    @Test func loopFixtureExposesItsSubgraphs() throws {
        let graph = try ModelFile.load(try Self.fixture("loop.onnx")).graph
        let loop = try #require(graph.node.first { $0.opType == "Loop" })
        let body = try #require(loop.attribute("body")?.g)
        #expect(body.node.map(\.opType) == ["Identity", "Mul", "Cast", "Unsqueeze"])
        #expect(body.initializer(named: "axes0") != nil)
        #expect(loop.implicitInputs == ["two"])
        #expect(graph.consumers(of: "two") == [0, 3])  // the Loop body and both If branches read it
        #expect(graph.consumers(of: "acc") == [1, 3])
        #expect(graph.producer(of: "big")?.opType == "Greater")
        #expect(graph.producerIndex()["total"] == 1)
        #expect(graph.consumerIndex()["two"] == [0, 3])
        #expect(graph.nodeCountIncludingSubgraphs == 4 + 4 + 1 + 1)
        #expect(try graph.initializer(named: "trip")?.int64s() == [3])
        #expect(try graph.initializer(named: "cond")?.bools() == [true])
    }

    // MARK: What we write

    /// X [N, 3] -> MatMul, Add (typed bias), LeakyRelu, Transpose, Loop (body reads an outer
    /// value), ReduceSum, Greater, If (both branches read outer values), Pad (string
    /// attribute), Concat: every attribute kind the executor meets, built with our API.
    static func builtModel() -> ModelProto {
        let w: [Float] = (1...6).map { Float($0) / 10 }
        let body = GraphProto(
            name: "body",
            nodes: [
                NodeProto("Identity", inputs: ["cond_in"], outputs: ["cond_out"]),
                NodeProto("Mul", inputs: ["acc_in", "two"], outputs: ["acc_out"]),
            ],
            inputs: [
                ValueInfoProto(name: "i", elementType: .int64, shape: []),
                ValueInfoProto(name: "cond_in", elementType: .bool, shape: []),
                ValueInfoProto(name: "acc_in", elementType: .float, shape: nil),
            ],
            outputs: [
                ValueInfoProto(name: "cond_out", elementType: .bool, shape: []),
                ValueInfoProto(name: "acc_out", elementType: .float, shape: nil),
            ])
        func branch(_ op: String) -> GraphProto {
            GraphProto(
                name: op, nodes: [NodeProto(op, inputs: ["z", "one"], outputs: ["r_\(op)"])], inputs: [],
                outputs: [ValueInfoProto(name: "r_\(op)", elementType: .float, shape: nil)])
        }
        let graph = GraphProto(
            name: "built",
            nodes: [
                NodeProto("MatMul", inputs: ["x", "w"], outputs: ["xw"], name: "matmul"),
                NodeProto("Add", inputs: ["xw", "b"], outputs: ["y0"]),
                NodeProto("LeakyRelu", inputs: ["y0"], outputs: ["y1"], attributes: [.float("alpha", 0.1)]),
                NodeProto("Transpose", inputs: ["y1"], outputs: ["y2"], attributes: [.ints("perm", [1, 0])]),
                NodeProto(
                    "Constant", inputs: [], outputs: ["cond"],
                    attributes: [.tensor("value", TensorProto(name: "cond_value", shape: [], values: [true]))]),
                NodeProto("Loop", inputs: ["trip", "cond", "y2"], outputs: ["z"], attributes: [.graph("body", body)]),
                NodeProto("ReduceSum", inputs: ["z"], outputs: ["total"], attributes: [.int("keepdims", 0)]),
                NodeProto("Greater", inputs: ["total", "one"], outputs: ["big"]),
                NodeProto(
                    "If", inputs: ["big"], outputs: ["chosen"],
                    attributes: [.graph("then_branch", branch("Add")), .graph("else_branch", branch("Sub"))]),
                NodeProto(
                    "Pad", inputs: ["chosen", "pads"], outputs: ["padded"], attributes: [.string("mode", "constant")]),
                NodeProto("Concat", inputs: ["padded", "padded"], outputs: ["out"], attributes: [.int("axis", 0)]),
            ],
            inputs: [ValueInfoProto(name: "x", elementType: .float, shape: ["N", 3])],
            outputs: [ValueInfoProto(name: "out", elementType: .float, shape: [4, TensorShapeProto.Dimension()])],
            initializers: [
                TensorProto(name: "w", shape: [3, 2], values: w),
                TensorProto(name: "b", shape: [2], typedValues: [Float(0.5), -1]),
                TensorProto(name: "two", shape: [], values: [Float(2)]),
                TensorProto(name: "one", shape: [], typedValues: [Float(1)]),
                TensorProto(name: "pads", shape: [4], typedValues: [Int64(0), 1, 0, 1]),
                TensorProto(name: "trip", shape: [], values: [Int64(3)]),
            ])
        return ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: 17)], irVersion: 8)
    }

    /// What `builtModel` computes for `x` ([n, 3], row-major), by hand: [4, n + 2].
    static func expectedOutput(_ x: [Float], n: Int) -> [Float] {
        let w: [Float] = (1...6).map { Float($0) / 10 }
        let b: [Float] = [0.5, -1]
        var z = [[Float]](repeating: [Float](repeating: 0, count: n), count: 2)
        for row in 0..<n {
            for column in 0..<2 {
                var y = b[column]
                for k in 0..<3 { y += x[row * 3 + k] * w[k * 2 + column] }
                z[column][row] = (y < 0 ? 0.1 * y : y) * 8
            }
        }
        let big = z.joined().reduce(0, +) > 1
        let padded = z.map { [0] + $0.map { big ? $0 + 1 : $0 - 1 } + [0] }
        return Array((padded + padded).joined())
    }

    /// Runs a model file through run.py and returns its first output.
    static func runInOnnxRuntime(_ path: String, x: [Float], shape: [Int]) throws -> (shape: [Int], data: [Double]) {
        let directory = FileSystem.directory(of: path)
        let inputs = "{\"x\": {\"dtype\": \"float32\", \"shape\": \(shape), \"data\": \(x)}}"
        try inputs.write(toFile: directory + "/inputs.json", atomically: true, encoding: .utf8)
        try Oracle.run(OracleScripts.run, [path, directory + "/inputs.json", directory + "/outputs.json"])
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/outputs.json"))
        let outputs = try JSONDecoder().decode([String: RunOutput].self, from: data)
        let out = try #require(outputs["out"] ?? outputs["y"])
        return (out.shape, out.data)
    }

    /// One output of run.py.
    struct RunOutput: Decodable {
        var shape: [Int]
        var data: [Double]
    }

    @Test func modelBuiltInSwiftPassesTheCheckerAndRunsInOnnxRuntime() throws {
        let directory = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/built.onnx"
        try ModelFile.save(Self.builtModel(), to: path)
        let x: [Float] = [1, 2, 3, -4, 5, -6]
        let (shape, data) = try Self.runInOnnxRuntime(path, x: x, shape: [2, 3])
        #expect(shape == [4, 4])
        let expected = Self.expectedOutput(x, n: 2)
        #expect(data.count == expected.count)
        for (got, want) in zip(data, expected) { #expect(abs(got - Double(want)) <= 1e-4 * max(1, abs(Double(want)))) }
        // And we read back what we wrote.
        #expect(try ModelFile.load(path) == Self.builtModel())
    }

    @Test func externalDataWeWriteLoadsInOnnxAndOnnxRuntime() throws {
        let directory = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var random = SeededRandom(state: 7)
        let weights = (0..<(256 * 4)).map { _ in Float.random(in: -1...1, using: &random) }
        let bias: [Float] = [0.1, 0.2, 0.3, 0.4]
        let graph = GraphProto(
            name: "external",
            nodes: [
                NodeProto("MatMul", inputs: ["x", "w"], outputs: ["xw"]),
                NodeProto("Add", inputs: ["xw", "b"], outputs: ["y"]),
            ],
            inputs: [ValueInfoProto(name: "x", elementType: .float, shape: [1, 256])],
            outputs: [ValueInfoProto(name: "y", elementType: .float, shape: [1, 4])],
            initializers: [
                TensorProto(name: "w", shape: [256, 4], values: weights),
                TensorProto(name: "b", shape: [4], values: bias),
            ])
        let model = ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: 17)])
        let path = directory + "/model.onnx"
        try ModelFile.save(
            model, to: path,
            externalData: ExternalDataOptions(location: "data/weights.bin", threshold: 64, alignment: 64))

        let stored = try ModelFile.load(path, loadExternalData: false)
        let w = try #require(stored.graph.initializer(named: "w"))
        #expect(w.isExternal && w.rawData == nil)
        #expect(w.externalData.map(\.key) == ["location", "offset", "length"])
        #expect(stored.graph.initializer(named: "b")?.rawData != nil)  // 16 bytes: under the threshold
        #expect(try ModelFile.load(path) == model)

        let x = (0..<256).map { Float($0 % 7) / 7 }
        let (shape, data) = try Self.runInOnnxRuntime(path, x: x, shape: [1, 256])
        #expect(shape == [1, 4])
        for column in 0..<4 {
            var want = Double(bias[column])
            for k in 0..<256 { want += Double(x[k]) * Double(weights[k * 4 + column]) }
            #expect(abs(data[column] - want) < 1e-3)
        }
    }
}
