import Foundation
import GSExec
import Testing

/// Loop and If replayed against onnxruntime (oracle/control_cases.py): synthetic subgraphs
/// covering trip count, condition, scans, nesting and outer values, and the two Loop nodes
/// of the real SSDLite detector with the values onnxruntime feeds them.
@Suite struct ControlOpsTests {
    @Test func everyCaseMatchesOnnxRuntime() throws {
        let cases = try GraphOracle.cases("control_cases.py")
        #expect(cases.count >= 11)
        for oracle in cases {
            do {
                try GraphOracle.check(oracle)
            } catch {
                Issue.record("\(oracle.name): \(error)")
            }
        }
    }

    @Test func theSSDLiteLoopsAreCovered() throws {
        let names = try GraphOracle.cases("control_cases.py").map(\.name)
        // Without the model the oracle has nothing to extract; say so instead of passing quietly.
        try #require(
            names.contains { $0.hasPrefix("SSDLite-") },
            "ssdlite_person.onnx not found (set GSCTL_MODELS)")
        #expect(names.filter { $0.hasPrefix("SSDLite-") }.count == 2)
    }

    @Test func bodyErrorsNameTheLoopAndTheInnerNode() throws {
        // The body adds a [2] and a [3] tensor: fails in the first iteration.
        let body = ExecGraph(
            nodes: [
                ExecNode(name: "bad_add", opType: "Add", inputs: ["x", "outer"], outputs: ["y"]),
                ExecNode(name: "keep", opType: "Identity", inputs: ["cond"], outputs: ["cond_out"]),
            ],
            inputs: [ValueInfo(name: "i"), ValueInfo(name: "cond"), ValueInfo(name: "x")],
            outputs: [ValueInfo(name: "cond_out"), ValueInfo(name: "y")])
        let loop = ExecNode(
            name: "loop_1", opType: "Loop", inputs: ["m", "", "x0"], outputs: ["x_final"],
            attributes: ["body": .graph(body)])
        let graph = ExecGraph(
            nodes: [loop], inputs: [ValueInfo(name: "m"), ValueInfo(name: "x0"), ValueInfo(name: "outer")],
            outputs: [ValueInfo(name: "x_final")])
        let executor = try Executor(graph: graph, opset: 13)
        #expect {
            _ = try executor.run([
                "m": Tensor(shape: [], int64s: [2]), "x0": Tensor(shape: [2], floats: [1, 2]),
                "outer": Tensor(shape: [3], floats: [1, 2, 3]),
            ])
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("Loop 'loop_1': iteration 0: Add 'bad_add':") && text.contains("do not broadcast")
        }
    }

    @Test func malformedLoopIsAnErrorNamingTheNode() {
        let body = ExecGraph(nodes: [], inputs: [ValueInfo(name: "i")], outputs: [ValueInfo(name: "i")])
        let loop = ExecNode(
            name: "loop_2", opType: "Loop", inputs: ["m", ""], outputs: [], attributes: ["body": .graph(body)])
        let graph = ExecGraph(nodes: [loop], inputs: [ValueInfo(name: "m")], outputs: [])
        #expect {
            _ = try Executor(graph: graph, opset: 13)
        } throws: { error in
            "\(error)" == "Loop 'loop_2': the body needs an iteration-number and a condition input"
        }
        let notAGraph = ExecNode(
            name: "if_1", opType: "If", inputs: ["c"], outputs: ["y"],
            attributes: ["then_branch": .int(1), "else_branch": .int(2)])
        #expect {
            _ = try Executor(graph: OneNode.graph(notAGraph), opset: 13)
        } throws: { error in
            "\(error)" == "If 'if_1': attribute `then_branch` must be a graph"
        }
    }

    @Test func scanOutputsMustKeepTheirShape() throws {
        // Each iteration scans Range(0, i): shapes [0], [1], ... cannot be stacked.
        let body = ExecGraph(
            nodes: [
                ExecNode(
                    name: "zero", opType: "Constant", inputs: [], outputs: ["z"],
                    attributes: ["value": .tensor(Tensor(shape: [], int64s: [0]))]),
                ExecNode(
                    name: "one", opType: "Constant", inputs: [], outputs: ["o"],
                    attributes: ["value": .tensor(Tensor(shape: [], int64s: [1]))]),
                ExecNode(name: "range", opType: "Range", inputs: ["z", "i", "o"], outputs: ["r"]),
                ExecNode(name: "keep", opType: "Identity", inputs: ["cond"], outputs: ["cond_out"]),
            ],
            inputs: [ValueInfo(name: "i"), ValueInfo(name: "cond")],
            outputs: [ValueInfo(name: "cond_out"), ValueInfo(name: "r")])
        let loop = ExecNode(
            name: "ragged", opType: "Loop", inputs: ["m", ""], outputs: ["scan"], attributes: ["body": .graph(body)])
        let executor = try Executor(graph: OneNode.graph(loop), opset: 13)
        #expect {
            _ = try executor.run(["m": Tensor(shape: [], int64s: [3])])
        } throws: { error in
            "\(error)".hasPrefix("Loop 'ragged': scan output `r` changes from int64 [0] to int64 [1] at iteration 1")
        }
    }
}

/// Oracle cases whose nodes carry subgraphs, read outer values (`scope`) or name their
/// inputs (`input_names`): the extensions op_oracle.py prints for control flow.
struct GraphCase: Sendable, CustomStringConvertible {
    var base: OracleCase
    var inputNames: [String]
    var scope: [String: Tensor]

    var name: String { base.name }
    var description: String { base.name }
}

