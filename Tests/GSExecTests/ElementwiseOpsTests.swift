import GSExec
import Testing

@Suite struct ElementwiseOpsTests {
    @Test func everyCaseMatchesOnnxRuntime() throws {
        let cases = try OpOracle.cases(["elementwise_cases.py"])
        #expect(cases.count > 60)
        for oracle in cases {
            do {
                try OpOracle.check(oracle)
            } catch {
                Issue.record("\(oracle.name): \(error)")
            }
        }
    }

    @Test func unknownOpIsAnErrorNamingOpAndNode() {
        let node = ExecNode(name: "mystery_1", opType: "Frobnicate", inputs: ["x"], outputs: ["y"])
        let graph = ExecGraph(nodes: [node], inputs: [ValueInfo(name: "x")], outputs: [ValueInfo(name: "y")])
        #expect {
            _ = try Executor(graph: graph, opset: 17)
        } throws: { error in
            "\(error)" == "Frobnicate 'mystery_1': the executor has no kernel for `Frobnicate`"
        }
    }
}
