import ONNX

/// The `fp16` pass: weights and compute to float16, which halves a model's size and, on
/// GPUs and NPUs with float16 units, speeds it up. Ops on the block list, control flow,
/// shape arithmetic and named nodes stay float32 with Casts at the borders; graph inputs
/// and outputs keep float32 unless `keepIOTypes` is off.
///
/// The work is split by job: `FP16ElementTypes` infers which values are float32,
/// `FP16Roles` decides what each node does, `FP16Plan` which precisions each value needs,
/// `FP16Rewriter` builds the graph, `FP16Clamp` converts constants.
public struct FP16Pass: GraphPass {
    /// The name manifests and reports record.
    public static let passName = "fp16"

    /// What to convert and what to keep.
    public var options: FP16Options

    /// A pass with `options` (the defaults convert everything that is safe to).
    public init(options: FP16Options = FP16Options()) {
        self.options = options
    }

    /// `fp16`.
    public var name: String { Self.passName }

    /// The converted model. Report counts: `nodesConverted`, `nodesKeptFloat32`,
    /// `castsInserted`, `initializersConverted`, `constantsConverted` (float Constant nodes
    /// given a float16 tensor), `clamped` (constant elements moved into float16's range);
    /// notes give the model size before and after and why nodes were kept.
    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        let opset = model.opsetVersion(domain: "") ?? 0
        let plan = try FP16Plan(graph: model.graph, opset: opset, options: options)
        var rewriter = FP16Rewriter(plan: plan)
        var converted = model
        converted.graph = try rewriter.rewrite()
        let counts = rewriter.counts
        var report = PassReport(
            pass: name,
            counts: [
                "nodesConverted": counts.nodesConverted, "nodesKeptFloat32": counts.nodesKeptFloat32,
                "castsInserted": counts.castsInserted, "initializersConverted": counts.initializersConverted,
                "constantsConverted": counts.constantsConverted, "clamped": counts.clamped,
            ])
        let before = model.serialized().count
        let after = converted.serialized().count
        let percent = before > 0 ? Double(after) * 100 / Double(before) : 100
        report.notes.append("model size \(before) -> \(after) bytes (\(Int(percent.rounded()))%)")
        for (reason, ops) in counts.kept.sorted(by: { $0.key < $1.key }) {
            let list = ops.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            report.notes.append("kept float32 (\(reason.rawValue)): \(list)")
        }
        if !model.functions.isEmpty {
            report.notes.append("model-local functions are left in float32 (\(model.functions.count))")
        }
        return (converted, report)
    }
}
