import GSCore
import ONNX

/// Runs named passes in order, then repeats the repeatable passes among them until none
/// changes anything (at most `maxRounds` times): a fold exposes dead nodes and duplicate
/// constants, a removed Identity exposes a fold, a Mul folded into a ConvTranspose exposes the
/// BatchNormalization after it. The result lists every pass run with what it
/// reported, the node count after it and its time, so a variant's manifest can record the
/// pipeline and `gsctl` can print what each step did.
public struct PassPipeline: Sendable {
    /// The FP32 pipeline every variant starts from. `static-shapes` needs the input shapes
    /// (without them it only notes which inputs stay symbolic); `fold-constants` after it folds
    /// the shape arithmetic it exposes. `upgrade-opset` is not in it: FP32 needs no opset
    /// change; the INT8 path appends `quantizationPreparation`.
    public static let standard = [
        "constant-to-initializer", "eliminate-identity", "fold-constants", "static-shapes", "fold-constants",
        "eliminate-noop-reshape", "fold-batchnorm", "fold-conv-affine", "fuse-matmul-add",
        "fuse-hardswish", "dedupe-initializers", "eliminate-dead",
    ]
    /// What per-channel QDQ needs on top of `standard`: opset 13 (run after static-shapes, so
    /// Softmax ranks are declared and need no Reshapes), the hard-swish fusion that opset 13
    /// makes possible on older models, then a cleanup.
    public static let quantizationPreparation = ["upgrade-opset", "fuse-hardswish", "eliminate-dead"]
    /// Passes that are repeated, in list order, to a fixed point once the list has run: the
    /// cheap local rewrites (not static-shapes, which runs the model, nor the one-way
    /// conversions).
    public static let repeatable: Set<String> = [
        "eliminate-identity", "eliminate-noop-reshape", "fold-constants", "fold-batchnorm", "fold-conv-affine",
        "fuse-matmul-add", "fuse-hardswish", "dedupe-initializers", "eliminate-dead",
    ]
    /// Rounds of repetition at most (a round that changes nothing ends it).
    public static let maxRounds = 8

    /// One pass run: its report, the model's node count after it (subgraphs included) and
    /// the wall time it took.
    public struct Step: Sendable {
        public var report: PassReport
        public var nodesAfter: Int
        public var seconds: Double
    }

    /// What a pipeline run produced.
    public struct Result: Sendable {
        public var model: ModelProto
        public var steps: [Step]
        /// Node counts (subgraphs included) before the first pass and after the last.
        public var nodesBefore: Int
        public var nodesAfter: Int

        /// The reports alone, in run order.
        public var reports: [PassReport] { steps.map(\.report) }

        /// One line per step and a total: `fold-constants: folded 12 (566 -> 240 nodes)`.
        public var summary: String {
            var lines: [String] = []
            var previous = nodesBefore
            for step in steps {
                let counts = step.report.counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }
                    .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                let time = (DecimalText.fixed(step.seconds, digits: 2) + " s")
                lines.append(
                    "\(step.report.pass): \(counts.isEmpty ? "no change" : counts) (\(previous) -> \(step.nodesAfter) nodes, \(time))"
                )
                previous = step.nodesAfter
            }
            lines.append("nodes: \(nodesBefore) -> \(nodesAfter)")
            return lines.joined(separator: "\n")
        }
    }

    /// The passes, in order.
    public let passes: [any GraphPass]

    /// A pipeline of registered passes; an unknown name is an error naming the known ones.
    public init(_ names: [String]) throws(PassError) {
        var passes: [any GraphPass] = []
        for name in names {
            guard let pass = PassRegistry.pass(named: name) else {
                let known = PassRegistry.all.map(\.name).sorted().joined(separator: ", ")
                throw PassError(pass: name, "no pass is called '\(name)' (known: \(known))")
            }
            passes.append(pass)
        }
        self.passes = passes
    }

    /// Runs the passes on `model`.
    public func run(_ model: ModelProto, _ context: PassContext = PassContext()) throws -> Result {
        let before = model.graph.nodeCountIncludingSubgraphs
        var model = model
        var steps: [Step] = []
        func apply(_ pass: any GraphPass) throws -> Bool {
            let started = ChildProcess.now()
            let (next, report) = try pass.apply(model, context)
            model = next
            steps.append(
                Step(
                    report: report, nodesAfter: model.graph.nodeCountIncludingSubgraphs,
                    seconds: (ChildProcess.now() - started)))
            return report.changed
        }
        for pass in passes { _ = try apply(pass) }
        var seen = Set<String>()
        let rounds = passes.filter { Self.repeatable.contains($0.name) && seen.insert($0.name).inserted }
        for _ in 0..<(rounds.isEmpty ? 0 : Self.maxRounds) {
            var changed = false
            for pass in rounds {
                if try apply(pass) { changed = true }
            }
            if !changed { break }
        }
        return Result(
            model: model, steps: steps, nodesBefore: before, nodesAfter: model.graph.nodeCountIncludingSubgraphs)
    }
}
