import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where one tensor's data lives outside the model file: `location` relative to the model's
/// folder, a byte `offset` and `length` (the external_data keys ONNX defines). Models over
/// 2 GB must keep their weights this way, since one protobuf message cannot exceed 2 GB.
public struct ExternalDataReference: Sendable, Hashable {
    /// Path of the data file, relative to the model's folder.
    public var location: String
    /// Where the tensor's bytes start in that file.
    public var offset: Int
    /// How many bytes; nil means to the end of the file.
    public var length: Int?
    /// The optional SHA-1 the writer recorded (not verified: ONNX tools do not either).
    public var checksum: String?

    /// A reference from its parts.
    public init(location: String, offset: Int = 0, length: Int? = nil, checksum: String? = nil) {
        self.location = location
        self.offset = offset
        self.length = length
        self.checksum = checksum
    }

    /// Parses a tensor's external_data entries; throws on a missing location or bad numbers.
    public init(_ tensor: TensorProto) throws(ONNXError) {
        guard let location = tensor.externalData["location"] else {
            throw ONNXError(.externalData, "tensor '\(tensor.name)' is external but has no 'location'")
        }
        /// A non-negative decimal entry, nil when absent.
        func number(_ key: String) throws(ONNXError) -> Int? {
            guard let text = tensor.externalData[key] else { return nil }
            guard let value = Int(text), value >= 0 else {
                throw ONNXError(.externalData, "tensor '\(tensor.name)' has external data \(key) '\(text)'")
            }
            return value
        }
        self.location = location
        offset = try number("offset") ?? 0
        length = try number("length")
        checksum = tensor.externalData["checksum"]
    }

    /// The external_data entries for this reference, in the order `onnx` writes them.
    public var entries: [StringStringEntryProto] {
        var entries = [StringStringEntryProto(key: "location", value: location)]
        entries.append(StringStringEntryProto(key: "offset", value: String(offset)))
        if let length { entries.append(StringStringEntryProto(key: "length", value: String(length))) }
        if let checksum { entries.append(StringStringEntryProto(key: "checksum", value: checksum)) }
        return entries
    }
}

/// How `ModelFile.save` moves large tensors out of the model file.
public struct ExternalDataOptions: Sendable, Hashable {
    /// The data file, relative to the model's folder.
    public var location: String
    /// Tensors with at least this many bytes of raw data move (smaller ones stay inline).
    public var threshold: Int
    /// Each tensor starts at a multiple of this (1: packed; 4096 lets readers map pages).
    public var alignment: Int

    /// Options with `onnx`'s default threshold (1024 bytes) and no padding.
    public init(location: String, threshold: Int = 1024, alignment: Int = 1) {
        self.location = location
        self.threshold = threshold
        self.alignment = max(1, alignment)
    }
}

/// Reading tensors' external data into memory and writing it out, with path checks: a model
/// may only point at files inside its own folder.
public enum ExternalData {
    /// Throws unless `location` is a relative path that stays inside the model's folder.
    public static func checkLocation(_ location: String) throws(ONNXError) {
        if location.isEmpty { throw ONNXError(.externalData, "external data location is empty") }
        if location.utf8.contains(0) || location.utf8.contains(UInt8(ascii: "\\")) {
            throw ONNXError(.externalData, "external data location '\(location)' has a NUL or a backslash")
        }
        if location.hasPrefix("/") {
            throw ONNXError(.externalData, "external data location '\(location)' is an absolute path")
        }
        if location.split(separator: "/").contains("..") {
            throw ONNXError(.externalData, "external data location '\(location)' leaves the model's folder ('..')")
        }
    }

    /// The files `model`'s external tensors live in (relative to its folder), sorted; the
    /// model's sha256 does not cover them, so whatever keys on the model must add them.
    public static func locations(of model: ModelProto) -> [String] {
        var copy = model
        var found: Set<String> = []
        copy.forEachTensor { tensor in
            if tensor.isExternal, let location = tensor.externalData.first(where: { $0.key == "location" })?.value {
                found.insert(location)
            }
        }
        return found.sorted()
    }

    /// Reads every external tensor of `model` (all graphs and functions) from files under
    /// `directory` into raw_data, and marks it stored inline.
    public static func load(into model: inout ModelProto, directory: String) throws(ONNXError) {
        let files = OpenFiles(directory: directory)
        do {
            try model.forEachTensor { tensor in try load(&tensor, from: files) }
        } catch {
            throw ONNXError.wrapping(error)
        }
    }

    /// Reads one external tensor's data into raw_data.
    private static func load(_ tensor: inout TensorProto, from files: OpenFiles) throws(ONNXError) {
        guard tensor.isExternal else { return }
        let reference = try ExternalDataReference(tensor)
        let bytes = try files.read(reference, tensor: tensor.name)
        if let expected = tensor.dataByteCount, tensor.dataType != .string, tensor.dataType != .undefined,
            expected != bytes.count
        {
            throw ONNXError(
                .externalData,
                "tensor '\(tensor.name)' has \(bytes.count) bytes in '\(reference.location)', dims \(tensor.dims) of \(tensor.dataType) need \(expected)"
            )
        }
        tensor.rawData = bytes
        tensor.externalData = []
        tensor.dataLocation = 0
        tensor.wire.forget(14)
    }

    /// A tensor's typed values as raw little-endian bytes, for the element types whose typed
    /// field holds one value per element (float, double, int64, int32); nil otherwise.
    static func rawBytes(ofTyped tensor: TensorProto) -> [UInt8]? {
        func bytes<T>(_ values: [T]?) -> [UInt8]? { values.map { $0.withUnsafeBytes { [UInt8]($0) } } }
        switch tensor.dataType {
        case .float: return bytes(try? tensor.floats())
        case .double: return bytes(try? tensor.doubles())
        case .int64: return bytes(try? tensor.int64s())
        case .int32: return bytes(try? tensor.int32s())
        default: return nil
        }
    }

