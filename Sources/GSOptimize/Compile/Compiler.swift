import GSCore
import GSExec
import ONNX

/// `compile(model, precision) -> variant`: the one path `gsctl build` and `gsctl model
/// optimize` share. FP32 passes first (static shapes, folding, fusions), then the
/// precision's conversion, then an accuracy check against the original model on held-out
/// samples; a quantized variant that misses the tolerance fails the build or, where the
/// Model allows it, ships the float variant and says why.
public enum Compiler {
    /// Bumped whenever compiled output changes for the same inputs (a pass or the quantizer
    /// changed, or what its report records: 12 added the search trials and confidence, 13
    /// int8-mixed's give-back);
    /// part of every build cache key, with gsctl's version.
    public static let revision = 13

    public static func compile(_ model: ModelProto, _ request: CompileRequest) throws -> CompiledVariant {
        let started = ChildProcess.now()
        _ = try SupportedOpsets.check(model)
        var notes: [String] = []
        if request.syntheticEvaluation {
            notes.append(
                "accuracy measured on \(request.evaluation.count) generated inputs: the Model has no evaluation data")
        }
        let context = PassContext(inputShapes: request.inputShapes)
        let optimized = try PassPipeline(request.passes).run(model, context)
        var passes = optimized.reports
        let original = try ONNXImport.executor(for: model)
        let reference = try Self.runAll(original, request.evaluation)
        // With labels, a score is 1 + (the candidate's accuracy - the original's): 1 - the
        // drop the tolerance bounds, above 1 when the candidate reads better.
        let characters = EvaluationLabels.characters(of: model) ?? []
        if request.labels?.kind == .text, characters.isEmpty {
            notes.append(
                "labelled text accuracy needs the model's `character` metadata (PP-OCR's dictionary); scored by \(request.metric.rawValue) instead"
            )
        }
        let usable = request.labels?.kind == .text && characters.isEmpty ? nil : request.labels
        let labels = usable.flatMap { labels in
            labels.accuracy(reference, characters: characters).map { (labels, $0) }
        }
        // The last two candidates scored and their outputs: one is usually the variant that
        // ships (the bias-correction choice scores two), whose score interval then needs no
        // second run.
        var lastScored: [(model: ModelProto, outputs: [[String: Tensor]])] = []
        func score(_ candidate: ModelProto) throws -> Double? {
            guard !request.evaluation.isEmpty else { return nil }
            let executor = try ONNXImport.executor(for: candidate)
            let outputs = try Self.runAll(executor, request.evaluation.map { Self.fitted($0, to: candidate) })
            lastScored = Array((lastScored + [(candidate, outputs)]).suffix(2))
            if let (labels, base) = labels, let accuracy = labels.accuracy(outputs, characters: characters) {
                return 1 + accuracy - base
            }
            return request.metric.score(
                reference: reference, candidate: outputs, scoreThreshold: request.scoreThreshold,
                scoreMargin: request.scoreMargin)
        }
        /// Whether a score has an interval over the evaluation samples: not for accuracy on
        /// labels, generated inputs or a single sample.
        let scoresHaveIntervals = labels == nil && !request.syntheticEvaluation && request.evaluation.count >= 2
        /// The score's interval over the evaluation samples for outputs just computed, at
        /// `level`; nil where there is none.
        func interval(of outputs: [[String: Tensor]], level: Double) -> ScoreInterval? {
            guard scoresHaveIntervals else { return nil }
            return ScoreInterval.of(
                request.metric, reference: reference, candidate: outputs, scoreThreshold: request.scoreThreshold,
                scoreMargin: request.scoreMargin, level: level)
        }
        /// A candidate's score and what its tolerance is checked against: with
        /// `evaluation.confidence`, the low end of the score's interval at that level.
        func measure(_ point: Double, outputs: [[String: Tensor]]?) -> AccuracyFallback.Measure {
            guard let level = request.confidence, let outputs, let low = interval(of: outputs, level: level)?.low
            else { return AccuracyFallback.Measure(score: point) }
            return AccuracyFallback.Measure(score: point, checked: min(point, low))
        }
        var variant = optimized.model
        var shipped = request.precision
        var keptInFloat: [String] = []
        var search: [AccuracyFallback.Step] = []
        var damaged: [String] = []
        // The variant's score where its branch measured it already (an evaluation of a
        // quantized model is most of a compile's time: it runs once).
        var measured: Double?? = nil
        switch request.precision {
        case .fp32:
            break
        case .fp16:
            let options = FP16Options(keepIOTypes: !request.fp16Interface)
            let (converted, report) = try FP16Pass(options: options).apply(optimized.model, context)
            variant = converted
            passes.append(report)
        case .int8, .int8Mixed:
            if let existing = ExistingQDQ.find(optimized.model) {
                try existing.verify(optimized.model, format: request.format)
                notes.append(
                    "already quantized (\(existing.summary)): its Q/DQ parameters verified and kept, not quantized again"
                )
                passes.append(
                    PassReport(
                        pass: "verify-qdq",
                        counts: ["quantize": existing.quantizeNodes, "dequantize": existing.dequantizeNodes]))
                break
            }
            if request.quantization != .static {
                let prepared = try PassPipeline(PassPipeline.quantizationPreparation).run(optimized.model, context)
                passes += prepared.reports
                let outcome = try DynamicFallback(request: request).run(prepared.model) { candidate in
                    try score(candidate)
                }
                variant = outcome.model
                measured = .some(outcome.score)
                keptInFloat = outcome.keptInFloat
                damaged = outcome.damaged
                notes += outcome.notes
                passes.append(outcome.report)
                break
            }
            guard !request.calibration.isEmpty else {
                throw CompileError(message: "\(request.precision.rawValue) needs calibration samples; none were given")
            }
            let prepared = try PassPipeline(PassPipeline.quantizationPreparation).run(optimized.model, context)
            passes += prepared.reports
            let config = QuantizationConfig(format: request.format, method: request.method)
            let executor = try ONNXImport.executor(for: prepared.model)
            let statistics = try Calibrator(
                executor: executor, tensors: QDQQuantizer.tensorsToCalibrate(prepared.model, config: config),
                method: request.method
            ).run(request.calibration)
            let choice = try BiasCorrectionChoice.choose(
                model: prepared.model, statistics: statistics, config: config, evaluate: score)
            if let note = choice.note { notes.append(note) }
            if request.precision == .int8Mixed, let fullScore = choice.score {
                // The choice's outputs are among the last scored; looked up only when needed.
                let full =
                    request.confidence == nil
                    ? AccuracyFallback.Measure(score: fullScore)
                    : measure(fullScore, outputs: lastScored.last(where: { $0.model == choice.result.model })?.outputs)
                // What each node costs in float, so the search can give the expensive ones
                // back to int8; a model the count cannot run is searched without. Only with a
                // confidence: every accepted give-back moves the score toward the limit, so
                // on the score alone it would fit the evaluation samples' noise (on the person
                // detector's 35 held-out frames, 57% of the multiply-adds went back to int8
                // at 100% count agreement; plain int8 agrees on 86% of vtest.avi's frames).
                let flops =
                    request.confidence == nil
                    ? nil : try? FLOPCount.measure(prepared.model, shapes: request.inputShapes)
                let costs = flops?.byNode ?? [:]
                let outcome = try AccuracyFallback(
                    tolerance: request.tolerance, timeBudget: request.fallbackSeconds, costs: costs
                )
                .run(
                    model: prepared.model, statistics: statistics, config: choice.config,
                    samples: request.calibration, quantized: (choice.result, full)
                ) { candidate in
                    // `score` keeps the outputs it just computed last in `lastScored`.
                    measure(try score(candidate) ?? 1, outputs: lastScored.last?.outputs)
                }
                variant = outcome.result.model
                measured = .some(outcome.score)
                keptInFloat = outcome.keptTensors.map(\.tensor)
                search = outcome.steps
                damaged = outcome.ranking.prefix(5).map { "\($0.tensor) (\(DecimalText.fixed($0.error, digits: 3)))" }
                notes.append(
                    "int8-mixed: \(outcome.excluded.count) node(s) kept in float after \(outcome.steps.count) evaluation(s); \(outcome.stopped)"
                )
                if request.confidence == nil, outcome.met, !outcome.excluded.isEmpty {
                    notes.append(
                        "int8-mixed: the search's batch is shipped as found; with evaluation.confidence (--confidence) it also gives the Convs and MatMuls the tolerance does not need back to int8, most multiply-adds first"
                    )
                }
                let requantized = outcome.requantized
                if !requantized.isEmpty {
                    notes.append(
                        "int8-mixed: gave \(requantized.count) node(s) of the passing batch back to int8, most multiply-adds first: \(requantized.prefix(5).joined(separator: ", "))\(requantized.count > 5 ? ", ..." : "")"
                    )
                }
                passes.append(
                    PassReport(
                        pass: "quantize-qdq",
                        counts: [
                            "activations": outcome.result.quantizedTensors.count,
                            "weights": outcome.result.quantizedWeights.count,
                            "keptInFloat": outcome.excluded.count,
                        ]))
            } else {
                let result = choice.result
                variant = result.model
                passes.append(
                    PassReport(
                        pass: "quantize-qdq",
                        counts: [
                            "activations": result.quantizedTensors.count, "weights": result.quantizedWeights.count,
                        ]))
                let int8Score = choice.score
                measured = .some(int8Score)
                if let achieved = int8Score, achieved < 1 - request.tolerance {
                    let ranking = try SensitivityRanking.rank(
                        float: prepared.model, quantized: result, config: choice.config, samples: request.calibration)
                    damaged = ranking.prefix(5).map { "\($0.tensor) (\(DecimalText.fixed($0.error, digits: 3)))" }
                }
            }
        }
        var achieved = try measured ?? score(variant)
        var report = VariantReport(
            requested: request.precision, shipped: shipped, nodesBefore: model.graph.nodeCountIncludingSubgraphs,
            nodesAfter: variant.graph.nodeCountIncludingSubgraphs, bytesBefore: model.serialized().count,
            bytesAfter: variant.serialized().count, metric: request.metric, score: achieved,
            tolerance: request.tolerance,
            calibrationSamples: request.calibration.count, evaluationSamples: request.evaluation.count,
            keptInFloat: keptInFloat, damaged: damaged, passes: passes, seconds: 0, notes: notes)
        report.search = search
        // Recorded only where it applies: accuracy on labels has no interval to check.
        report.confidence = labels == nil ? request.confidence : nil
        if let (labels, base) = labels {
            report.labelled = VariantReport.Labelled(
                metric: labels.metric, referenceAccuracy: base, samples: labels.labelled)
        }
        /// The interval of the variant that ships, from the outputs its scoring computed.
        func recordInterval() throws {
            guard report.score != nil, scoresHaveIntervals else { return }
            let outputs: [[String: Tensor]]
            if let scored = lastScored.last(where: { $0.model == variant }) {
                outputs = scored.outputs
            } else {
                outputs = try Self.runAll(
                    try ONNXImport.executor(for: variant), request.evaluation.map { Self.fitted($0, to: variant) })
            }
            report.recordScoreInterval(reference: reference, candidate: outputs, request: request)
        }
        try recordInterval()
        if request.confidence != nil, labels != nil {
            report.notes.append(
                "evaluation.confidence is not applied to accuracy on labels (no interval there): the tolerance is checked on the score"
            )
            notes = report.notes
        }
        if !report.met {
            let drop = DecimalText.fixed((1 - (achieved ?? 0)) * 100, digits: 2)
            let metricName = report.metricName
            let limit = DecimalText.fixed(request.tolerance * 100, digits: 2)
            var miss = "loses \(drop) points of \(metricName) (tolerance \(limit))"
            if let level = request.confidence, let low = report.scoreInterval?.low,
                (achieved ?? 0) >= 1 - request.tolerance
            {
                miss =
                    "loses \(drop) points of \(metricName) on \(request.evaluation.count) samples, but at confidence \(DecimalText.fixed(level, digits: 2)) up to \(DecimalText.fixed((1 - low) * 100, digits: 2)) (tolerance \(limit))"
            }
            switch request.onMiss {
            case .fail:
                report.seconds = (ChildProcess.now() - started)
                throw CompileError(
                    message:
                        "\(request.precision.rawValue) \(miss); most damaged: \(damaged.joined(separator: ", "))",
                    report: report)
            case .shipFloat:
                notes.append("\(request.precision.rawValue) \(miss): shipping the fp32 variant")
                variant = optimized.model
                shipped = .fp32
                achieved = try score(variant)
                report.shipped = shipped
                report.score = achieved
                report.nodesAfter = variant.graph.nodeCountIncludingSubgraphs
                report.bytesAfter = variant.serialized().count
                report.notes = notes
                report.scoreInterval = nil
                try recordInterval()
            }
        }
        // Golden input: the first evaluation sample (else calibration); outputs from the
        // shipped variant as the executor computes them.
        let golden = Self.fitted(request.evaluation.first ?? request.calibration.first ?? [:], to: variant)
        let outputs = golden.isEmpty ? [:] : try ONNXImport.executor(for: variant).run(golden)
        report.inputs = Self.inputShapes(variant)
        if report.shipped == .int8 || report.shipped == .int8Mixed {
            report.recordIntegerShare(of: variant, shapes: request.inputShapes)
        }
        report.seconds = (ChildProcess.now() - started)
        return CompiledVariant(model: variant, report: report, goldenInput: golden, goldenOutputs: outputs)
    }

