import GSCore
import GSExec

/// One model input a dataset feeds: its name, static shape and element type, as the compiler
/// reads them from the model and its spec (GSSpec's `ModelInput`, converted by the build;
/// named differently so modules importing both need no qualification).
///
/// Messages write shapes as numpy does, `(1, 3, 48, 320)`: that is how users look at their
/// arrays.
public struct DatasetInput: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var elementType: Preprocessing.ElementType

    public init(name: String, shape: [Int], elementType: Preprocessing.ElementType) {
        self.name = name
        self.shape = shape
        self.elementType = elementType
    }
}

/// Where calibration and evaluation samples come from, told apart by the path.
public enum DataSource: Sendable, Hashable {
    /// A folder of `.jpg`, `.jpeg` and `.png` files (any case), taken in byte order of their
    /// names; other files, dot files and subfolders are ignored. Feeds a single image input
    /// through `Preprocessing`.
    case images(directory: String)
    /// One array whose first axis counts samples; feeds a single input.
    case npy(path: String)
    /// One array per input, named after it, each with samples along the first axis.
    case npz(path: String)

    /// A folder is images; a file is `.npy` or `.npz` by its extension.
    public init(path: String) throws(GSError) {
        switch FileSystem.kind(of: path) {
        case .directory:
            self = .images(directory: path)
        case .file where path.lowercased().hasSuffix(".npy"):
            self = .npy(path: path)
        case .file where path.lowercased().hasSuffix(".npz"):
            self = .npz(path: path)
        case .missing:
            throw GSError("dataset `\(path)` does not exist")
        default:
            throw GSError(
                "dataset `\(path)` is not a folder of images, an .npy or an .npz file",
                hint: "point it at a folder of JPEG/PNG images, or arrays saved with `np.save` / `np.savez`")
        }
    }

    public var path: String {
        switch self {
        case .images(let directory): directory
        case .npy(let path), .npz(let path): path
        }
    }
}

/// The samples of a data source, shaped for a model's inputs, each a `[input name: Tensor]`.
///
/// Opening checks everything that can be checked without decoding every image (files exist,
/// names, shapes and types agree with the inputs), so a build fails before it starts
/// calibrating. Sample order is fixed by the source (image names, array index), so the
/// same data always gives the same tensors in the same order.
public struct Dataset: Sendable {
    public let source: DataSource
    public let inputs: [DatasetInput]
    public let preprocessing: Preprocessing?
    /// One key per sample, what the split hashes: the image's file name (not its folder, so
    /// moving the folder keeps the split), or `sample-<index>` for arrays.
    public let keys: [String]
    public let imageLimits: ImageLimits
    private let storage: Storage

    private enum Storage: Sendable {
        case images(paths: [String])
        case npy(path: String, limit: Int)
        case npz(arrays: [String: Tensor])
    }

    public var count: Int { keys.count }