    /// Moves the raw data of tensors at or over the threshold into `options.location` under
    /// `directory` (written atomically) and points the tensors at it.
    public static func write(_ model: inout ModelProto, directory: String, options: ExternalDataOptions)
        throws(ONNXError)
    {
        try checkLocation(options.location)
        let path = FileSystem.join(directory, options.location)
        let parent = FileSystem.directory(of: path)
        do { try FileSystem.makeDirectories(parent) } catch { throw ONNXError(.io, error.message) }
        let temporary = FileSystem.join(parent, ".\(FileSystem.basename(path)).tmp-\(getpid())")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ONNXError(.io, "cannot write '\(temporary)': \(FileSystem.errnoText())") }
        var offset = 0
        do {
            try model.forEachTensor { tensor in
                // Weights in typed fields (float_data, int64_data: `onnx.helper.make_tensor`'s
                // default, and Constant nodes turned initializers) move as their raw bytes.
                if tensor.rawData == nil, !tensor.isExternal, let raw = Self.rawBytes(ofTyped: tensor),
                    raw.count >= options.threshold
                {
                    tensor.rawData = raw
                    tensor.floatData = []
                    tensor.doubleData = []
                    tensor.int64Data = []
                    tensor.int32Data = []
                }
                guard let raw = tensor.rawData, raw.count >= options.threshold, !tensor.isExternal else { return }
                let padding = (options.alignment - offset % options.alignment) % options.alignment
                if padding > 0 {
                    try writeAll(fd, [UInt8](repeating: 0, count: padding), path: path)
                    offset += padding
                }
                try writeAll(fd, raw, path: path)
                tensor.externalData =
                    ExternalDataReference(location: options.location, offset: offset, length: raw.count)
                    .entries
                tensor.dataLocation = TensorProto.externalLocation
                tensor.rawData = nil
                offset += raw.count
            }
            guard fsync(fd) == 0 else { throw ONNXError(.io, "cannot write '\(path)': \(FileSystem.errnoText())") }
        } catch {
            close(fd)
            unlink(temporary)
            throw ONNXError.wrapping(error)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = FileSystem.errnoText()
            unlink(temporary)
            throw ONNXError(.io, "cannot write '\(path)': \(reason)")
        }
    }

    /// Writes all of `bytes`, retrying short writes.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(ONNXError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress.map { $0 + written }, raw.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ONNXError(.io, "cannot write '\(path)': \(FileSystem.errnoText())")
            }
            written += count
        }
    }
}

/// The data files one load reads, each opened once and closed when the load ends.
private final class OpenFiles {
    /// The model's folder, resolved (symlinks and all).
    let directory: String
    /// Resolved folder, or nil when it does not exist.
    let resolvedDirectory: String?
    /// Open descriptors and sizes by location.
    var files: [String: (fd: Int32, size: Int)] = [:]

    /// Files under `directory`.
    init(directory: String) {
        self.directory = directory
        resolvedDirectory = OpenFiles.realPath(directory)
    }

    /// Closes what the load opened.
    deinit { for file in files.values { close(file.fd) } }

    /// `realpath(3)`, nil when the path does not resolve.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The bytes `reference` points at, after the path checks.
    func read(_ reference: ExternalDataReference, tensor: String) throws(ONNXError) -> [UInt8] {
        let file = try open(reference.location, tensor: tensor)
        guard reference.offset <= file.size else {
            throw ONNXError(
                .externalData,
                "tensor '\(tensor)' starts at byte \(reference.offset) of '\(reference.location)', which has \(file.size)"
            )
        }
        let length = reference.length ?? (file.size - reference.offset)
        guard length <= file.size - reference.offset else {
            throw ONNXError(
                .externalData,
                "tensor '\(tensor)' needs bytes \(reference.offset)..<\(reference.offset)+\(length) of '\(reference.location)', which has \(file.size)"
            )
        }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            var filled = 0
            while filled < length {
                let count = pread(
                    file.fd, buffer.baseAddress.map { $0 + filled }, length - filled, off_t(reference.offset + filled))
                if count < 0, errno == EINTR { continue }
                if count <= 0 {
                    failure = count < 0 ? errno : EIO
                    break
                }
                filled += count
            }
            initialized = filled
        }
        guard failure == 0 else {
            throw ONNXError(.io, "cannot read '\(reference.location)': \(FileSystem.errnoText(failure))")
        }
        return bytes
    }

    /// Opens `location` once, checking that it resolves inside the model's folder.
    private func open(_ location: String, tensor: String) throws(ONNXError) -> (fd: Int32, size: Int) {
        if let file = files[location] { return file }
        try ExternalData.checkLocation(location)
        let path = FileSystem.join(directory, location)
        guard let resolvedDirectory, let resolved = OpenFiles.realPath(path) else {
            throw ONNXError(
                .externalData, "tensor '\(tensor)' points at '\(location)', which does not exist next to the model")
        }
        let prefix = resolvedDirectory.hasSuffix("/") ? resolvedDirectory : resolvedDirectory + "/"
        guard resolved.hasPrefix(prefix) else {
            throw ONNXError(.externalData, "external data location '\(location)' resolves outside the model's folder")
        }
        let fd = Glibc.open(resolved, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ONNXError(.io, "cannot open '\(path)': \(FileSystem.errnoText())") }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw ONNXError(.externalData, "external data location '\(location)' is not a regular file")
        }
        let file = (fd: fd, size: Int(info.st_size))
        files[location] = file
        return file
    }
}
