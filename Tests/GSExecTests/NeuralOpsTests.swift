import GSExec
import Testing

@Suite struct NeuralOpsTests {
    @Test func everyCaseMatchesOnnxRuntime() throws {
        let cases = try OpOracle.cases(["neural_cases.py"])
        #expect(cases.count >= 39)
        for oracle in cases {
            do {
                try OpOracle.check(oracle)
            } catch {
                Issue.record("\(oracle.name): \(error)")
            }
        }
    }

    @Test func convWithMismatchedChannelsNamesTheNode() {
        let node = ExecNode(name: "stem", opType: "Conv", inputs: ["x", "w"], outputs: ["y"])
        let graph = ExecGraph(
            nodes: [node], inputs: [ValueInfo(name: "x"), ValueInfo(name: "w")], outputs: [ValueInfo(name: "y")])
        #expect {
            _ = try Executor(graph: graph, opset: 13).run([
                "x": Tensor(shape: [1, 3, 4, 4], floats: [Float](repeating: 1, count: 48)),
                "w": Tensor(shape: [2, 2, 3, 3], floats: [Float](repeating: 1, count: 36)),
            ])
        } throws: { error in
            "\(error)".hasPrefix("Conv 'stem': weight [2, 2, 3, 3] does not match 3 input channels")
        }
    }
}
