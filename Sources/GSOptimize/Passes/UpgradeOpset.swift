import ONNX

/// `upgrade-opset`: raises the default-domain opset to 13 (what per-channel QDQ needs) when it
/// is below, rewriting the ops whose signature or meaning changed between the model's version
/// and 13, in Loop and If bodies too. Supports models from opset 7 on.
///
/// The changes between 7 and 13, from the operator changelog (checked against onnx 1.17's
/// schemas), and what this pass does with each:
/// - attribute became input: Squeeze, Unsqueeze, ReduceSum, Split (13), Clip min/max (11),
///   Pad pads/value (11), Slice starts/ends/axes (10), TopK k (10), Dropout ratio (12): the
///   attribute becomes an int64 (or float) initializer input.
/// - Softmax, LogSoftmax, Hardmax (13): before 13 the input is flattened to 2-D at `axis`
///   (default 1). With the axis on the last dimension (rank declared, or axis -1) only the
///   attribute is written out; otherwise the node becomes Flatten(axis) -> op(axis=1) ->
///   Reshape back to the input's shape, which is exactly the old meaning.
/// - BatchNormalization lost `spatial` (9): dropped when 1, refused when 0.
/// - Scatter (deprecated at 11) is ScatterElements with the same meaning: renamed.
/// - Refused with an error naming the node: Resize and Upsample before 11 (their coordinate
///   rules have no exact opset-13 spelling), Resize with `tf_half_pixel_for_nn` (removed at 13),
///   Scan before 9.
/// - Everything else changed only by new types, new attributes whose defaults keep the old
///   meaning (ArgMax select_last_index, GatherND batch_dims, QuantizeLinear axis, MaxPool
///   dilations...) or allowing negative axes: nothing to rewrite.
/// The IR version is raised to 7 when below (opset 13 needs it).
public struct UpgradeOpset: GraphPass {
    public let name = "upgrade-opset"
    /// The opset this pass upgrades to.
    public static let target: Int64 = 13
    /// The oldest opset it upgrades from.
    public static let oldest: Int64 = 7

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        guard
            let position = model.opsetImport.firstIndex(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" })
        else { throw PassError(pass: name, "the model imports no default-domain opset") }
        let version = model.opsetImport[position].version
        guard version < Self.target else {
            return (model, PassReport(pass: name, notes: ["opset \(version) is already at least \(Self.target)"]))
        }
        guard version >= Self.oldest else {
            throw PassError(pass: name, "opset \(version) is older than \(Self.oldest), which this pass upgrades from")
        }
        try model.graph.forEachNode { node, _ in try refuse(node, from: version) }
        var rewriter = OpsetRewriter(from: version, names: UniqueNames(model.graph), pass: name)
        try rewriter.rewrite(&model.graph)
        model.opsetImport[position].version = Self.target
        if model.irVersion < 7 { model.irVersion = 7 }
        return (
            model,
            PassReport(
                pass: name, counts: ["rewritten": rewriter.rewritten, "nodes_added": rewriter.added],
                notes: ["opset \(version) -> \(Self.target)"])
        )
    }

    /// Throws for the nodes that have no exact opset-13 form.
    private func refuse(_ node: NodeProto, from version: Int64) throws(PassError) {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return }
        let label = "\(node.opType) '\(node.name.isEmpty ? (node.output.first ?? "?") : node.name)'"
        switch node.opType {
        case "Upsample":
            throw PassError(
                pass: name, "\(label): Upsample has no exact opset-13 form; re-export the model at opset 11+")
        case "Resize" where version < 11:
            throw PassError(
                pass: name, "\(label): Resize before opset 11 has no exact opset-13 form; re-export at opset 11+")
        case "Resize" where node.attribute("coordinate_transformation_mode")?.stringValue == "tf_half_pixel_for_nn":
            throw PassError(
                pass: name, "\(label): coordinate_transformation_mode tf_half_pixel_for_nn was removed in opset 13")
        case "Scan" where version < 9:
            throw PassError(pass: name, "\(label): Scan before opset 9 has another signature; re-export at opset 9+")
        case "BatchNormalization" where version < 9 && (node.attribute("spatial")?.i ?? 1) == 0:
            throw PassError(pass: name, "\(label): BatchNormalization with spatial=0 has no opset-9+ form")
        default:
            return
        }
    }
}