    /// Opens `source` for `inputs`. Images need `preprocessing`, whose output shape and
    /// element type must be the input's; arrays ignore it. Array files may hold at most
    /// `arrayLimit` bytes each.
    public init(
        _ source: DataSource, inputs: [DatasetInput], preprocessing: Preprocessing? = nil,
        imageLimits: ImageLimits = ImageLimits(), arrayLimit: Int = Npy.defaultLimit
    ) throws(GSError) {
        self.source = source
        self.inputs = inputs
        self.preprocessing = preprocessing
        self.imageLimits = imageLimits
        guard !inputs.isEmpty else { throw GSError("a dataset needs at least one model input") }
        for input in inputs where input.shape.contains(where: { $0 <= 0 }) {
            throw GSError(
                "input `\(input.name)` has shape \(shapeText(input.shape)); calibration and evaluation data "
                    + "need a static shape",
                hint: "fix the input's shape in the model spec")
        }
        switch source {
        case .images(let directory):
            let input = try Self.single(inputs, source: source)
            guard let preprocessing else {
                throw GSError(
                    "input `\(input.name)` is fed from images in `\(directory)` but has no preprocessing",
                    hint: "give the model a `preprocess` section (size, scale, mean, std, channel order)")
            }
            try preprocessing.validate()
            guard preprocessing.outputShape == input.shape else {
                throw GSError(
                    "preprocessing makes tensors of shape \(shapeText(preprocessing.outputShape)) "
                        + "(\(preprocessing.layout.rawValue), \(preprocessing.outputSize.width)x\(preprocessing.outputSize.height)), "
                        + "but input `\(input.name)` has shape \(shapeText(input.shape))")
            }
            guard preprocessing.elementType == input.elementType else {
                throw GSError(
                    "preprocessing makes \(preprocessing.elementType.rawValue) tensors, "
                        + "but input `\(input.name)` is \(input.elementType.rawValue)")
            }
            let names = try FileSystem.list(directory).filter { entry in
                guard entry.kind == .file, !entry.name.hasPrefix("."),
                    let dot = entry.name.utf8.lastIndex(of: UInt8(ascii: "."))
                else { return false }
                let ext = entry.name[entry.name.utf8.index(after: dot)...].lowercased()
                return ImageFormat.extensions.contains(ext)
            }.map(\.name)
            guard !names.isEmpty else {
                throw GSError(
                    "`\(directory)` holds no images (.jpg, .jpeg or .png)",
                    hint: "put calibration images in the folder, or point at an .npy / .npz file")
            }
            keys = names
            storage = .images(paths: names.map { FileSystem.join(directory, $0) })

        case .npy(let path):
            let input = try Self.single(inputs, source: source)
            let file = try NpyFile(path: path, limit: arrayLimit)
            let samples = try Self.sampleCount(of: file.header.shape, type: file.header.type, for: input, name: path)
            keys = (0..<samples).map { "sample-\($0)" }
            storage = .npy(path: path, limit: arrayLimit)

        case .npz(let path):
            let available = try Npz.names(path: path)
            let missing = inputs.map(\.name).filter { !available.contains($0) }
            if !missing.isEmpty {
                let has =
                    available.isEmpty ? "no arrays" : "arrays " + available.map { "`\($0)`" }.joined(separator: ", ")
                throw GSError(
                    "`\(path)` has no array for input \(missing.map { "`\($0)`" }.joined(separator: ", ")); it has \(has)",
                    hint: "save one array per model input, named after it: `np.savez(path, \(missing[0])=...)`")
            }
            let arrays = try Npz.read(path: path, names: Set(inputs.map(\.name)), limit: arrayLimit)
            var counts: [(String, Int)] = []
            for input in inputs {
                guard let array = arrays[input.name] else {
                    throw GSError("`\(path)`: cannot read array `\(input.name)`")
                }
                let count = try Self.sampleCount(
                    of: array.shape, type: NpyType(array.storage), for: input, name: "\(path)[\(input.name).npy]")
                counts.append((input.name, count))
            }
            let distinct = Set(counts.map(\.1))
            guard distinct.count == 1, let samples = distinct.first else {
                let listed = counts.map { "`\($0.0)` has \($0.1)" }.joined(separator: ", ")
                throw GSError("the arrays in `\(path)` hold different numbers of samples: \(listed)")
            }
            keys = (0..<samples).map { "sample-\($0)" }
            storage = .npz(arrays: arrays)
        }
    }

    /// Opens the data at `path` (see `DataSource(path:)`).
    public init(
        path: String, inputs: [DatasetInput], preprocessing: Preprocessing? = nil,
        imageLimits: ImageLimits = ImageLimits(), arrayLimit: Int = Npy.defaultLimit
    ) throws(GSError) {
        try self.init(
            try DataSource(path: path), inputs: inputs, preprocessing: preprocessing, imageLimits: imageLimits,
            arrayLimit: arrayLimit)
    }

    /// Sample `index` (0..<count), one tensor per input, each of the input's exact shape.
    public func sample(_ index: Int) throws(GSError) -> [String: Tensor] {
        guard index >= 0, index < count else {
            throw GSError("sample \(index) is out of range: `\(source.path)` has \(count)")
        }
        switch storage {
        case .images(let paths):
            let image = try ImageDecoder.load(path: paths[index], limits: imageLimits)
            guard let preprocessing else { throw GSError("images need preprocessing") }
            let tensor: Tensor
            do {
                tensor = try preprocessing.apply(image)
            } catch {
                throw GSError("`\(paths[index])`: \(error.message)", hint: error.hint)
            }
            return [inputs[0].name: tensor]
        case .npy(let path, let limit):
            let file = try NpyFile(path: path, limit: limit)
            var tensor = try file.read(first: index..<(index + 1))
            tensor.shape = inputs[0].shape
            return [inputs[0].name: tensor]
        case .npz(let arrays):
            var sample: [String: Tensor] = [:]
            for input in inputs {
                guard let array = arrays[input.name] else { continue }
                sample[input.name] = array.sample(index, shape: input.shape)
            }
            return sample
        }
    }

