import GSCore

/// Models on disk: read and check that the bytes are an ONNX model, resolve external data,
/// and write models back (atomically), moving large weights to an external file on request.
public enum ModelFile {
    /// The largest model file protobuf readers accept (2 GiB - 1).
    public static let maxFileSize = Int(Int32.max)

    /// Reads the model at `path`; with `loadExternalData`, tensors stored in external files
    /// next to it are read into memory (after the path checks of `ExternalData`).
    public static func load(_ path: String, loadExternalData: Bool = true) throws(ONNXError) -> ModelProto {
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(path) } catch { throw ONNXError(.io, error.message) }
        var model = try decode(bytes, file: path)
        if loadExternalData {
            do throws(ONNXError) {
                try ExternalData.load(into: &model, directory: FileSystem.directory(of: path))
            } catch {
                var error = error
                error.file = path
                throw error
            }
        }
        return model
    }

    /// Decodes `bytes` and checks they are a model (an IR version and a graph), not merely
    /// protobuf; `file` names the source in errors.
    public static func decode(_ bytes: [UInt8], file: String? = nil) throws(ONNXError) -> ModelProto {
        do throws(ONNXError) {
            let model = try ModelProto(serialized: bytes)
            guard model.wire.has(1) || model.irVersion != 0 else {
                throw ONNXError(.notAModel, "no ir_version (field 1)")
            }
            guard model.wire.has(7) else { throw ONNXError(.notAModel, "no graph (field 7)") }
            return model
        } catch {
            var error = error
            error.file = file
            throw error
        }
    }

    /// Writes `model` to `path` atomically. With `externalData`, tensors over its threshold
    /// go to that file first (in the same folder); without, a model over 2 GiB is refused.
    public static func save(_ model: ModelProto, to path: String, externalData: ExternalDataOptions? = nil)
        throws(ONNXError)
    {
        var model = model
        if let externalData {
            try ExternalData.write(&model, directory: FileSystem.directory(of: path), options: externalData)
        }
        let bytes = model.serialized()
        guard bytes.count <= maxFileSize else {
            throw ONNXError(
                .tooLarge,
                "model is \(bytes.count) bytes, over protobuf's 2 GiB limit; save it with external data",
                file: path)
        }
        do { try FileSystem.writeAtomically(bytes, to: path) } catch { throw ONNXError(.io, error.message, file: path) }
    }

    /// Writes `model` to `path` as one file when it fits in `limit` bytes (protobuf's 2 GiB),
    /// else with every tensor of 1 KiB or more in `<file name>.data` beside it, page-aligned,
    /// as `onnx.save_model(..., save_as_external_data=True)` would: a compiled model over 2 GiB
    /// is written, not refused after its compile. Returns the data file's name when one was
    /// written; a stale one from an earlier, larger save is removed.
    @discardableResult
    public static func saveSplittingIfLarge(_ model: ModelProto, to path: String, limit: Int = maxFileSize)
        throws(ONNXError) -> String?
    {
        let location = FileSystem.basename(path) + ".data"
        let bytes = model.serialized()
        if bytes.count <= limit {
            do { try FileSystem.writeAtomically(bytes, to: path) } catch {
                throw ONNXError(.io, error.message, file: path)
            }
            FileSystem.removeTree(FileSystem.join(FileSystem.directory(of: path), location))
            return nil
        }
        try save(model, to: path, externalData: ExternalDataOptions(location: location, alignment: 4096))
        return location
    }
}
