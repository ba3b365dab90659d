import Foundation
import GSExec
import Testing

/// The tensor family (shape, layout, indexing, selection, reductions, Softmax, Resize)
/// replayed against onnxruntime, and the errors malformed nodes must give.
@Suite struct TensorOpsTests {
    @Test func everyCaseMatchesOnnxRuntime() throws {
        let cases = try OpOracle.cases(["tensor_cases.py"])
        #expect(cases.count > 250)
        for oracle in cases {
            do {
                try OpOracle.check(oracle)
            } catch {
                Issue.record("\(oracle.name): \(error)")
            }
        }
        OracleReport.printWorst(cases)
    }

    @Test func malformedAttributeIsAnErrorNamingTheNode() {
        let node = ExecNode(
            name: "transpose_7", opType: "Transpose", inputs: ["x"], outputs: ["y"],
            attributes: ["perm": .string("0,2,1")])
        #expect {
            _ = try Executor(graph: OneNode.graph(node), opset: 17)
        } throws: { error in
            "\(error)" == "Transpose 'transpose_7': attribute `perm` must be a list of integers"
        }
    }

    @Test func missingRequiredAttributeNamesTheNode() {
        let node = ExecNode(name: "cat", opType: "Concat", inputs: ["x"], outputs: ["y"])
        #expect {
            _ = try Executor(graph: OneNode.graph(node), opset: 17)
        } throws: { error in
            "\(error)" == "Concat 'cat': Concat needs the `axis` attribute"
        }
    }

    @Test func unsupportedResizeModeNamesTheNode() {
        let node = ExecNode(
            name: "up", opType: "Resize", inputs: ["x", "", "s"], outputs: ["y"], attributes: ["mode": .string("cubic")]
        )
        #expect {
            _ = try Executor(graph: OneNode.graph(node), opset: 13)
        } throws: { error in
            "\(error)".hasPrefix("Resize 'up': Resize mode `cubic` is not supported")
        }
    }

    @Test(
        arguments: [
            (
                "Slice",
                [
                    Tensor(shape: [3], floats: [1, 2, 3]), .init(shape: [1], int64s: [0]),
                    .init(shape: [1], int64s: [2]), .init(shape: [1], int64s: [0]), .init(shape: [1], int64s: [0]),
                ],
                "Slice step cannot be 0"
            ),
            ("Gather", [Tensor(shape: [3], floats: [1, 2, 3]), .init(shape: [1], int64s: [3])], "out of range"),
            ("Reshape", [Tensor(shape: [3], floats: [1, 2, 3]), .init(shape: [1], int64s: [2])], "cannot reshape"),
            ("Squeeze", [Tensor(shape: [3], floats: [1, 2, 3]), .init(shape: [1], int64s: [0])], "not 1"),
            (
                "Range",
                [Tensor(shape: [], floats: [0]), .init(shape: [], floats: [3]), .init(shape: [], floats: [0])],
                "delta cannot be zero"
            ),
            ("TopK", [Tensor(shape: [3], floats: [1, 2, 3]), .init(shape: [1], int64s: [4])], "outside 0...3"),
            ("Squeeze", [Tensor(shape: [], floats: [1]), .init(shape: [1], int64s: [0])], "out of range for rank 0"),
            ("Split", [Tensor(shape: [], floats: [1])], "cannot split a scalar"),
        ] as [(String, [Tensor], String)])
    func badInputsAreErrorsNamingTheNode(op: String, inputs: [Tensor], message: String) throws {
        let names = inputs.indices.map { "in\($0)" }
        let node = ExecNode(name: "bad_\(op)", opType: op, inputs: names, outputs: ["y", "z"])
        let graph = ExecGraph(
            nodes: [node], inputs: names.map { ValueInfo(name: $0) }, outputs: [ValueInfo(name: "y")])
        let executor = try Executor(graph: graph, opset: 17)
        var feeds: [String: Tensor] = [:]
        for (name, tensor) in zip(names, inputs) { feeds[name] = tensor }
        #expect {
            _ = try executor.run(feeds)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("\(op) 'bad_\(op)': ") && text.contains(message)
        }
    }

    @Test func layoutOpsKeepEveryElementType() throws {
        // Transpose, Slice and Concat move bytes; check each storage width round-trips.
        let tensors: [Tensor] = [
            Tensor(shape: [2, 3], storage: .float16([1, 2, 3, 4, 5, 6])),
            Tensor(shape: [2, 3], storage: .double([1, 2, 3, 4, 5, 6])),
            Tensor(shape: [2, 3], storage: .int32([1, 2, 3, 4, 5, 6])),
            Tensor(shape: [2, 3], storage: .int8([1, 2, 3, 4, 5, 6])),
            Tensor(shape: [2, 3], storage: .bool([true, false, true, false, false, true])),
        ]
        for tensor in tensors {
            let node = ExecNode(name: "t", opType: "Transpose", inputs: ["x"], outputs: ["y"])
            let result = try #require(try Executor(graph: OneNode.graph(node), opset: 17).run(["x": tensor])["y"])
            #expect(result.shape == [3, 2])
            #expect(result.dataType == tensor.dataType)
            let v = tensor.floatValues
            #expect(result.floatValues == [v[0], v[3], v[1], v[4], v[2], v[5]])
        }
    }
}

