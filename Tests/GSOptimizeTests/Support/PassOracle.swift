import Foundation
import GSExec
import ONNX
import Testing

/// onnxruntime and `onnx.checker` as the judges of a pass: a model before and after a pass is
/// saved to a temporary folder, run by onnxruntime (graph optimizations off, so ORT does not
/// hide what the pass did) on the same inputs, and checked by `onnx.checker.check_model`.
/// The Python side is embedded below so the test target needs no resource files.
enum PassOracle {
    /// This test target's folder.
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    /// The repository root.
    static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A real model: ../shared/models, else Specs/models (after `make models`).
    static func modelPath(_ file: String) -> String? {
        for directory in [
            repository.deletingLastPathComponent().appendingPathComponent("shared/models"),
            repository.appendingPathComponent("Specs/models"),
        ] {
            let path = directory.appendingPathComponent(file).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// What onnxruntime and the checker said about one model.
    struct Verdict {
        /// nil when `check_model` accepted the model, else its message.
        var checker: String?
        /// nil when onnxruntime ran it, else its message.
        var error: String?
        var outputs: [String: Tensor]
    }

    /// The inputs used and a verdict per model, in the order given.
    struct Result {
        var inputs: [String: Tensor]
        var verdicts: [Verdict]
    }

    /// Runs `models` in onnxruntime on `feeds`, or on the realistic input of `kind` (`det`,
    /// `rec`, `cls`, `ssd`, as in GSExecTests' model oracle) when `feeds` is nil.
    static func run(_ models: [ModelProto], feeds: [String: Tensor]? = nil, kind: String? = nil) throws -> Result {
        let directory = NSTemporaryDirectory() + "gsctl-pass-oracle-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var paths: [String] = []
        for (index, model) in models.enumerated() {
            let path = directory + "/model\(index).onnx"
            try ModelFile.save(model, to: path)
            paths.append(path)
        }
        var inputs: [[String: Any]] = []
        for (index, (name, tensor)) in (feeds ?? [:]).sorted(by: { $0.key < $1.key }).enumerated() {
            let file = "feed\(index).bin"
            try Data(bytes(of: tensor)).write(to: URL(fileURLWithPath: directory + "/" + file))
            inputs.append(["name": name, "dtype": dtype(of: tensor), "shape": tensor.shape, "file": file])
        }
        let spec: [String: Any] = ["models": paths, "inputs": inputs, "kind": kind ?? "", "outdir": directory]
        let specPath = directory + "/spec.json"
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specPath))
        let scriptPath = directory + "/oracle.py"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)

