import Foundation
import GSExec
import GSOptimize
import ONNX
import Testing

/// The check every pass test ends with: the transformed model computes what the original
/// does, in onnxruntime and in our executor, and `onnx.checker` accepts it.
enum PassCheck {
    /// Runs `original` and `transformed` in onnxruntime on `feeds` (or the realistic input of
    /// `kind`), and `transformed` in our executor; expects every output within `tolerance`
    /// relative to the original's largest magnitude: max|x - ref| <= tolerance * max|ref| + 1e-6.
    /// Returns onnxruntime's outputs of the original.
    @discardableResult
    static func verify(
        original: ModelProto, transformed: ModelProto, feeds: [String: Tensor]? = nil, kind: String? = nil,
        tolerance: Float = 1e-4, label: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Tensor] {
        try verify(
            original: original, candidates: [(label, transformed, tolerance)], feeds: feeds, kind: kind,
            sourceLocation: sourceLocation)
    }

    /// `verify` for several transformed models at once (one onnxruntime process).
    @discardableResult
    static func verify(
        original: ModelProto, candidates: [(label: String, model: ModelProto, tolerance: Float)],
        feeds: [String: Tensor]? = nil, kind: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Tensor] {
        let result = try PassOracle.run([original] + candidates.map(\.model), feeds: feeds, kind: kind)
        let before = result.verdicts[0]
        #expect(
            before.error == nil, "onnxruntime failed on the original: \(before.error ?? "")",
            sourceLocation: sourceLocation)
        for (index, candidate) in candidates.enumerated() {
            let label = candidate.label
            let after = result.verdicts[index + 1]
            #expect(
                after.checker == nil, "\(label): onnx.checker rejects the result: \(after.checker ?? "")",
                sourceLocation: sourceLocation)
            #expect(
                after.error == nil, "\(label): onnxruntime failed on the result: \(after.error ?? "")",
                sourceLocation: sourceLocation)
            for (name, expected) in before.outputs {
                if let actual = after.outputs[name] {
                    expectClose(
                        actual, expected, tolerance: candidate.tolerance, "\(label) onnxruntime \(name)", sourceLocation
                    )
                } else {
                    Issue.record(
                        "\(label): onnxruntime gave no output \(name) for the result", sourceLocation: sourceLocation)
                }
            }
            let ours = try ONNXImport.executor(for: candidate.model).run(result.inputs)
            for (name, expected) in before.outputs {
                if let actual = ours[name] {
                    expectClose(
                        actual, expected, tolerance: candidate.tolerance, "\(label) executor \(name)", sourceLocation)
                } else {
                    Issue.record("\(label): our executor gave no output \(name)", sourceLocation: sourceLocation)
                }
            }
        }
        return before.outputs
    }

    /// Same element type and shape, values within `tolerance` of the reference's scale.
    static func expectClose(
        _ actual: Tensor, _ expected: Tensor, tolerance: Float, _ label: String, _ sourceLocation: SourceLocation
    ) {
        #expect(
            actual.dataType == expected.dataType, "\(label): type \(actual.dataType) vs \(expected.dataType)",
            sourceLocation: sourceLocation)
        #expect(
            actual.shape == expected.shape, "\(label): shape \(actual.shape) vs \(expected.shape)",
            sourceLocation: sourceLocation)
        let a = actual.floatValues
        let e = expected.floatValues
        guard a.count == e.count else { return }
        let scale = e.map { $0.isFinite ? abs($0) : 0 }.max() ?? 0
        var worst: Float = 0
        for i in a.indices where !(a[i].isNaN && e[i].isNaN) && a[i] != e[i] {
            let difference = abs(a[i] - e[i])
            worst = max(worst, difference.isNaN ? .infinity : difference)
        }
        #expect(
            worst <= tolerance * scale + 1e-6, "\(label): max difference \(worst), max |ref| \(scale)",
            sourceLocation: sourceLocation)
    }
}
