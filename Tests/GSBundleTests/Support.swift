import Foundation
import GSCore
import Testing

@testable import GSBundle

/// A scratch directory removed when the test ends.
final class Scratch {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "gsctl-bundle-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func join(_ name: String) -> String { path + "/" + name }

    /// Writes a file (parents created) and returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = join(name)
        try FileSystem.makeDirectories(FileSystem.directory(of: target))
        try FileSystem.writeAtomically(bytes, to: target)
        return target
    }

    /// Names under `directory` (recursive, sorted), to prove nothing was left behind.
    func listing(_ directory: String? = nil) -> [String] {
        let root = directory ?? path
        let names = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        return names.sorted()
    }
}

/// Builds small bundles for the tests: a model, a program, a wheel in a subfolder.
enum Fixture {
    static let modelBytes: [UInt8] = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    static func manifest(id: String = "crowd-density-x86-gateway-int8-mixed") -> Manifest {
        Manifest(
            id: id, workflow: "crowd-density", device: "x86-gateway", precision: "int8-mixed",
            precisions: ["detector": "int8", "counter": "fp16"],
            source: SourceInfo(specDigest: SHA256.hex(of: "specs"), gitCommit: String(repeating: "ab", count: 20)),
            buildKeys: ["detector": SHA256.hex(of: "detector-key"), "counter": SHA256.hex(of: "counter-key")],
            models: [
                "detector": ["sizeBytes": 50000, "nodes": 120, "accuracy": ["top1Delta": .double(0.004)]],
                "counter": ["sizeBytes": 11, "nodes": 3],
            ],
            workflowGraph: [
                "tasks": ["source", "detect", "count"], "edges": [["source", "detect"], ["detect", "count"]],
            ],
            environments: ["python": ["wheels": ["wheels/numpy-1.26.4-cp311-none-any.whl"]]])
    }

    static func inputs() -> [BundleInput] {
        [
            BundleInput(path: "models/detector.onnx", bytes: modelBytes),
            BundleInput(path: "models/counter.onnx", bytes: Array("counter-net".utf8)),
            BundleInput(path: "bin/run-task", bytes: Array("#!/bin/sh\necho ok\n".utf8), mode: .executable),
            BundleInput(path: "golden/detector.input.npy", bytes: [1, 2, 3, 4]),
            BundleInput(path: "wheels/numpy-1.26.4-cp311-none-any.whl", bytes: Array(repeating: 0x5A, count: 3000)),
        ]
    }

    /// Packs the fixture into `scratch`/out with its own blob store.
    static func pack(
        in scratch: Scratch, key: Ed25519PrivateKey? = nil, inputs: [BundleInput] = inputs(),
        manifest: Manifest = manifest(), options: PackOptions = PackOptions(), out: String = "out"
    ) throws -> PackedBundle {
        let blobs = try BlobStore(root: scratch.join("blobs"))
        return try BundlePacker.pack(
            manifest, files: inputs, into: scratch.join(out), blobs: blobs, signingKey: key, options: options)
    }

    /// One shared key per test run keeps key generation out of every test.
    nonisolated(unsafe) static let signer: Ed25519PrivateKey = try! Ed25519PrivateKey.generate()
    nonisolated(unsafe) static let otherSigner: Ed25519PrivateKey = try! Ed25519PrivateKey.generate()
}

/// Writes archives entry by entry, for bundles gsctl itself would never produce.
enum HostileArchive {
    static func write(_ path: String, _ entries: [ArchiveWriter.Entry]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        let writer = try ArchiveWriter(descriptor: fd, path: path, compressionLevel: 1)
        for entry in entries { try writer.add(entry) }
        try writer.close()
    }

    static func file(_ path: String, _ bytes: [UInt8], mode: UInt32 = 0o644) -> ArchiveWriter.Entry {
        ArchiveWriter.Entry(path: path, permissions: mode, size: bytes.count, content: .bytes(bytes))
    }

    /// A manifest listing exactly `files` (path -> bytes), unsigned unless a key is given.
    static func head(_ files: [(String, [UInt8])], key: Ed25519PrivateKey? = nil) throws -> [ArchiveWriter.Entry] {
        var manifest = Fixture.manifest()
        manifest.files = files.sorted { $0.0 < $1.0 }.map {
            ManifestFile(path: $0.0, sha256: SHA256.hex(of: $0.1), size: $0.1.count, mode: .regular)
        }
        let bytes = manifest.canonicalBytes
        var entries = [file(BundlePath.manifestName, bytes)]
        if let key {
            entries.append(file(BundlePath.signatureName, try BundleSignature.sign(bytes, with: key).canonicalBytes))
        }
        return entries
    }
}

/// Runs a shell command (interop checks against GNU tar and openssl), capturing its output.
enum Shell {
    static func run(_ command: String) -> (status: Int32, output: String) {
        let log = NSTemporaryDirectory() + "gsctl-shell-\(UUID().uuidString).log"
        defer { unlink(log) }
        let status = system("(\(command)) > '\(log)' 2>&1")
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return (status == -1 ? -1 : (status >> 8) & 0xFF, output)
    }

    static func available(_ tool: String) -> Bool { run("command -v \(tool)").status == 0 }
}

/// The message of the GSError `body` throws (fails the test when it does not throw one).
func failure(_ body: () throws -> Void) -> String {
    do {
        try body()
    } catch let error as GSError {
        return error.message
    } catch {
        Issue.record("expected a GSError, got \(error)")
        return ""
    }
    Issue.record("expected an error, but it succeeded")
    return ""
}
