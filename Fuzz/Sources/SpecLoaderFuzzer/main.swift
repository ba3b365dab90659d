// libFuzzer target for the spec loader: arbitrary bytes go through YAML parsing (libyaml),
// the located node tree, schema validation, typed decoding, every lint rule and the
// machine-readable formatters. None of it may crash, hang or grow without bound: the loader
// bounds nesting depth, alias expansion and file size, and this target is what proves it.
//
// Built with `-sanitize=fuzzer,address -parse-as-library` by Fuzz/run.sh; libFuzzer provides
// `main`. The file is named main.swift only so that a tools-version-5.3 manifest treats the
// target as an executable.

import GSCore
import GSSpec

#if canImport(Glibc)
    import Glibc
#endif

/// A path inside a directory that does not exist: resolving relative `source:`/`data:`
/// paths against it stays lexical, and nothing in the target reads the disk.
private let fuzzPath = "/nonexistent-gsctl-fuzz/specs/input.yaml"

private let lintOptions: LintOptions = {
    var options = LintOptions()
    options.checkFiles = false  // never touch the disk
    return options
}()

/// Set GSCTL_FUZZ_PRINT=1 to print each input's JSON report (when replaying reproducers).
private let printReports = getenv("GSCTL_FUZZ_PRINT") != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpecLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []

    let loaded = SpecLoader.load(bytes: bytes, path: fuzzPath, limits: lintOptions.limits)
    let report = Linter.lint(loaded, options: lintOptions)

    // Cheap invariants every finding must keep, whatever the input: formatters, editors
    // and SARIF consumers rely on 1-based positions inside the file that was loaded.
    for diagnostic in report.diagnostics {
        precondition(
            diagnostic.location.line >= 1 && diagnostic.location.column >= 1,
            "diagnostic at non-positive position \(diagnostic.location): \(diagnostic.message)")
        precondition(!diagnostic.code.isEmpty, "diagnostic without a code: \(diagnostic.message)")
    }
    precondition(report.fileCount == 1, "one input is one file, got \(report.fileCount)")

    // The formatters that never read the disk (text re-reads the source file for context).
    // They escape whatever text the input put into messages.
    let json = DiagnosticFormat.json.render(report, strict: true, color: false)
    _ = DiagnosticFormat.github.render(report, strict: false, color: false)
    if printReports {
        // `GSCTL_FUZZ_PRINT=1 SpecLoaderFuzzer input`: see what an input produces.
        print(json)
    }
    return 0
}