/// A graph holding one node whose inputs are all graph inputs.
enum OneNode {
    static func graph(_ node: ExecNode) -> ExecGraph {
        ExecGraph(
            nodes: [node], inputs: node.inputs.filter { !$0.isEmpty }.map { ValueInfo(name: $0) },
            outputs: node.outputs.map { ValueInfo(name: $0) })
    }
}

/// Largest differences between the executor and onnxruntime, printed when
/// `GSCTL_ORACLE_REPORT=1` (how the figures in reports are measured).
enum OracleReport {
    static func printWorst(_ cases: [OracleCase]) {
        guard ProcessInfo.processInfo.environment["GSCTL_ORACLE_REPORT"] == "1" else { return }
        var worst: [(name: String, absolute: Float, relative: Float)] = []
        for oracle in cases {
            guard let (absolute, relative) = try? difference(oracle) else { continue }
            worst.append((oracle.name, absolute, relative))
        }
        let exact = worst.filter { $0.absolute == 0 }.count
        print("oracle: \(exact) of \(worst.count) cases bit-exact")
        for entry in worst.sorted(by: { $0.relative > $1.relative }).prefix(12) where entry.absolute > 0 {
            print("oracle: \(entry.name): max |diff| \(entry.absolute), relative to max |ref| \(entry.relative)")
        }
    }

    /// Max absolute difference over all outputs, and that relative to the output's largest value.
    static func difference(_ oracle: OracleCase) throws -> (Float, Float) {
        let inputNames = oracle.inputs.enumerated().map { $0.element == nil ? "" : "in\($0.offset)" }
        let outputNames = oracle.outputs.indices.map { "out\($0)" }
        let node = ExecNode(
            name: oracle.name, opType: oracle.op, inputs: inputNames, outputs: outputNames,
            attributes: oracle.attributes)
        var feeds: [String: Tensor] = [:]
        for (index, tensor) in oracle.inputs.enumerated() { if let tensor { feeds["in\(index)"] = tensor } }
        let results = try Executor(graph: OneNode.graph(node), opset: oracle.opset).run(feeds)
        var absolute: Float = 0
        var relative: Float = 0
        for (index, expected) in oracle.outputs.enumerated() {
            guard let actual = results["out\(index)"], actual.count == expected.count else { continue }
            let e = expected.floatValues
            let scale = max(e.map { $0.isFinite ? abs($0) : 0 }.max() ?? 0, 1e-6)
            for (a, b) in zip(actual.floatValues, e) where !(a.isNaN && b.isNaN) && a != b {
                absolute = max(absolute, abs(a - b))
                relative = max(relative, abs(a - b) / scale)
            }
        }
        return (absolute, relative)
    }
}