    /// How the image behind `key` is scaled into the model input (x and y: input pixels per
    /// image pixel), so labels in image pixels can be compared with what the model sees;
    /// nil for arrays (already tensors) and unknown keys.
    public func inputScale(_ key: String) throws(GSError) -> (x: Float, y: Float)? {
        guard case .images(let paths) = storage, let preprocessing, let index = keys.firstIndex(of: key) else {
            return nil
        }
        let image = try ImageDecoder.load(path: paths[index], limits: imageLimits)
        let size = preprocessing.resizedSize(width: image.width, height: image.height)
        return (Float(size.width) / Float(image.width), Float(size.height) / Float(image.height))
    }

    /// The samples at `indices`, in that order, decoded on every core.
    public func samples(_ indices: [Int]) throws(GSError) -> [[String: Tensor]] {
        let results = parallelMap(indices.count) { position in
            Result { () throws(GSError) in try sample(indices[position]) }
        }
        return try results.map { result throws(GSError) in try result.get() }
    }

    /// Up to `limit` calibration samples (see `split`), in order.
    public func calibrationSamples(limit: Int, evaluationFraction: Double = 0.5) throws(GSError) -> [[String: Tensor]] {
        try samples(Array(split(evaluationFraction: evaluationFraction).calibration.prefix(max(0, limit))))
    }

    /// Up to `limit` evaluation samples (see `split`), in order.
    public func evaluationSamples(limit: Int, evaluationFraction: Double = 0.5) throws(GSError) -> [[String: Tensor]] {
        try samples(Array(split(evaluationFraction: evaluationFraction).evaluation.prefix(max(0, limit))))
    }

    /// The keys (image file names) of `evaluationSamples(limit:)`, in the same order.
    public func evaluationKeys(limit: Int, evaluationFraction: Double = 0.5) -> [String] {
        split(evaluationFraction: evaluationFraction).evaluation.prefix(max(0, limit)).map { keys[$0] }
    }

    /// Disjoint calibration and evaluation subsets (see `DatasetSplit`).
    public func split(evaluationFraction: Double = 0.5) -> DatasetSplit {
        DatasetSplit(keys: keys, evaluationFraction: evaluationFraction)
    }

    // MARK: - Checks

    private static func single(_ inputs: [DatasetInput], source: DataSource) throws(GSError) -> DatasetInput {
        guard inputs.count == 1 else {
            let names = inputs.map { "`\($0.name)`" }.joined(separator: ", ")
            throw GSError(
                "`\(source.path)` feeds one input, but the model has \(inputs.count): \(names)",
                hint: "give an .npz with one array per input, named after it")
        }
        return inputs[0]
    }

    /// Samples in an array of `shape` for `input`: the first axis counts them, and each is
    /// the input's shape, or that shape without its leading batch axis of 1.
    private static func sampleCount(of shape: [Int], type: NpyType, for input: DatasetInput, name: String)
        throws(GSError) -> Int
    {
        let expected: NpyType = input.elementType == .float32 ? .float32 : .uint8
        guard type == expected else {
            throw GSError(
                "`\(name)` holds \(type.name) data, but input `\(input.name)` is \(expected.name)",
                hint: "convert it in numpy: `arr.astype(np.\(expected.name))`")
        }
        let sample = Array(shape.dropFirst())
        let withoutBatch = input.shape.first == 1 ? Array(input.shape.dropFirst()) : nil
        guard let first = shape.first, sample == input.shape || sample == withoutBatch else {
            var accepted = samplesText(input.shape)
            if let withoutBatch { accepted += " or " + samplesText(withoutBatch) }
            throw GSError(
                "`\(name)` has shape \(shapeText(shape)), which does not hold samples of input `\(input.name)` "
                    + "\(shapeText(input.shape)); expected \(accepted) with N samples along the first axis")
        }
        guard first > 0 else { throw GSError("`\(name)` holds no samples (its first axis is 0)") }
        return first
    }

    /// `[3, 4]` -> `(N, 3, 4)`: an array of N samples of that shape, for messages.
    private static func samplesText(_ sample: [Int]) -> String {
        sample.isEmpty ? "(N,)" : "(N, " + sample.map(String.init).joined(separator: ", ") + ")"
    }
}
