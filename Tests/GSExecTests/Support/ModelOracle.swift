import Foundation
import GSExec

/// A real model's input and onnxruntime's outputs for it, written by oracle/model_oracle.py.
struct ModelReference {
    var inputs: [String: Tensor]
    var outputs: [(name: String, tensor: Tensor)]

    /// Where the shared models are: ../shared/models, else Specs/models (after `make models`).
    static func modelPath(_ file: String) -> String? {
        let repository = OpOracle.testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
        for directory in [
            repository.deletingLastPathComponent().appendingPathComponent("shared/models"),
            repository.appendingPathComponent("Specs/models"),
        ] {
            let path = directory.appendingPathComponent(file).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    static func compute(model: String, kind: String) throws -> ModelReference {
        let directory = NSTemporaryDirectory() + "gsctl-model-oracle-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try OpOracle.python())
        process.arguments = [
            OpOracle.testsDirectory.appendingPathComponent("oracle/model_oracle.py").path, model, kind, directory,
        ]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ExecError("model oracle failed: \(String(decoding: errorData, as: UTF8.self))")
        }
        let record =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/cases.json")))
            as? [String: [[String: Any]]] ?? [:]
        func load(_ entry: [String: Any]) throws -> (String, Tensor) {
            let shape = entry["shape"] as? [Int] ?? []
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + (entry["file"] as? String ?? "")))
            let tensor: Tensor
            switch entry["dtype"] as? String {
            case "float32":
                tensor = Tensor(
                    shape: shape, storage: .float(data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }))
            case "uint8": tensor = Tensor(shape: shape, storage: .uint8(Array(data)))
            case "int64":
                tensor = Tensor(
                    shape: shape, storage: .int64(data.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }))
            case "int32":
                tensor = Tensor(
                    shape: shape, storage: .int32(data.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }))
            default: throw ExecError("unexpected dtype \(entry["dtype"] ?? "?") in the model oracle")
            }
            return (entry["name"] as? String ?? "", tensor)
        }
        var inputs: [String: Tensor] = [:]
        for entry in record["inputs"] ?? [] {
            let (name, tensor) = try load(entry)
            inputs[name] = tensor
        }
        return ModelReference(inputs: inputs, outputs: try (record["outputs"] ?? []).map(load))
    }
}
