/// What the `fp16` pass converts and what it keeps in float32. The defaults follow
/// onnxconverter-common and ONNX Runtime's float16 tools (see ONNX_NOTES.md, "FP16
/// conversion"), plus what our real models need: control flow and the shape and index ops
/// whose results must stay exact keep float32, and the graph's interface keeps its types
/// so callers feed and read the same tensors as before.
public struct FP16Options: Sendable, Hashable {
    /// Keep float32 graph inputs and outputs (Casts at the border) instead of changing the
    /// model's interface to float16.
    public var keepIOTypes: Bool
    /// Op types (default domain) that run in float32 with Casts around them.
    public var blockedOps: Set<String>
    /// Nodes, by name, that run in float32 whatever their op: what the accuracy-aware
    /// fallback widens when a converted model misses its target.
    public var keepNodeNames: Set<String>
    /// Keep float32 on nodes that compute only from shapes and constants (a `Shape` cast to
    /// float and compared, say): they feed sizes and loop counts, which float16 would round.
    public var keepShapeComputations: Bool
    /// Keep float32 on nodes reading a constant float16 cannot hold (a magnitude above
    /// `maxFinite`, like the 1e8 BatchNormalization variances of PP-OCRv4 det): clamping
    /// such a constant, as onnxconverter-common does, changes what the node computes. Off,
    /// those constants are clamped too.
    public var keepOverflowingNodes: Bool
    /// Nonzero magnitudes below this become it, with their sign, instead of flushing to zero:
    /// float16's smallest subnormal (2^-24, ONNX Runtime's 5.96e-8).
    public var minPositive: Float
    /// Magnitudes above this become it, with their sign, instead of overflowing to infinity:
    /// float16's largest finite value.
    public var maxFinite: Float

    /// Options from their parts; every one has the default described on its property.
    public init(
        keepIOTypes: Bool = true, blockedOps: Set<String> = FP16Options.defaultBlockedOps,
        keepNodeNames: Set<String> = [], keepShapeComputations: Bool = true, keepOverflowingNodes: Bool = true,
        minPositive: Float = Float(Float16.leastNonzeroMagnitude),
        maxFinite: Float = Float(Float16.greatestFiniteMagnitude)
    ) {
        self.keepIOTypes = keepIOTypes
        self.blockedOps = blockedOps
        self.keepNodeNames = keepNodeNames
        self.keepShapeComputations = keepShapeComputations
        self.keepOverflowingNodes = keepOverflowingNodes
        self.minPositive = minPositive
        self.maxFinite = maxFinite
    }

    /// The converter's block list (ops whose float16 results are wrong or unsupported),
    /// control flow (bodies stay float32), and the shape/index ops that must stay exact.
    public static let defaultBlockedOps: Set<String> = converterBlockedOps.union(controlFlowOps).union(exactOps)

    /// onnxconverter-common's `DEFAULT_OP_BLOCK_LIST` for the default domain.
    public static let converterBlockedOps: Set<String> = [
        "NonMaxSuppression", "TopK", "RoiAlign", "Resize", "Upsample", "Range", "CumSum", "Min", "Max",
    ]

    /// Ops holding subgraphs: their bodies stay float32, so the ops do too.
    public static let controlFlowOps: Set<String> = ["Loop", "If", "Scan", "SequenceMap"]

    /// Shape and index ops: their outputs are sizes, counts or indices, which must be exact.
    public static let exactOps: Set<String> = ["Shape", "Size", "NonZero"]

    /// Ops that only read their input's shape: they read a float16 value as well as a float32
    /// one, so even when blocked they get no Cast in front.
    static let shapeOnlyOps: Set<String> = ["Shape", "Size"]
}
