import Foundation
import GSExec
import ONNX

/// onnxruntime and onnx.checker as the FP16 tests' oracle: checks a model (full check, with
/// strict shape and type inference), runs it on CPU on a realistic input (or seeded random
/// inputs for small graphs) and hands back the inputs and outputs. The Python lives in this
/// file (`script`) so the test target needs no resource files.
struct FP16OracleRun {
    /// "ok", or the checker's complaint.
    var checker: String
    var inputs: [String: Tensor]
    var outputs: [(name: String, tensor: Tensor)]
    /// Seconds one onnxruntime run took (after a warm-up run).
    var seconds: Double

    func output(_ name: String) -> Tensor? { outputs.first { $0.name == name }?.tensor }
}

/// Failures of the oracle, with what Python printed.
struct FP16OracleError: Error, CustomStringConvertible {
    var description: String
}

enum FP16Oracle {
    /// Tests/GSOptimizeTests.
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    /// The repository root.
    static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

    /// The oracle's Python: $GSCTL_PYTHON, else the repository's .venv-oracle.
    static func python() throws -> String {
        if let path = ProcessInfo.processInfo.environment["GSCTL_PYTHON"], FileManager.default.fileExists(atPath: path)
        {
            return path
        }
        let local = repository.appendingPathComponent(".venv-oracle/bin/python").path
        guard FileManager.default.fileExists(atPath: local) else {
            throw FP16OracleError(
                description: "the test oracle is missing: run `make oracle` (Python with onnxruntime)")
        }
        return local
    }

    /// Where the shared models are: ../shared/models, else Specs/models (after `make models`).
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

    /// A fresh temporary directory; the caller removes it.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "gsctl-fp16-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Checks and runs the model at `path` with the inputs `kind` names: `det`, `rec`,
    /// `cls`, `ssd` (real images, as Tests/GSExecTests/oracle/model_oracle.py makes them) or
    /// `random` (seeded normal values, for small graphs).
    static func run(model path: String, kind: String) throws -> FP16OracleRun {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try OraclePython.run(["-c", script, path, kind, directory], what: "oracle failed on \(path)")
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/cases.json"))
        guard let record = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FP16OracleError(description: "oracle wrote no record")
        }
        func load(_ entry: [String: Any]) throws -> (String, Tensor) {
            let shape = entry["shape"] as? [Int] ?? []
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + (entry["file"] as? String ?? "")))
            return (
                entry["name"] as? String ?? "", try tensor(bytes, dtype: entry["dtype"] as? String ?? "", shape: shape)
            )
        }
        var inputs: [String: Tensor] = [:]
        for entry in record["inputs"] as? [[String: Any]] ?? [] {
            let (name, tensor) = try load(entry)
            inputs[name] = tensor
        }
        return FP16OracleRun(
            checker: record["checker"] as? String ?? "?", inputs: inputs,
            outputs: try (record["outputs"] as? [[String: Any]] ?? []).map(load),
            seconds: record["seconds"] as? Double ?? 0)
    }

    /// A tensor from NumPy's raw little-endian bytes.
    static func tensor(_ data: Data, dtype: String, shape: [Int]) throws -> Tensor {
        func values<T>(_ type: T.Type) -> [T] { data.withUnsafeBytes { Array($0.bindMemory(to: T.self)) } }
        switch dtype {
        case "float32": return Tensor(shape: shape, storage: .float(values(Float.self)))
        case "float16": return Tensor(shape: shape, storage: .float16(values(Float16.self)))
        case "uint8": return Tensor(shape: shape, storage: .uint8(Array(data)))
        case "int64": return Tensor(shape: shape, storage: .int64(values(Int64.self)))
        case "int32": return Tensor(shape: shape, storage: .int32(values(Int32.self)))
        case "bool": return Tensor(shape: shape, storage: .bool(Array(data).map { $0 != 0 }))
        default: throw FP16OracleError(description: "unexpected dtype \(dtype) from the oracle")
        }
    }

    /// The oracle program: `python -c script MODEL KIND OUTDIR`.
    static let script = #"""
        import json, os, sys, time
        import numpy as np
        import onnx
        import onnxruntime as ort

        DATA = "/usr/share/doc/opencv-doc/examples/data"

        def photo(path, width, height, rows=None, columns=None):
            import cv2
            image = cv2.imread(os.path.join(DATA, path))  # BGR, as PP-OCR reads it
            if rows:
                image = image[rows[0]:rows[1], columns[0]:columns[1]]
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

        NUMPY = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64,
                 "tensor(int32)": np.int32, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_}

        def random_feeds(session):
            rng = np.random.default_rng(0)
            feeds = {}
            for item in session.get_inputs():
                shape = [d if isinstance(d, int) and d > 0 else 1 for d in item.shape]
                feeds[item.name] = rng.standard_normal(shape).astype(NUMPY[item.type])
            return feeds

        model, kind, outdir = sys.argv[1:4]
        record = {"inputs": [], "outputs": []}
        try:
            onnx.checker.check_model(onnx.load(model), full_check=True)
            record["checker"] = "ok"
        except Exception as error:
            record["checker"] = str(error)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.log_severity_level = 3
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        if kind == "random":
            feeds = random_feeds(session)
        else:
            feeds = {
                "det": lambda: {"x": photo("imageTextN.png", 640, 640)},  # a page of text
                # A text line crop of the recogniser's aspect ratio, as the detector hands
                # them over: "(c)ontain numerous suggestions", which it reads confidently.
                "rec": lambda: {"x": photo("imageTextN.png", 320, 48, rows=(123, 147), columns=(40, 200))},
                "cls": lambda: {"x": photo("imageTextN.png", 192, 48)},
                "ssd": lambda: {"image_tensor:0": frame(100)},
            }[kind]()
            types = {item.name: item.type for item in session.get_inputs()}
            feeds = {name: array.astype(NUMPY[types[name]]) for name, array in feeds.items()}
        names = [item.name for item in session.get_outputs()]
        session.run(names, feeds)
        started = time.perf_counter()
        outputs = session.run(names, feeds)
        record["seconds"] = time.perf_counter() - started
        for i, (name, array) in enumerate(feeds.items()):
            np.ascontiguousarray(array).tofile(os.path.join(outdir, f"input{i}.bin"))
            record["inputs"].append({"name": name, "dtype": str(array.dtype), "shape": list(array.shape),
                                     "file": f"input{i}.bin"})
        for i, (name, array) in enumerate(zip(names, outputs)):
            array = np.asarray(array)
            np.ascontiguousarray(array).tofile(os.path.join(outdir, f"output{i}.bin"))
            record["outputs"].append({"name": name, "dtype": str(array.dtype), "shape": list(array.shape),
                                      "file": f"output{i}.bin"})
        with open(os.path.join(outdir, "cases.json"), "w") as f:
            json.dump(record, f)
        """#
}
