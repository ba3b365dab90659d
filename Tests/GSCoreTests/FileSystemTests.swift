import Foundation
import GSCore
import Testing

@Suite struct FileSystemTests {
    @Test(arguments: [
        ("a/./b/../c", "a/c"),
        ("/x/../../y", "/y"),
        ("../a/b", "../a/b"),
        ("./", "."),
        ("a//b/", "a/b"),
    ])
    func normalizeIsLexical(input: String, expected: String) {
        #expect(FileSystem.normalize(input) == expected)
    }

    @Test func relativePathsResolveAgainstTheSpecFolder() {
        #expect(FileSystem.resolve("../models/m.onnx", relativeTo: "Specs/models") == "Specs/models/m.onnx")
        #expect(FileSystem.resolve("/abs/m.onnx", relativeTo: "Specs") == "/abs/m.onnx")
        #expect(FileSystem.directory(of: "Specs/a.yaml") == "Specs")
        #expect(FileSystem.directory(of: "a.yaml") == ".")
    }

    @Test func atomicWriteLeavesNoTemporaryFiles() throws {
        let directory = NSTemporaryDirectory() + "gsctl-fs-\(UUID().uuidString)"
        try FileSystem.makeDirectories(directory + "/nested/deeper")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/nested/deeper/out.json"
        try FileSystem.writeAtomically("first", to: path)
        try FileSystem.writeAtomically("second", to: path)
        #expect(try FileSystem.read(path) == Array("second".utf8))
        #expect(try FileSystem.list(directory + "/nested/deeper").map(\.name) == ["out.json"])
    }

    @Test func readRefusesFilesOverTheLimitWithoutReadingThem() throws {
        let path = NSTemporaryDirectory() + "gsctl-big-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileSystem.writeAtomically([UInt8](repeating: 65, count: 4096), to: path)
        #expect(throws: GSError.self) { try FileSystem.read(path, limit: 1024) }
    }
}
