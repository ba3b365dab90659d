import GSCore
import ONNX

/// Dynamic and weight-only INT8 in the compiler: every MatMul and Gemm with constant weights
/// quantized, then, for `int8-mixed` while the metric misses the tolerance, the 1, 2, 4, ...
/// nodes whose weights int8 moves most kept in float (at most log2(n) + 2 evaluations). For
/// plain `int8` the one evaluation decides, and a miss names the most damaged nodes.
struct DynamicFallback {
    let request: CompileRequest

    struct Outcome {
        var model: ModelProto
        var score: Double?
        var keptInFloat: [String]
        var damaged: [String]
        var notes: [String]
        var report: PassReport
    }

    func run(_ model: ModelProto, score: (ModelProto) throws -> Double?) throws -> Outcome {
        let mode = request.quantization
        if case .tensorRT = request.format, mode == .dynamic {
            throw CompileError(
                message:
                    "dynamic quantization writes DynamicQuantizeLinear and MatMulInteger, which TensorRT does not run; use quantization: static (or weight-only) for this device"
            )
        }
        let reduceRange: Bool
        if case .cpu(let reduce) = request.format { reduceRange = reduce } else { reduceRange = false }
        let quantizer = DynamicQuantizer(mode: mode, reduceRange: reduceRange)
        let ranking = quantizer.candidates(model).sorted { $0.weightError > $1.weightError }
        guard !ranking.isEmpty else {
            throw CompileError(
                message:
                    "\(mode.rawValue) quantization found no MatMul or Gemm with constant 2-D weights to quantize",
                report: nil)
        }
        let damaged = ranking.prefix(5).map { "\($0.output) (\(DecimalText.fixed($0.weightError, digits: 4)))" }
        var excluded = 0
        var evaluations = 0
        while true {
            let kept = Set(ranking.prefix(excluded).map(\.output))
            let (candidate, rewritten) = quantizer.apply(model, excluding: kept)
            let achieved = try score(candidate)
            evaluations += 1
            let met = achieved.map { $0 >= 1 - request.tolerance } ?? true
            let last = excluded >= ranking.count
            if met || request.precision != .int8Mixed || last {
                var notes = [
                    "\(mode.rawValue) int8: \(rewritten) of \(ranking.count) MatMul/Gemm node(s) quantized (activations \(mode == .dynamic ? "quantized at run time" : "kept float")), no calibration"
                ]
                if request.precision == .int8Mixed {
                    notes.append(
                        "int8-mixed: \(kept.count) node(s) kept in float after \(evaluations) evaluation(s); \(met ? "met" : "missed with every node in float")"
                    )
                }
                return Outcome(
                    model: candidate, score: achieved, keptInFloat: ranking.prefix(excluded).map(\.output),
                    damaged: met ? [] : damaged, notes: notes,
                    report: PassReport(
                        pass: "quantize-\(mode.rawValue)",
                        counts: ["weights": rewritten, "keptInFloat": kept.count]))
            }
            excluded = excluded == 0 ? 1 : min(ranking.count, excluded * 2)
        }
    }
}