        try OraclePython.run([scriptPath, specPath], what: "pass oracle failed")
        let record =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/result.json")))
            as? [String: Any] ?? [:]
        func load(_ entry: [String: Any]) throws -> (String, Tensor) {
            let shape = entry["shape"] as? [Int] ?? []
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + (entry["file"] as? String ?? "")))
            return (
                entry["name"] as? String ?? "", try tensor(data, dtype: entry["dtype"] as? String ?? "", shape: shape)
            )
        }
        var used: [String: Tensor] = [:]
        for entry in record["inputs"] as? [[String: Any]] ?? [] {
            let (name, value) = try load(entry)
            used[name] = value
        }
        var verdicts: [Verdict] = []
        for entry in record["models"] as? [[String: Any]] ?? [] {
            var outputs: [String: Tensor] = [:]
            for output in entry["outputs"] as? [[String: Any]] ?? [] {
                let (name, value) = try load(output)
                outputs[name] = value
            }
            verdicts.append(
                Verdict(checker: entry["checker"] as? String, error: entry["error"] as? String, outputs: outputs))
        }
        return Result(inputs: used, verdicts: verdicts)
    }

    static func dtype(of tensor: Tensor) -> String {
        switch tensor.storage {
        case .float: "float32"
        case .float16: "float16"
        case .double: "float64"
        case .int8: "int8"
        case .uint8: "uint8"
        case .int32: "int32"
        case .int64: "int64"
        case .bool: "bool"
        }
    }

    static func bytes(of tensor: Tensor) -> [UInt8] {
        switch tensor.storage {
        case .float(let values): values.withUnsafeBytes { Array($0) }
        case .float16(let values): values.withUnsafeBytes { Array($0) }
        case .double(let values): values.withUnsafeBytes { Array($0) }
        case .int8(let values): values.withUnsafeBytes { Array($0) }
        case .uint8(let values): values
        case .int32(let values): values.withUnsafeBytes { Array($0) }
        case .int64(let values): values.withUnsafeBytes { Array($0) }
        case .bool(let values): values.map { $0 ? 1 : 0 }
        }
    }

    static func tensor(_ data: Data, dtype: String, shape: [Int]) throws -> Tensor {
        func array<T>(_: T.Type) -> [T] { data.withUnsafeBytes { Array($0.bindMemory(to: T.self)) } }
        switch dtype {
        case "float32": return Tensor(shape: shape, storage: .float(array(Float.self)))
        case "float16": return Tensor(shape: shape, storage: .float16(array(Float16.self)))
        case "float64": return Tensor(shape: shape, storage: .double(array(Double.self)))
        case "int8": return Tensor(shape: shape, storage: .int8(array(Int8.self)))
        case "uint8": return Tensor(shape: shape, storage: .uint8(Array(data)))
        case "int32": return Tensor(shape: shape, storage: .int32(array(Int32.self)))
        case "int64": return Tensor(shape: shape, storage: .int64(array(Int64.self)))
        case "bool": return Tensor(shape: shape, storage: .bool(data.map { $0 != 0 }))
        default: throw Failure(description: "unexpected dtype \(dtype) from the pass oracle")
        }
    }

    /// The Python half: load inputs (given, or the realistic one for a model kind), check and
    /// run every model, write outputs.
    static let script = #"""
        import json, os, sys
        import numpy as np
        import onnx
        import onnxruntime as ort

        DATA = "/usr/share/doc/opencv-doc/examples/data"

        def photo(path, width, height):
            import cv2
            image = cv2.imread(os.path.join(DATA, path))
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)
            return (((image / 255.0) - 0.5) / 0.5).transpose(2, 0, 1)[None].astype(np.float32)

        def frame(index):
            import cv2
            capture = cv2.VideoCapture(os.path.join(DATA, "vtest.avi"))
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, image = capture.read()
            if not ok:
                raise SystemExit("cannot read vtest.avi")
            image = cv2.cvtColor(cv2.resize(image, (300, 300), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
            return image[None].astype(np.uint8)

        spec = json.load(open(sys.argv[1]))
        outdir = spec["outdir"]
        feeds = {}
        for entry in spec["inputs"]:
            data = np.fromfile(os.path.join(outdir, entry["file"]), dtype=entry["dtype"])
            feeds[entry["name"]] = data.reshape(entry["shape"])
        kinds = {
            "det": lambda: {"x": photo("fruits.jpg", 640, 640)},
            "rec": lambda: {"x": photo("imageTextN.png", 320, 48)},
            "cls": lambda: {"x": photo("imageTextN.png", 192, 48)},
            "ssd": lambda: {"image_tensor:0": frame(100)},
        }
        if spec["kind"]:
            feeds = kinds[spec["kind"]]()
        record = {"inputs": [], "models": []}
        def save(prefix, i, name, array):
            array = np.array(array, order="C")  # ascontiguousarray would make a scalar 1-D
            path = f"{prefix}{i}.bin"
            array.tofile(os.path.join(outdir, path))
            return {"name": name, "dtype": str(array.dtype), "shape": list(array.shape), "file": path}
        for i, (name, array) in enumerate(feeds.items()):
            record["inputs"].append(save("input", i, name, array))
        for m, path in enumerate(spec["models"]):
            entry = {"checker": None, "error": None, "outputs": []}
            try:
                onnx.checker.check_model(onnx.load(path), full_check=True)
            except Exception as error:
                entry["checker"] = str(error)[:2000]
            try:
                options = ort.SessionOptions()
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
                options.log_severity_level = 3
                session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
                names = [o.name for o in session.get_outputs()]
                for i, (name, array) in enumerate(zip(names, session.run(names, feeds))):
                    entry["outputs"].append(save(f"m{m}_out", i, name, array))
            except Exception as error:
                entry["error"] = str(error)[:2000]
            record["models"].append(entry)
        json.dump(record, open(os.path.join(outdir, "result.json"), "w"))
        """#
}
