import Foundation
import GSExec
import Testing

/// Reference cases computed by onnxruntime (Tests/GSExecTests/oracle/op_oracle.py), replayed
/// one node at a time through the Swift executor.
struct OracleCase: Sendable, CustomStringConvertible {
    var name: String
    var op: String
    var opset: Int
    var attributes: [String: Attribute]
    var inputs: [Tensor?]
    var outputs: [Tensor]
    var tolerance: Float

    var description: String { name }
}

enum OpOracle {
    static let testsDirectory: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The oracle's Python: $GSCTL_PYTHON, else the repository's .venv-oracle.
    static func python() throws -> String {
        if let path = ProcessInfo.processInfo.environment["GSCTL_PYTHON"], FileManager.default.fileExists(atPath: path)
        {
            return path
        }
        let local = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".venv-oracle/bin/python").path
        guard FileManager.default.fileExists(atPath: local) else {
            throw OracleMissing()
        }
        return local
    }

    struct OracleMissing: Error, CustomStringConvertible {
        var description: String { "the test oracle is missing: run `make oracle` (Python with onnxruntime)" }
    }

    /// Runs the oracle over case files (names relative to oracle/) and decodes the cases.
    static func cases(_ files: [String]) throws -> [OracleCase] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python())
        let directory = testsDirectory.appendingPathComponent("oracle")
        process.arguments =
            [directory.appendingPathComponent("op_oracle.py").path]
            + files.map { directory.appendingPathComponent($0).path }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: group) { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ExecError("oracle failed: \(String(decoding: errorData, as: UTF8.self))")
        }
        guard let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw ExecError("oracle printed no case list")
        }
        return try list.map(decodeCase)
    }

    static func decodeCase(_ json: [String: Any]) throws -> OracleCase {
        var attributes: [String: Attribute] = [:]
        for (name, value) in json["attrs"] as? [String: [String: Any]] ?? [:] {
            attributes[name] = try decodeAttribute(value)
        }
        return OracleCase(
            name: json["name"] as? String ?? "?", op: json["op"] as? String ?? "?", opset: json["opset"] as? Int ?? 17,
            attributes: attributes,
            inputs: try (json["inputs"] as? [Any] ?? []).map { ($0 as? [String: Any]).map(decodeTensor) }.map {
                try $0?.get()
            },
            outputs: try (json["outputs"] as? [[String: Any]] ?? []).map { try decodeTensor($0).get() },
            tolerance: Float(json["tolerance"] as? Double ?? 1e-5))
    }

    static func decodeAttribute(_ json: [String: Any]) throws -> Attribute {
        let value = json["value"]
        switch json["type"] as? String {
        case "int": return .int(value as? Int ?? 0)
        case "float": return .float(Float(value as? Double ?? 0))
        case "string": return .string(value as? String ?? "")
        case "ints": return .ints(value as? [Int] ?? [])
        case "floats": return .floats((value as? [Double] ?? []).map(Float.init))
        case "strings": return .strings(value as? [String] ?? [])
        case "tensor": return .tensor(try decodeTensor(value as? [String: Any] ?? [:]).get())
        default: throw ExecError("unknown attribute type in oracle output")
        }
    }

    static func decodeTensor(_ json: [String: Any]) -> Result<Tensor, ExecError> {
        let shape = json["shape"] as? [Int] ?? []
        let data = json["data"] as? [Any] ?? []
        func floats() -> [Float] {
            data.map { value in
                if let number = value as? Double { return Float(number) }
                if let text = value as? String { return text.hasPrefix("-") ? -.infinity : .infinity }
                return .nan
            }
        }
        switch json["dtype"] as? String {
        case "float": return .success(Tensor(shape: shape, storage: .float(floats())))
        case "float16": return .success(Tensor(shape: shape, storage: .float16(floats().map { Float16($0) })))
        case "double": return .success(Tensor(shape: shape, storage: .double(floats().map(Double.init))))
        case "int64": return .success(Tensor(shape: shape, storage: .int64(data.map { Int64($0 as? Int ?? 0) })))
        case "int32": return .success(Tensor(shape: shape, storage: .int32(data.map { Int32($0 as? Int ?? 0) })))
        case "int8": return .success(Tensor(shape: shape, storage: .int8(data.map { Int8($0 as? Int ?? 0) })))
        case "uint8": return .success(Tensor(shape: shape, storage: .uint8(data.map { UInt8($0 as? Int ?? 0) })))
        case "bool": return .success(Tensor(shape: shape, storage: .bool(data.map { $0 as? Bool ?? false })))
        default: return .failure(ExecError("unknown dtype in oracle output"))
        }
    }

    /// Runs one case through the executor and checks every output: same element type and
    /// shape, values within the case's tolerance (relative to the output's largest value).
    static func check(_ oracle: OracleCase) throws {
        let inputNames = oracle.inputs.enumerated().map { $0.element == nil ? "" : "in\($0.offset)" }
        let outputNames = oracle.outputs.indices.map { "out\($0)" }
        let node = ExecNode(
            name: oracle.name, opType: oracle.op, inputs: inputNames, outputs: outputNames,
            attributes: oracle.attributes)
        let graph = ExecGraph(
            nodes: [node],
            inputs: inputNames.filter { !$0.isEmpty }.map { ValueInfo(name: $0) },
            outputs: outputNames.map { ValueInfo(name: $0) })
        var feeds: [String: Tensor] = [:]
        for (index, tensor) in oracle.inputs.enumerated() { if let tensor { feeds["in\(index)"] = tensor } }
        let results = try Executor(graph: graph, opset: oracle.opset).run(feeds)
        for (index, expected) in oracle.outputs.enumerated() {
            let actual = try #require(results["out\(index)"])
            #expect(
                actual.dataType == expected.dataType,
                "\(oracle.name) out\(index): type \(actual.dataType) vs \(expected.dataType)")
            #expect(
                actual.shape == expected.shape, "\(oracle.name) out\(index): shape \(actual.shape) vs \(expected.shape)"
            )
            let a = actual.floatValues
            let e = expected.floatValues
            guard a.count == e.count else { continue }
            let scale = max(e.map { $0.isFinite ? abs($0) : 0 }.max() ?? 0, 1e-6)
            var worst: Float = 0
            var where_ = 0
            for i in 0..<a.count {
                if a[i].isNaN && e[i].isNaN { continue }
                if a[i] == e[i] { continue }
                let difference = abs(a[i] - e[i])
                if !(difference <= worst) {
                    worst = difference.isNaN ? .infinity : difference
                    where_ = i
                }
            }
            #expect(
                worst <= oracle.tolerance * scale + 1e-6,
                "\(oracle.name) out\(index): max difference \(worst) at \(where_) (ours \(a[where_]), onnxruntime \(e[where_]))"
            )
        }
    }
}
