import ONNX

/// The default-domain opsets gsctl compiles and runs. Operators change meaning between
/// opsets (Softmax's axis at 13, Reduce's axes at 18, blocked Q/DQ at 21), and the kernels
/// follow every version up to the newest that onnxruntime 1.20, the runtime the devices run
/// and the tests' oracle, accepts. A model outside the range is refused up front rather than
/// run under the nearest meaning the executor knows, which could give wrong numbers.
public enum SupportedOpsets {
    /// Opset 7 brought numpy-style broadcasting, which every elementwise kernel assumes.
    public static let range = 7...21

    /// The model's default-domain opset, or an error saying what to do about it.
    public static func check(_ model: ModelProto) throws -> Int {
        let opset = Int(model.opsetVersion(domain: "") ?? model.opsetVersion(domain: "ai.onnx") ?? 0)
        guard opset > 0 else { throw ExecError("the model imports no default-domain opset") }
        if opset < range.lowerBound {
            throw ExecError(
                "the model uses ONNX opset \(opset); gsctl runs opsets \(range.lowerBound) to \(range.upperBound): convert it first (python -m onnx's version_converter: `onnx.version_converter.convert_version(model, 13)`)"
            )
        }
        if opset > range.upperBound {
            throw ExecError(
                "the model uses ONNX opset \(opset), newer than gsctl and onnxruntime 1.20 run (opsets \(range.lowerBound) to \(range.upperBound)): export it at opset \(range.upperBound) or lower"
            )
        }
        return opset
    }
}
