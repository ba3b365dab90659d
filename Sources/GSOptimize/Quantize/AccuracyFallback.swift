import GSCore
import GSExec
import ONNX

/// `int8-mixed`: quantize everything, then keep the tensors INT8 hurts most in float until
/// the accuracy metric is within the Model's tolerance.
///
/// Groups (from `SensitivityRanking`) are excluded in growing batches (1, 2, 4, ...) with
/// re-quantization and evaluation each time; once a batch meets the tolerance, a bisection
/// looks for a smaller one. Bounded by `maxSteps` and `timeBudget`. A batch meets the
/// tolerance by its `Measure.checked`: the score itself, or where the Model asks for
/// confidence, the low end of the score's interval over the evaluation samples.
public struct AccuracyFallback {
    public var tolerance: Double
    public var maxSteps: Int
    public var timeBudget: Double

    public init(tolerance: Double, maxSteps: Int = 12, timeBudget: Double = 600) {
        self.tolerance = tolerance
        self.maxSteps = maxSteps
        self.timeBudget = timeBudget
    }

    /// What evaluating one candidate found.
    public struct Measure: Sendable, Hashable {
        /// The metric on the evaluation samples (1 = the float model's behaviour).
        public var score: Double
        /// What the tolerance is checked against: `score`, or the low end of its interval.
        public var checked: Double

        public init(score: Double, checked: Double? = nil) {
            self.score = score
            self.checked = checked ?? score
        }
    }

    public struct Step: Sendable, Hashable {
        public var excludedNodes: Int
        public var score: Double
        /// The value checked against the tolerance (below `score` with confidence asked).
        public var checked: Double
        public var seconds: Double
    }

    public struct Outcome: Sendable {
        public var result: QDQQuantizer.Result
        public var score: Double
        /// What the tolerance was checked against for the result.
        public var checked: Double
        public var met: Bool
        public var excluded: [String]
        /// The tensors kept in float, most damaged first.
        public var keptTensors: [Sensitivity]
        public var steps: [Step]
        public var ranking: [Sensitivity]
        /// Why the search stopped (met, steps, time, exhausted).
        public var stopped: String
    }

    /// `evaluate` scores a candidate model (1 = the float model's behaviour).
    public func run(
        model: ModelProto, statistics: [String: TensorStatistics], config: QuantizationConfig,
        samples: [[String: Tensor]], evaluate: (ModelProto) throws -> Double
    ) throws -> Outcome {
        try run(model: model, statistics: statistics, config: config, samples: samples) { candidate in
            Measure(score: try evaluate(candidate))
        }
    }

    /// `evaluate` measures a candidate model. `quantized` is the fully quantized model with
    /// its measure when the caller has them already (the bias-correction choice made and
    /// scored it), so the search does not redo them.
    public func run(
        model: ModelProto, statistics: [String: TensorStatistics], config: QuantizationConfig,
        samples: [[String: Tensor]], quantized: (result: QDQQuantizer.Result, measure: Measure)? = nil,
        evaluate: (ModelProto) throws -> Measure
    ) throws -> Outcome {
        let started = ChildProcess.now()
        var steps: [Step] = []
        func record(_ excluded: Int, _ measure: Measure, seconds: Double) {
            steps.append(
                Step(excludedNodes: excluded, score: measure.score, checked: measure.checked, seconds: seconds))
        }
        func attempt(_ excluded: [String]) throws -> (QDQQuantizer.Result, Measure) {
            var trial = config
            trial.excludedNodes = config.excludedNodes.union(excluded)
            let result = try QDQQuantizer(config: trial, statistics: statistics).quantize(model)
            let measure = try evaluate(result.model)
            record(excluded.count, measure, seconds: ChildProcess.now() - started)
            return (result, measure)
        }
        let target = 1 - tolerance
        let (full, fullMeasure): (QDQQuantizer.Result, Measure)
        if let quantized {
            (full, fullMeasure) = quantized
            record(0, fullMeasure, seconds: 0)
        } else {
            (full, fullMeasure) = try attempt([])
        }
        let ranking = try SensitivityRanking.rank(float: model, quantized: full, config: config, samples: samples)
        if fullMeasure.checked >= target {
            return Outcome(
                result: full, score: fullMeasure.score, checked: fullMeasure.checked, met: true, excluded: [],
                keptTensors: [], steps: steps, ranking: ranking, stopped: "met with everything quantized")
        }
        // Cumulative exclusion sets after taking the top 1, 2, ... groups.
        var sets: [[String]] = []
        var current: [String] = []
        var seen: Set<String> = []
        for item in ranking {
            let new = item.nodes.filter { !seen.contains($0) }
            guard !new.isEmpty else { continue }
            for node in new { seen.insert(node) }
            current += new
            sets.append(current)
        }
        var best: (QDQQuantizer.Result, Measure, Int)?
        var lastFailing = 0
        var take = 1
        var stopped = "exhausted the ranking"
        while take <= sets.count {
            if steps.count >= maxSteps {
                stopped = "step limit"
                break
            }
            if (ChildProcess.now() - started) > timeBudget {
                stopped = "time budget"
                break
            }
            let (result, measure) = try attempt(sets[take - 1])
            if measure.checked >= target {
                best = (result, measure, take)
                stopped = "met"
                break
            }
            lastFailing = take
            if take == sets.count { break }
            take = min(take * 2, sets.count)
        }
        // Bisect between the last failing and the first passing batch for a smaller one.
        if var (result, measure, passing) = best {
            var low = lastFailing
            while passing - low > 1, steps.count < maxSteps, (ChildProcess.now() - started) < timeBudget {
                let middle = (low + passing) / 2
                let (candidate, candidateMeasure) = try attempt(sets[middle - 1])
                if candidateMeasure.checked >= target {
                    (result, measure, passing) = (candidate, candidateMeasure, middle)
                } else {
                    low = middle
                }
            }
            let excluded = sets[passing - 1]
            let kept = ranking.filter { $0.nodes.contains(where: Set(excluded).contains) }
            return Outcome(
                result: result, score: measure.score, checked: measure.checked, met: true, excluded: excluded,
                keptTensors: kept, steps: steps, ranking: ranking, stopped: stopped)
        }
        return Outcome(
            result: full, score: fullMeasure.score, checked: fullMeasure.checked, met: false, excluded: [],
            keptTensors: [], steps: steps, ranking: ranking, stopped: stopped)
    }
}