enum GraphOracle {
    /// Runs op_oracle.py over one case file and decodes the cases.
    static func cases(_ file: String) throws -> [GraphCase] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try OpOracle.python())
        let directory = OpOracle.testsDirectory.appendingPathComponent("oracle")
        process.arguments = [
            directory.appendingPathComponent("op_oracle.py").path, directory.appendingPathComponent(file).path,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: group) { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ExecError("oracle failed: \(String(decoding: errorData, as: UTF8.self))")
        }
        guard let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw ExecError("oracle printed no case list")
        }
        return try list.map(decode)
    }

    static func decode(_ json: [String: Any]) throws -> GraphCase {
        var plain = json
        var attributes: [String: Attribute] = [:]
        for (name, value) in json["attrs"] as? [String: [String: Any]] ?? [:] {
            attributes[name] = try attribute(value)
        }
        plain["attrs"] = [:] as [String: Any]
        var base = try OpOracle.decodeCase(plain)
        base.attributes = attributes
        let names =
            json["input_names"] as? [String]
            ?? base.inputs.enumerated().map { $0.element == nil ? "" : "in\($0.offset)" }
        var scope: [String: Tensor] = [:]
        for (name, value) in json["scope"] as? [String: [String: Any]] ?? [:] {
            scope[name] = try OpOracle.decodeTensor(value).get()
        }
        return GraphCase(base: base, inputNames: names, scope: scope)
    }

    static func attribute(_ json: [String: Any]) throws -> Attribute {
        switch json["type"] as? String {
        case "graph": return .graph(try graph(json["value"] as? [String: Any] ?? [:]))
        case "graphs": return .graphs(try (json["value"] as? [[String: Any]] ?? []).map(graph))
        default: return try OpOracle.decodeAttribute(json)
        }
    }

    static func graph(_ json: [String: Any]) throws -> ExecGraph {
        let nodes = try (json["nodes"] as? [[String: Any]] ?? []).map { node in
            var attributes: [String: Attribute] = [:]
            for (name, value) in node["attrs"] as? [String: [String: Any]] ?? [:] {
                attributes[name] = try attribute(value)
            }
            return ExecNode(
                name: node["name"] as? String ?? "", opType: node["op"] as? String ?? "?",
                domain: node["domain"] as? String ?? "", inputs: node["inputs"] as? [String] ?? [],
                outputs: node["outputs"] as? [String] ?? [], attributes: attributes)
        }
        func info(_ value: [String: Any]) -> ValueInfo {
            ValueInfo(
                name: value["name"] as? String ?? "", elementType: (value["elem_type"] as? Int).map { Int32($0) },
                shape: (value["shape"] as? [Any]).map { dims in dims.map { $0 as? Int } })
        }
        var initializers: [String: Tensor] = [:]
        for (name, value) in json["initializers"] as? [String: [String: Any]] ?? [:] {
            initializers[name] = try OpOracle.decodeTensor(value).get()
        }
        return ExecGraph(
            name: json["name"] as? String ?? "subgraph", nodes: nodes,
            inputs: (json["inputs"] as? [[String: Any]] ?? []).map(info),
            outputs: (json["outputs"] as? [[String: Any]] ?? []).map(info), initializers: initializers)
    }

    /// Runs the case's node in a one-node graph (named inputs and scope values as graph
    /// inputs) and compares every output with onnxruntime's: type, shape, and values within
    /// the case's tolerance relative to the output's largest magnitude.
    static func check(_ oracle: GraphCase) throws {
        let outputNames = oracle.base.outputs.indices.map { "out\($0)" }
        let node = ExecNode(
            name: oracle.name, opType: oracle.base.op, inputs: oracle.inputNames, outputs: outputNames,
            attributes: oracle.base.attributes)
        var feeds = oracle.scope
        for (name, tensor) in zip(oracle.inputNames, oracle.base.inputs) where !name.isEmpty {
            if let tensor { feeds[name] = tensor }
        }
        let graph = ExecGraph(
            nodes: [node], inputs: feeds.keys.sorted().map { ValueInfo(name: $0) },
            outputs: outputNames.map { ValueInfo(name: $0) })
        let results = try Executor(graph: graph, opset: oracle.base.opset).run(feeds)
        for (index, expected) in oracle.base.outputs.enumerated() {
            let actual = try #require(results["out\(index)"])
            #expect(
                actual.dataType == expected.dataType,
                "\(oracle.name) out\(index): type \(actual.dataType) vs \(expected.dataType)")
            #expect(
                actual.shape == expected.shape, "\(oracle.name) out\(index): shape \(actual.shape) vs \(expected.shape)"
            )
            let a = actual.floatValues
            let e = expected.floatValues
            guard a.count == e.count else { continue }
            let scale = max(e.map { $0.isFinite ? abs($0) : 0 }.max() ?? 0, 1e-6)
            var worst: Float = 0
            var at = 0
            for i in 0..<a.count where !(a[i].isNaN && e[i].isNaN) && a[i] != e[i] {
                let difference = abs(a[i] - e[i])
                if !(difference <= worst) {
                    worst = difference.isNaN ? .infinity : difference
                    at = i
                }
            }
            #expect(
                worst <= oracle.base.tolerance * scale + 1e-6,
                "\(oracle.name) out\(index): max difference \(worst) at \(at) (ours \(a[at]), onnxruntime \(e[at]))")
            if ProcessInfo.processInfo.environment["GSCTL_ORACLE_REPORT"] == "1" {
                print("oracle: \(oracle.name) out\(index) \(actual.shape): max |diff| \(worst) (max |ref| \(scale))")
            }
        }
    }
}
