import GSExec
import GSOptimize
import ONNX
import Testing

/// The pipeline: names resolve through the registry, passes run in order, the repeatable
/// ones run again until nothing changes, and the summary counts nodes.
@Suite struct PassPipelineTests {
    @Test func everyStandardPassIsRegisteredAndNamesAreUnique() throws {
        let names = PassRegistry.all.map(\.name)
        #expect(Set(names).count == names.count)
        for name in PassPipeline.standard + PassPipeline.quantizationPreparation {
            #expect(PassRegistry.pass(named: name) != nil, "\(name) is not registered")
        }
        #expect(PassPipeline.repeatable.isSubset(of: Set(names)))
    }

    @Test func unknownPassNamesAreErrors() throws {
        let error = #expect(throws: PassError.self) { _ = try PassPipeline(["fold-constants", "fold-everything"]) }
        #expect(error?.description.contains("no pass is called 'fold-everything'") == true)
    }

    @Test func repeatablePassesRunToAFixedPoint() throws {
        // Conv -> Add(bias) -> BatchNormalization: fold-batchnorm finds nothing until
        // fold-conv-affine has merged the Add, so only the repetition folds the BN.
        let (norm, statistics) = FoldingPassTests.batchNorm("a", "y", channels: 2, prefix: "bn")
        let model = Build.model(
            [
                NodeProto("Conv", inputs: ["x", "w"], outputs: ["c"]),
                NodeProto("Add", inputs: ["c", "bias"], outputs: ["a"]), norm,
            ],
            inputs: [Build.value("x", [1, 2, 4, 4])], outputs: [Build.value("y", [1, 2, 4, 4])],
            initializers: [Build.weight("w", [2, 2, 1, 1]), Build.weight("bias", [1, 2, 1, 1])] + statistics)
        let result = try PassPipeline(["fold-batchnorm", "fold-conv-affine", "eliminate-dead"]).run(model)
        #expect(Build.ops(result.model) == ["Conv"])
        #expect(result.nodesBefore == 3)
        #expect(result.nodesAfter == 1)
        #expect(result.steps.count > 3)
        #expect(result.summary.hasSuffix("nodes: 3 -> 1"))
        #expect(Set(result.model.graph.initializer.map(\.name)).count == 2, "old weights and statistics are gone")
        try PassCheck.verify(
            original: model, transformed: result.model, feeds: ["x": Build.feed([1, 2, 4, 4])], tolerance: 1e-3)
    }
}
