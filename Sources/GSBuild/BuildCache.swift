import GSCore
import GSData
import GSExec
import GSOptimize
import ONNX

/// Compiled variants by build key, in a directory CI runners can keep between jobs:
/// `<root>/<key>/` holds model.onnx, report.json, golden-input.npz and golden-output.npz,
/// written to a temporary directory and renamed, so an entry is complete or absent.
public struct BuildCache: Sendable {
    public let root: String
    /// Compiled models larger than this are stored with their weights in `model.onnx.data`
    /// (protobuf cannot hold a message over 2 GiB).
    public var inlineModelLimit: Int

    public init(root: String, inlineModelLimit: Int = ModelFile.maxFileSize) throws(GSError) {
        self.root = root
        self.inlineModelLimit = inlineModelLimit
        try FileSystem.makeDirectories(root)
    }

    /// A cached variant's files.
    public struct Entry: Sendable {
        public var directory: String
        public var model: String { directory + "/model.onnx" }
        /// The weights of a model too large for one file (absent otherwise).
        public var modelData: String { directory + "/model.onnx.data" }
        public var report: String { directory + "/report.json" }
        public var goldenInput: String { directory + "/golden-input.npz" }
        public var goldenOutput: String { directory + "/golden-output.npz" }
    }

    public func entry(_ key: String) -> Entry? {
        let directory = FileSystem.join(root, key)
        let entry = Entry(directory: directory)
        guard FileSystem.kind(of: entry.report) == .file, FileSystem.kind(of: entry.model) == .file else { return nil }
        return entry
    }

    /// Stores a compiled variant under `key` and returns its entry.
    public func store(_ key: String, variant: CompiledVariant) throws(GSError) -> Entry {
        let final = FileSystem.join(root, key)
        let temporary = FileSystem.join(root, ".\(key).tmp-\(ProcessIdentity.current)")
        FileSystem.removeTree(temporary)
        try FileSystem.makeDirectories(temporary)
        let staging = Entry(directory: temporary)
        do throws(ONNXError) {
            try ModelFile.saveSplittingIfLarge(variant.model, to: staging.model, limit: inlineModelLimit)
        } catch {
            throw GSError("cannot write the compiled model: \(error)")
        }
        try FileSystem.writeAtomically(variant.report.json.pretty, to: staging.report)
        try Npz.write(GoldenNames.encode(variant.goldenInput), to: staging.goldenInput)
        try Npz.write(GoldenNames.encode(variant.goldenOutputs), to: staging.goldenOutput)
        FileSystem.removeTree(final)
        guard FileSystem.rename(temporary, to: final) else {
            throw GSError("cannot store the build cache entry `\(final)`: \(FileSystem.errnoText())")
        }
        return Entry(directory: final)
    }
}

/// Tensor names as .npz member names: ONNX names may hold `/` (TensorFlow scopes), which a
/// zip member name cannot, so `%` and `/` are percent-encoded (`a/b:0` -> `a%2Fb:0`);
/// docs/bundle.md tells readers to decode them.
public enum GoldenNames {
    public static func encode(_ tensors: [String: Tensor]) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.map { (encode($0.key), $0.value) })
    }

    public static func encode(_ name: String) -> String {
        var out = ""
        for character in name {
            switch character {
            case "%": out += "%25"
            case "/": out += "%2F"
            default: out.append(character)
            }
        }
        return out
    }

    public static func decode(_ name: String) -> String {
        name.replacing("%2F", with: "/").replacing("%25", with: "%")
    }
}
