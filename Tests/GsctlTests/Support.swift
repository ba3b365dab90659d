import Foundation
import GSCore
import GSTestScratch

/// Runs the real `gsctl` binary (built next to this test bundle) and captures everything.
struct Run {
    var status: Int32
    var out: String
    var err: String
}

enum CLI {
    /// The built binary: SwiftPM puts products beside the test bundle.
    static let binary: String = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("gsctl").path
    }()

    /// The package root, for example specs and golden files.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func run(_ arguments: [String], stdin: String? = nil, cwd: String? = nil, env: [String: String] = [:])
        throws -> Run
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(env) { $1 }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Drain both pipes while the child runs: a full pipe would block it forever.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
            err: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryDirectory() -> String {
        ScratchDirectory.make("cli")
    }
}

/// Overwrites two bytes of a file on a host, as a person editing it by hand would (drift).
func editByHand(_ path: String, at offset: UInt64 = 100) throws {
    chmod(path, 0o644)
    guard let handle = FileHandle(forWritingAtPath: path) else { throw GSError("cannot open \(path) for writing") }
    handle.seek(toFileOffset: offset)
    handle.write(Data([0xde, 0xad]))
    try handle.close()
}
