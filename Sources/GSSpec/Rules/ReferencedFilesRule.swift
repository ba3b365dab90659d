import GSCore

/// GS303 and GS304: files specs point at must exist, and a model must be the exact file its
/// digest pins (a model swapped behind a spec's back would ship unreviewed).
struct ReferencedFilesRule: Rule {
    var codes: [DiagnosticCode] { [.missingFile, .digestMismatch] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        guard context.checkFiles else { return [] }
        var findings: [Diagnostic] = []
        var sources: [(model: Model, path: String)] = []
        for model in context.specs.models {
            if let source = model.source, let path = model.sourcePath {
                if FileSystem.kind(of: path) == .file {
                    sources.append((model, path))
                } else {
                    findings.append(
                        Diagnostic(
                            .missingFile, source.location, "model file `\(path)` does not exist",
                            hint: "fix `source` (relative to this file), or run `make models` for the large ones"))
                }
            }
            for data in [model.calibration?.data, model.evaluation.data, model.evaluation.labels].compactMap({ $0 }) {
                let path = FileSystem.resolve(data.value, relativeTo: model.meta.directory)
                if !FileSystem.exists(path) {
                    findings.append(
                        Diagnostic(
                            .missingFile, data.location, "data `\(path)` does not exist",
                            hint: "paths are relative to the spec file"))
                }
            }
        }
        for workflow in context.specs.workflows {
            for task in workflow.tasks {
                for file in task.files where !FileSystem.exists(file.value) {
                    findings.append(
                        Diagnostic(
                            .missingFile, file.location, "task file `\(file.value)` does not exist",
                            hint: "paths are relative to the spec file"))
                }
            }
        }
        // Each distinct file is hashed once, all of them in parallel.
        let paths = Array(Set(sources.map(\.path))).sorted()
        let digests = parallelMap(paths.count) { index in
            Result { () throws(GSError) in try SHA256.hex(ofFile: paths[index]) }
        }
        let byPath = Dictionary(uniqueKeysWithValues: zip(paths, digests))
        for (model, path) in sources {
            guard let expected = model.sha256, StringFormat.sha256.accepts(expected.value) else { continue }
            switch byPath[path] {
            case .success(let actual) where actual != expected.value:
                findings.append(
                    Diagnostic(
                        .digestMismatch, expected.location,
                        "`\(path)` has sha256 \(actual), not the one pinned here",
                        hint: "if the new file is intended, pin `sha256: \(actual)`"))
            case .failure(let error):
                findings.append(Diagnostic(.missingFile, expected.location, error.message))
            default: break
            }
        }
        return findings
    }
}
