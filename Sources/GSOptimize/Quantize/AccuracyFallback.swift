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
///
/// Then the search gives work back to int8. The ranking is by each tensor's own rounding
/// error, so a passing batch also keeps in float Convs and MatMuls the metric does not
/// need there, and those cost the speed int8 was for: on PP-OCRv4 rec at 95% confidence
/// the batch kept 54% of the multiply-adds in float. With `costs` (FLOPs per node), each
/// kept node that does multiply-adds is returned to int8 on its own, the most expensive
/// first, and stays there when the candidate still meets the tolerance.
public struct AccuracyFallback {
    public var tolerance: Double
    public var maxSteps: Int
    public var timeBudget: Double
    /// FLOPs per node of the float model (`FLOPCount.byNode`); empty skips giving back.
    public var costs: [String: Double]
    /// At most this many give-back trials, on top of `maxSteps`.
    public var maxGiveBackSteps: Int

    public init(
        tolerance: Double, maxSteps: Int = 12, timeBudget: Double = 600, costs: [String: Double] = [:],
        maxGiveBackSteps: Int = 64
    ) {
        self.tolerance = tolerance
        self.maxSteps = maxSteps
        self.timeBudget = timeBudget
        self.costs = costs
        self.maxGiveBackSteps = maxGiveBackSteps
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
        /// Set for a give-back trial (nil for the search's batches).
        public var giveBack: GiveBack? = nil
    }

    /// One give-back trial: the node returned to int8, and whether it stayed there.
    public struct GiveBack: Sendable, Hashable {
        public var node: String
        public var stayed: Bool
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

        /// Nodes of the passing batch the give-back returned to int8, most expensive first.
        public var requantized: [String] {
            steps.compactMap { $0.giveBack.flatMap { $0.stayed ? $0.node : nil } }
        }
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
            var excluded = sets[passing - 1]
            // Give back: the most expensive kept node first, one at a time.
            let expensive = excluded.filter { (costs[$0] ?? 0) > 0 }.sorted {
                (costs[$0] ?? 0, $1) > (costs[$1] ?? 0, $0)
            }
            var giveBackSteps = 0
            for node in expensive {
                guard giveBackSteps < maxGiveBackSteps, (ChildProcess.now() - started) < timeBudget else {
                    let limit = giveBackSteps < maxGiveBackSteps ? "time budget" : "step limit"
                    stopped += "; give-back stopped at its \(limit)"
                    break
                }
                giveBackSteps += 1
                let trial = excluded.filter { $0 != node }
                let (candidate, candidateMeasure) = try attempt(trial)
                let stays = candidateMeasure.checked >= target
                steps[steps.count - 1].giveBack = GiveBack(node: node, stayed: stays)
                if stays { (result, measure, excluded) = (candidate, candidateMeasure, trial) }
            }
            let kept = ranking.filter { sensitivity in
                result.quantizedTensors[sensitivity.tensor] == nil && result.quantizedWeights[sensitivity.tensor] == nil
            }
            return Outcome(
                result: result, score: measure.score, checked: measure.checked, met: true, excluded: excluded,
                keptTensors: kept, steps: steps, ranking: ranking, stopped: stopped)
        }
        return Outcome(
            result: full, score: fullMeasure.score, checked: fullMeasure.checked, met: false, excluded: [],
            keptTensors: [], steps: steps, ranking: ranking, stopped: stopped)
    }
}
