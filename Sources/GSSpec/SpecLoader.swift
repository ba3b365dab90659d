import GSCore

/// What loading a spec repository produced.
public struct LoadResult: Sendable {
    public var specs: SpecSet
    public var diagnostics: [Diagnostic]
}

/// Finds spec files under the given paths, loads and validates them on every core, and
/// builds the typed objects.
public enum SpecLoader {
    public static func load(paths: [String], limits: LoadLimits = LoadLimits()) -> LoadResult {
        var diagnostics: [Diagnostic] = []
        let files = collectFiles(paths, diagnostics: &diagnostics)
        let results = parallelMap(files.count) { index in
            loadFile(files[index], limits: limits)
        }
        var specs = SpecSet()
        for result in results {
            specs.append(result.specs)
            diagnostics += result.diagnostics
        }
        return LoadResult(specs: specs, diagnostics: diagnostics)
    }

    /// One file: YAML, schema validation per document, typed objects.
    public static func loadFile(_ path: String, limits: LoadLimits = LoadLimits()) -> LoadResult {
        let loaded = YAMLLoader.load(path: path, limits: limits)
        return decode(loaded)
    }

    /// Bytes already in memory (tests, fuzzing, stdin).
    public static func load(bytes: [UInt8], path: String, limits: LoadLimits = LoadLimits()) -> LoadResult {
        decode(YAMLLoader.load(bytes: bytes, path: path, limits: limits))
    }

    static func decode(_ loaded: LoadedFile) -> LoadResult {
        var diagnostics = loaded.diagnostics
        var specs = SpecSet()
        specs.files = [loaded.path]
        // Paths in specs read from standard input are relative to the working directory.
        let directory = loaded.path == "<stdin>" ? "." : FileSystem.directory(of: loaded.path)
        var validator = SchemaValidator(file: loaded.path)
        for document in loaded.documents {
            // A bare `---` or a comment-only document is not an object.
            if case .scalar(let text, .plain) = document.root.value, ScalarResolution.core(text) == .null {
                continue
            }
            specs.documentCount += 1
            guard let kind = validator.validateDocument(document.root) else { continue }
            let root = NodeReader(document.root, file: loaded.path)
            guard let meta = ObjectDecoder.meta(root, directory: directory), let spec = root["spec"],
                case .mapping = spec.node.value
            else { continue }
            switch kind {
            case .Device: specs.devices.append(ObjectDecoder.device(spec, meta))
            case .Host: specs.hosts.append(ObjectDecoder.host(spec, meta))
            case .Model: specs.models.append(ObjectDecoder.model(spec, meta))
            case .Workflow: specs.workflows.append(ObjectDecoder.workflow(spec, meta))
            case .Deployment: specs.deployments.append(ObjectDecoder.deployment(spec, meta))
            }
        }
        diagnostics += validator.diagnostics
        if specs.documentCount == 0, diagnostics.isEmpty {
            diagnostics.append(
                Diagnostic(
                    .emptyFile, .file(loaded.path), "file holds no YAML documents",
                    hint: "add a spec or remove the file"))
        }
        return LoadResult(specs: specs, diagnostics: diagnostics)
    }

    /// Spec files under `paths`: files as given, directories walked for `.yaml`/`.yml`
    /// (hidden directories skipped, links to directories not followed), sorted.
    public static func collectFiles(_ paths: [String], diagnostics: inout [Diagnostic]) -> [String] {
        var files: [String] = []
        for path in paths {
            if path == "-" {
                files.append(path)
                continue
            }
            switch FileSystem.kind(of: path) {
            case .file, .other: files.append(path)
            case .directory: walk(path, into: &files, diagnostics: &diagnostics)
            case .missing:
                diagnostics.append(
                    Diagnostic(
                        .unreadableFile, .file(path), "no such file or directory",
                        hint: "check the path; gsctl lint takes files and folders of specs"))
            }
        }
        var seen: Set<String> = []
        return files.filter { seen.insert($0).inserted }
    }

    static func walk(_ directory: String, into files: inout [String], diagnostics: inout [Diagnostic]) {
        let entries: [(name: String, kind: FileSystem.Kind)]
        do {
            entries = try FileSystem.list(directory)
        } catch {
            diagnostics.append(Diagnostic(.unreadableFile, .file(directory), error.message))
            return
        }
        for entry in entries where !entry.name.hasPrefix(".") {
            let path = FileSystem.join(directory, entry.name)
            switch entry.kind {
            case .directory: walk(path, into: &files, diagnostics: &diagnostics)
            case .file where entry.name.hasSuffix(".yaml") || entry.name.hasSuffix(".yml"): files.append(path)
            default: break
            }
        }
    }
}
