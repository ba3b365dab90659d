import Foundation
import GSExec
import GSOptimize
import ONNX
import Testing

/// Small graphs for the fp16 tests, built in the test so each reads like the graph it
/// checks, and the end-to-end check every converted graph must pass.
enum FP16Graphs {
    /// A float32 tensor value of a fixed shape.
    static func float(_ name: String, _ shape: [Int64] = [2, 3]) -> ValueInfoProto {
        ValueInfoProto(name: name, elementType: .float, shape: shape.map { .init(.value($0)) })
    }

    /// A float32 initializer.
    static func weights(_ name: String, _ values: [Float], shape: [Int]? = nil) -> TensorProto {
        TensorProto(name: name, shape: shape ?? [values.count], values: values)
    }

    /// A node; its name is its first output's, so tests can find it.
    static func node(
        _ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [AttributeProto] = []
    ) -> NodeProto {
        NodeProto(op, inputs: inputs, outputs: outputs, name: outputs.first ?? op, attributes: attributes)
    }

    /// A model of one graph (opset 13, IR 8) with float32 inputs and outputs (shape [2, 3]
    /// unless given).
    static func model(
        _ nodes: [NodeProto], inputs: [String] = ["X"], outputs: [String] = ["Y"], initializers: [TensorProto] = [],
        inputShape: [Int64] = [2, 3], outputShape: [Int64] = [2, 3], opset: Int64 = 13
    ) -> ModelProto {
        let graph = GraphProto(
            name: "fp16-test", nodes: nodes, inputs: inputs.map { float($0, inputShape) },
            outputs: outputs.map { float($0, outputShape) }, initializers: initializers)
        var model = ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: opset)])
        model.irVersion = 8
        return model
    }

    /// Converts `model` with `options`.
    static func convert(_ model: ModelProto, _ options: FP16Options = FP16Options()) throws -> (ModelProto, PassReport)
    {
        try FP16Pass(options: options).apply(model, PassContext())
    }

    /// The node producing `value`.
    static func producer(_ value: String, in model: ModelProto) throws -> NodeProto {
        try #require(model.graph.producer(of: value), "nothing produces \(value)")
    }

    /// Op types in node order.
    static func ops(_ model: ModelProto) -> [String] { model.graph.node.map(\.opType) }

    /// Casts in the graph as (input, output, to).
    static func casts(_ model: ModelProto) -> [(input: String, output: String, to: DataType?)] {
        model.graph.node.filter { $0.opType == "Cast" }.map { node in
            (node.input[0], node.output[0], node.attribute("to").flatMap { DataType(rawValue: Int32($0.i)) })
        }
    }

    /// The element type a value has in `model`: declared, an initializer's, or what its
    /// producer makes (a Cast's `to`, a Constant's tensor, a DequantizeLinear's scale; else its
    /// first input's).
    static func elementType(_ value: String, in model: ModelProto) -> DataType? {
        let graph = model.graph
        if let info = graph.valueInfo(named: value), let type = info.tensorType?.elementType { return type }
        if let tensor = graph.initializer(named: value) { return tensor.dataType }
        guard let node = graph.producer(of: value) else { return nil }
        switch node.opType {
        case "Cast": return node.attribute("to").flatMap { DataType(rawValue: Int32($0.i)) }
        case "Constant", "ConstantOfShape": return node.attribute("value")?.t?.dataType ?? .float
        case "Shape": return .int64
        case "DequantizeLinear": return elementType(node.input[1], in: model)
        default: return node.input.first.flatMap { elementType($0, in: model) }
        }
    }

    /// The check every converted graph must pass: onnx.checker (full) accepts it,
    /// onnxruntime runs it (so no type parameter is bound to two types), and onnxruntime and
    /// our executor on it agree with our executor on the float32 original within float16
    /// rounding (0.4% of the output's range, plus 1e-3).
    static func checkEndToEnd(
        _ original: ModelProto, _ converted: ModelProto, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let directory = try FP16Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/converted.onnx"
        try ModelFile.save(converted, to: path)
        let runtime = try FP16Oracle.run(model: path, kind: "random")
        #expect(runtime.checker == "ok", "onnx.checker: \(runtime.checker)", sourceLocation: sourceLocation)
        var feeds = runtime.inputs
        for (name, tensor) in feeds where tensor.dataType == .float16 {
            feeds[name] = Tensor(shape: tensor.shape, floats: tensor.floatValues)
        }
        let reference = try ONNXImport.executor(for: original).run(feeds)
        let ours = try ONNXImport.executor(for: converted).run(runtime.inputs)
        for (name, expected) in reference {
            let fromRuntime = try #require(
                runtime.output(name), "onnxruntime gave no \(name)", sourceLocation: sourceLocation)
            let fromOurs = try #require(ours[name], "our executor gave no \(name)", sourceLocation: sourceLocation)
            for (label, actual) in [("onnxruntime", fromRuntime), ("our executor", fromOurs)] {
                #expect(actual.shape == expected.shape, "\(label) \(name): shape", sourceLocation: sourceLocation)
                let difference = FP16Difference(actual, expected)
                #expect(
                    difference.maxAbsolute <= 4e-3 * difference.scale + 1e-3, "\(label) \(name): \(difference)",
                    sourceLocation: sourceLocation)
            }
        }
    }
}
