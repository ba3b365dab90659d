import GSExec
import Testing

/// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear against onnxruntime
/// (oracle/quantize_cases.py), exactly: every case has tolerance 0.
@Suite struct QuantizeOpsTests {
    @Test func everyCaseMatchesOnnxRuntimeExactly() throws {
        let cases = try OpOracle.cases(["quantize_cases.py"])
        #expect(cases.count > 25)
        for oracle in cases {
            do {
                try OpOracle.check(oracle)
            } catch {
                Issue.record("\(oracle.name): \(error)")
            }
        }
        OracleReport.printWorst(cases)
    }

    @Test func blockedQuantizationIsRefusedNamingTheNode() {
        let node = ExecNode(
            name: "q_blocked", opType: "QuantizeLinear", inputs: ["x", "s"], outputs: ["y"],
            attributes: ["block_size": .int(32)])
        #expect {
            _ = try Executor(graph: OneNode.graph(node), opset: 21)
        } throws: { error in
            "\(error)" == "QuantizeLinear 'q_blocked': blocked quantization (block_size 32) is not supported"
        }
    }

    @Test func mismatchedPerAxisScaleNamesTheNode() throws {
        let node = ExecNode(name: "dq", opType: "DequantizeLinear", inputs: ["x", "s"], outputs: ["y"])
        let executor = try Executor(graph: OneNode.graph(node), opset: 13)
        #expect {
            _ = try executor.run([
                "x": Tensor(shape: [2, 3], storage: .uint8([1, 2, 3, 4, 5, 6])),
                "s": Tensor(shape: [2], floats: [0.1, 0.2]),
            ])
        } throws: { error in
            "\(error)" == "DequantizeLinear 'dq': scale has 2 values but axis 1 of [2, 3] has 3"
        }
    }

    @Test func quantizeThenDequantizeRoundTrips() throws {
        let nodes = [
            ExecNode(name: "q", opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q"]),
            ExecNode(name: "dq", opType: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["y"]),
        ]
        let graph = ExecGraph(
            nodes: nodes, inputs: [ValueInfo(name: "x")], outputs: [ValueInfo(name: "y")],
            initializers: ["s": Tensor(shape: [], floats: [0.5]), "z": Tensor(shape: [], storage: .int8([0]))])
        let y = try #require(
            try Executor(graph: graph, opset: 13).run(["x": Tensor(shape: [5], floats: [-1, -0.25, 0.25, 0.75, 100])])[
                "y"])
        // -0.5 and 0.5 round to even (0); 1.5 rounds to 2; 200 saturates at 127.
        #expect(y.floatValues == [-1, 0, 0, 1, 63.5])
    }
}
