import GSExec
import GSOptimize
import ONNX

/// Small graphs written in the test, as ONNX messages: the passes' unit tests read like the
/// graph they rewrite.
enum Build {
    /// A float (or other) tensor value info with a fixed or symbolic shape.
    static func value(_ name: String, _ shape: [TensorShapeProto.Dimension]?, _ type: DataType = .float)
        -> ValueInfoProto
    {
        ValueInfoProto(name: name, elementType: type, shape: shape)
    }

    /// A model around one graph at the given default-domain opset.
    static func model(
        _ nodes: [NodeProto], inputs: [ValueInfoProto], outputs: [ValueInfoProto], initializers: [TensorProto] = [],
        valueInfo: [ValueInfoProto] = [], opset: Int64 = 13
    ) -> ModelProto {
        let graph = GraphProto(
            name: "test", nodes: nodes, inputs: inputs, outputs: outputs, initializers: initializers,
            valueInfo: valueInfo)
        return ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: opset)], irVersion: 8)
    }

    /// A float initializer with pseudo-random values in [low, high) (deterministic per name).
    static func weight(_ name: String, _ shape: [Int], low: Float = -1, high: Float = 1) -> TensorProto {
        TensorProto(name: name, shape: shape, values: random(Tensor.count(of: shape), seed: name, low: low, high: high))
    }

    /// An int64 initializer.
    static func ints(_ name: String, _ values: [Int64], shape: [Int]? = nil) -> TensorProto {
        TensorProto(name: name, shape: shape ?? [values.count], values: values)
    }

    /// A float input tensor with pseudo-random values.
    static func feed(_ shape: [Int], seed: String = "x", low: Float = -1, high: Float = 1) -> Tensor {
        Tensor(shape: shape, floats: random(Tensor.count(of: shape), seed: seed, low: low, high: high))
    }

    /// Deterministic pseudo-random floats (an LCG seeded by the name's bytes).
    static func random(_ count: Int, seed: String, low: Float, high: Float) -> [Float] {
        var state: UInt64 = 1_469_598_103_934_665_603
        for byte in seed.utf8 { state = (state ^ UInt64(byte)) &* 1_099_511_628_211 }
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Float(state >> 40) / Float(1 << 24)
            return low + (high - low) * unit
        }
    }

    /// Op types of the main graph, in order.
    static func ops(_ model: ModelProto) -> [String] { model.graph.node.map(\.opType) }
}
