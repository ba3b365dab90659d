import Foundation
import GSCore
import GSSpec
import Testing

/// Hostile and degenerate inputs: each gets a clear finding at a place, never a crash or a
/// hang (the codes whose inputs a marked fixture cannot hold).
@Suite struct GeneratedInputTests {
    let directory = MarkedFixture.temporaryDirectory()

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func codes(_ report: LintReport) -> [String] { report.diagnostics.map(\.code) }

    @Test func missingPathIsGS100AtThePath() {
        let report = Linter.lint(paths: [directory + "/nope"])
        #expect(codes(report) == ["GS100"])
        #expect(report.diagnostics.first?.location == .file(directory + "/nope"))
    }

    @Test func unreadableFileIsGS100() throws {
        let path = write("secret.yaml", Array("apiVersion: gs.ai/v1\n".utf8))
        chmod(path, 0)
        defer { chmod(path, 0o644) }
        // Root reads anything; the test is only meaningful for other users.
        guard getuid() != 0 else { return }
        #expect(codes(Linter.lint(paths: [path])) == ["GS100"])
    }

    @Test func binaryFileIsGS102NotASyntaxError() {
        var bytes = Array("\u{7F}ELF".utf8)
        bytes += [UInt8](repeating: 0, count: 64) + (0..<255).map { UInt8($0) }
        let report = Linter.lint(paths: [write("model.yaml", bytes)])
        #expect(codes(report) == ["GS102"])
        #expect(report.diagnostics.first?.message.contains("binary") == true)
    }

    @Test func invalidUTF8IsGS102WithTheByteOffset() {
        let bytes =
            Array("apiVersion: gs.ai/v1\nkind: Device\nmetadata: {name: caf".utf8) + [0xC3, 0x28] + Array("}\n".utf8)
        let report = Linter.lint(paths: [write("latin.yaml", bytes)])
        #expect(codes(report) == ["GS102"])
        // 0xC3 (column 21) must be followed by a continuation byte; the `(` after it is not.
        #expect(
            report.diagnostics.first?.location == SourceLocation(file: directory + "/latin.yaml", line: 3, column: 22))
        #expect(report.diagnostics.first?.message.contains("byte 55") == true)
    }

    @Test func tenThousandDeepNestingIsGS104AtTheLimit() {
        let depth = 10_000
        let text =
            "apiVersion: gs.ai/v1\nkind: Workflow\nmetadata: {name: deep}\nspec:\n  tasks: [{name: a, uses: command, command: a, params: {x: "
            + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}}]\n"
        var report = Linter.lint(paths: [write("deep.yaml", Array(text.utf8))])
        report.diagnostics.removeAll { $0.severity == .note }
        #expect(codes(report) == ["GS104"])
        // Limit 64: the document, spec, tasks, the task and params take 5 levels, so 59
        // lists fit and the 60th, after the 59 columns of prefix, is reported.
        #expect(report.diagnostics.first?.location.line == 5)
        #expect(report.diagnostics.first?.location.column == 59 + 60)
    }

    @Test func fiftyMegabyteFileIsGS106WithoutReadingIt() {
        let path = directory + "/huge.yaml"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = FileHandle(forWritingAtPath: path)
        // A sparse 50 MB file: its size is known from stat, nothing is read.
        handle?.truncateFile(atOffset: 50 << 20)
        handle?.closeFile()
        let report = Linter.lint(paths: [path])
        #expect(codes(report) == ["GS106"])
        #expect(report.diagnostics.first?.message.contains("52428800 bytes") == true)
    }

    @Test func largeFileUnderTheLimitLintsCompletely() {
        // 2,000 documents in one 0.9 MB file: all loaded, one finding each.
        var text = ""
        for index in 0..<2000 {
            text += "---\napiVersion: gs.ai/v1\nkind: Device\nmetadata: {name: d\(index)}\nspec:\n  arch: x86_64\n"
            text += "  runtimes: [{name: onnxruntime, version: \"1.20.1\", format: onnx, precisions: [fp32]}]\n"
            text += "  colour: blue\n"
        }
        var options = LintOptions()
        options.checkFiles = false
        let report = Linter.lint(paths: [write("many.yaml", Array(text.utf8))], options: options)
        #expect(report.documentCount == 2000)
        #expect(report.diagnostics.filter { $0.code == "GS202" }.count == 2000)
    }

    @Test func emptyFilesAreGS107Warnings() {
        for (name, text) in [("empty.yaml", ""), ("comments.yaml", "# nothing here\n"), ("dashes.yaml", "---\n---\n")] {
            let report = Linter.lint(paths: [write(name, Array(text.utf8))])
            #expect(codes(report) == ["GS107"], "\(name)")
            #expect(report.diagnostics.first?.severity == .warning)
            #expect(!report.diagnostics.fails(strict: false))
            #expect(report.diagnostics.fails(strict: true))
        }
    }

    @Test func folderOfTenThousandFilesIsLintedInFileOrder() throws {
        let folder = directory + "/many"
        try FileManager.default.createDirectory(atPath: folder + "/nested", withIntermediateDirectories: true)
        for index in 0..<10_000 {
            let text =
                "apiVersion: gs.ai/v1\nkind: Host\nmetadata: {name: h\(index)}\nspec: {device: nowhere, transport: local, root: /tmp}\n"
            _ = FileManager.default.createFile(
                atPath: folder + (index % 2 == 0 ? "/nested" : "") + "/h\(index).yaml", contents: Data(text.utf8))
        }
        _ = FileManager.default.createFile(atPath: folder + "/README.md", contents: Data("# not a spec".utf8))
        let report = Linter.lint(paths: [folder])
        #expect(report.fileCount == 10_000)
        #expect(report.diagnostics.count == 10_000)
        #expect(Set(codes(report)) == ["GS301"])
        // Sorted by file, then line: the same order on every machine.
        let files = report.diagnostics.map(\.location.file)
        #expect(files == files.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test func aliasBombStopsAtTheBudget() {
        var text =
            "apiVersion: gs.ai/v1\nkind: Workflow\nmetadata: {name: lol}\nspec:\n  tasks: [{name: a, uses: command, command: a}]\n  description: x\nq0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...30 {
            text +=
                "q\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
                + "]\n"
        }
        let loaded = YAMLLoader.load(bytes: Array(text.utf8), path: "bomb.yaml")
        #expect(loaded.diagnostics.map(\.code) == ["GS105"])
        #expect((loaded.documents.first?.root.weight ?? .max) < 200_000)
    }
}