    /// `sample` with each float32 tensor that `model` declares as a float16 input narrowed to
    /// float16 (an fp16 variant with a float16 interface): what its callers will feed it.
    static func fitted(_ sample: [String: Tensor], to model: ModelProto) -> [String: Tensor] {
        var fitted = sample
        for input in model.graph.input where input.tensorType?.elementType == .float16 {
            guard let tensor = sample[input.name], case .float(let values) = tensor.storage else { continue }
            fitted[input.name] = Tensor(shape: tensor.shape, storage: .float16(values.map { Float16($0) }))
        }
        return fitted
    }

    /// The graph inputs (initializers apart) and their shapes, as the report records them.
    static func inputShapes(_ model: ModelProto) -> [String: String] {
        Dictionary(
            ModelSummary(model).inputs.map { ($0.name, ModelSummary.shapeText($0.shape) ?? "(rank unknown)") },
            uniquingKeysWith: { first, _ in first })
    }

    /// Runs every sample, two at a time: the executor's kernels split only large
    /// convolutions and products over the cores, so between those (small layers, the
    /// detector's post-processing) one sample leaves a core idle.
    static func runAll(_ executor: Executor, _ samples: [[String: Tensor]]) throws -> [[String: Tensor]] {
        let lanes = min(Calibrator.lanes, samples.count)
        let results = parallelMap(lanes) { lane in
            Result { () throws -> [(Int, [String: Tensor])] in
                try stride(from: lane, to: samples.count, by: lanes).map { ($0, try executor.run(samples[$0])) }
            }
        }
        var outputs = [[String: Tensor]](repeating: [:], count: samples.count)
        for result in results {
            for (index, output) in try result.get() { outputs[index] = output }
        }
        return outputs
    }
}
