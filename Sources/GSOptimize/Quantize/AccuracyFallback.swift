import GSCore
import GSExec
import ONNX

/// `int8-mixed`: quantize everything, then keep the tensors INT8 hurts most in float until
/// the accuracy metric is within the Model's tolerance.
///
/// Groups (from `SensitivityRanking`) are excluded in growing batches (1, 2, 4, ...) with
/// re-quantization and evaluation each time; once a batch meets the tolerance, a bisection
/// looks for a smaller one. Bounded by `maxSteps` and `timeBudget`.
public struct AccuracyFallback {
    public var tolerance: Double
    public var maxSteps: Int
    public var timeBudget: Double

    public init(tolerance: Double, maxSteps: Int = 12, timeBudget: Double = 600) {
        self.tolerance = tolerance
        self.maxSteps = maxSteps
        self.timeBudget = timeBudget
    }

    public struct Step: Sendable, Hashable {
        public var excludedNodes: Int
        public var score: Double
        public var seconds: Double
    }

    public struct Outcome: Sendable {
        public var result: QDQQuantizer.Result
        public var score: Double
        public var met: Bool
        public var excluded: [String]
        /// The tensors kept in float, most damaged first.
        public var keptTensors: [Sensitivity]
        public var steps: [Step]
        public var ranking: [Sensitivity]
        /// Why the search stopped (met, steps, time, exhausted).
        public var stopped: String
    }

    /// `evaluate` scores a candidate model (1 = the float model's behaviour). `quantized` is
    /// the fully quantized model with its score when the caller has them already (the
    /// bias-correction choice made and scored it), so the search does not redo them.
    public func run(
        model: ModelProto, statistics: [String: TensorStatistics], config: QuantizationConfig,
        samples: [[String: Tensor]], quantized: (result: QDQQuantizer.Result, score: Double)? = nil,
        evaluate: (ModelProto) throws -> Double
    ) throws -> Outcome {
        let started = ChildProcess.now()
        var steps: [Step] = []
        func attempt(_ excluded: [String]) throws -> (QDQQuantizer.Result, Double) {
            var trial = config
            trial.excludedNodes = config.excludedNodes.union(excluded)
            let result = try QDQQuantizer(config: trial, statistics: statistics).quantize(model)
            let score = try evaluate(result.model)
            steps.append(Step(excludedNodes: excluded.count, score: score, seconds: (ChildProcess.now() - started)))
            return (result, score)
        }
        let target = 1 - tolerance
        let (full, fullScore): (QDQQuantizer.Result, Double)
        if let quantized {
            (full, fullScore) = quantized
            steps.append(Step(excludedNodes: 0, score: fullScore, seconds: 0))
        } else {
            (full, fullScore) = try attempt([])
        }
        let ranking = try SensitivityRanking.rank(float: model, quantized: full, config: config, samples: samples)
        if fullScore >= target {
            return Outcome(
                result: full, score: fullScore, met: true, excluded: [], keptTensors: [], steps: steps,
                ranking: ranking,
                stopped: "met with everything quantized")
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
        var best: (QDQQuantizer.Result, Double, Int)?
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
            let (result, score) = try attempt(sets[take - 1])
            if score >= target {
                best = (result, score, take)
                stopped = "met"
                break
            }
            lastFailing = take
            if take == sets.count { break }
            take = min(take * 2, sets.count)
        }
        // Bisect between the last failing and the first passing batch for a smaller one.
        if var (result, score, passing) = best {
            var low = lastFailing
            while passing - low > 1, steps.count < maxSteps, (ChildProcess.now() - started) < timeBudget {
                let middle = (low + passing) / 2
                let (candidate, candidateScore) = try attempt(sets[middle - 1])
                if candidateScore >= target {
                    (result, score, passing) = (candidate, candidateScore, middle)
                } else {
                    low = middle
                }
            }
            let excluded = sets[passing - 1]
            let kept = ranking.filter { $0.nodes.contains(where: Set(excluded).contains) }
            return Outcome(
                result: result, score: score, met: true, excluded: excluded, keptTensors: kept, steps: steps,
                ranking: ranking, stopped: stopped)
        }
        return Outcome(
            result: full, score: fullScore, met: false, excluded: [], keptTensors: [], steps: steps, ranking: ranking,
            stopped: stopped)
    }
}
