import Foundation
import GSCore
import Testing

@testable import GSBundle

@Suite struct ExtractionTests {
    @Test func extractedBundleIsCompleteAndVerifies() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch, key: Fixture.signer)
        let target = scratch.join("host/releases/r1")
        let pinned = [try Fixture.signer.publicKey]
        let verified = try SafeExtractor.extract(packed.archivePath, to: target, trustedKeys: pinned)
        #expect(verified.manifestDigest == packed.manifestDigest)
        #expect(
            scratch.listing(target) == [
                "bin", "bin/run-task", "golden", "golden/detector.input.npy", "manifest.json", "manifest.sig", "models",
                "models/counter.onnx", "models/detector.onnx", "wheels", "wheels/numpy-1.26.4-cp311-none-any.whl",
            ])
        #expect(try FileSystem.read(target + "/models/detector.onnx") == Fixture.modelBytes)
        #expect(DiskOps.entry(target + "/bin/run-task")?.permissions == 0o755)
        #expect(DiskOps.entry(target + "/models/detector.onnx")?.permissions == 0o644)
        #expect(try BundleVerifier.verify(target, trustedKeys: pinned).manifestDigest == packed.manifestDigest)
        #expect(scratch.listing(scratch.join("host/releases")).filter { !$0.hasPrefix("r1") }.isEmpty)
        #expect(failure { try SafeExtractor.extract(packed.archivePath, to: target) }.contains("already exists"))
    }

    /// A hostile archive, the limits to extract it under, and the words its refusal must contain.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var entries: @Sendable () throws -> [ArchiveWriter.Entry]
        var limits = ExtractionLimits.default
        var expected: String
        var testDescription: String { name }
    }

    static let good: [(String, [UInt8])] = [("a.txt", Array("hello".utf8)), ("dir/b.txt", Array("world".utf8))]

    static func signedHead(_ files: [(String, [UInt8])] = good) throws -> [ArchiveWriter.Entry] {
        try HostileArchive.head(files, key: Fixture.signer)
    }

    static func goodFiles() -> [ArchiveWriter.Entry] { good.map { HostileArchive.file($0.0, $0.1) } }

    static func link(_ path: String, _ kind: ArchiveEntryKind, to target: String?) -> ArchiveWriter.Entry {
        ArchiveWriter.Entry(path: path, kind: kind, permissions: 0o644, linkTarget: target)
    }

    static let cases: [Case] = [
        Case(
            name: "absolute path",
            entries: { try signedHead() + [HostileArchive.file("/etc/cron.d/x", [1])] + goodFiles() },
            expected: "entry `/etc/cron.d/x` is refused: the path is absolute"),
        Case(
            name: "parent component",
            entries: { try signedHead() + [HostileArchive.file("dir/../../escape", [1])] + goodFiles() },
            expected: "entry `dir/../../escape` is refused: the path has a `..` component"),
        Case(
            name: "dot slash", entries: { try signedHead() + [HostileArchive.file("./a.txt", good[0].1)] },
            expected: "entry `./a.txt` is refused: the path has an empty or `.` component"),
        Case(
            name: "symlink out", entries: { try signedHead() + [link("a.txt", .symlink, to: "/etc/passwd")] },
            expected: "entry `a.txt` is a symbolic link to `/etc/passwd`; bundles hold only regular files"),
        Case(
            name: "symlink inside", entries: { try signedHead() + [link("a.txt", .symlink, to: "dir/b.txt")] },
            expected: "is a symbolic link to `dir/b.txt`"),
        Case(
            name: "hardlink out", entries: { try signedHead() + [link("a.txt", .hardlink, to: "../../etc/shadow")] },
            expected: "entry `a.txt` is a hard link to `../../etc/shadow`"),
        Case(
            name: "directory entry", entries: { try signedHead() + [link("dir", .directory, to: nil)] + goodFiles() },
            expected: "entry `dir/` is a directory"),
        Case(
            name: "character device", entries: { try signedHead() + [link("a.txt", .characterDevice, to: nil)] },
            expected: "entry `a.txt` is a character device"),
        Case(
            name: "block device", entries: { try signedHead() + [link("a.txt", .blockDevice, to: nil)] },
            expected: "entry `a.txt` is a block device"),
        Case(
            name: "fifo", entries: { try signedHead() + [link("a.txt", .fifo, to: nil)] },
            expected: "entry `a.txt` is a FIFO"),
        Case(
            name: "unlisted file",
            entries: { try signedHead() + goodFiles() + [HostileArchive.file("payload.sh", [1])] },
            expected: "`payload.sh` is not listed in manifest.json"),
        Case(
            name: "duplicate entry",
            entries: { try signedHead() + goodFiles() + [HostileArchive.file("a.txt", good[0].1)] },
            expected: "entry `a.txt` appears twice"),
        Case(
            name: "second manifest",
            entries: { try signedHead() + goodFiles() + [HostileArchive.file("manifest.json", [1])] },
            expected: "entry `manifest.json` appears twice"),
        Case(
            name: "manifest not first", entries: { Array(goodFiles() + (try signedHead())) },
            expected: "the first entry is `a.txt`, not manifest.json"),
        Case(
            name: "signature not second",
            entries: {
                let head = try signedHead()
                return [head[0]] + goodFiles() + [head[1]]
            }, expected: "the bundle is unsigned, but signing keys are pinned"),
        Case(name: "empty archive", entries: { [] }, expected: "the archive is empty"),
        Case(
            name: "lying size",
            entries: { try signedHead() + [HostileArchive.file("a.txt", Array(repeating: 0, count: 1 << 16))] },
            expected: "`a.txt` is 65536 bytes; manifest.json says 5"),
        Case(
            name: "file over the size limit",
            entries: {
                let big = [UInt8](repeating: 0, count: 2 << 20)
                return try signedHead([("big.bin", big)]) + [HostileArchive.file("big.bin", big)]
            }, limits: ExtractionLimits(maxFileSize: 1 << 20),
            expected: "`big.bin` is over the 1048576-byte limit for one file"),
        Case(
            name: "total over the limit", entries: { try signedHead() + goodFiles() },
            limits: ExtractionLimits(maxTotalSize: 8), expected: "over the 8-byte limit for all files together"),
        Case(
            name: "too many entries (listed)", entries: { try signedHead() + goodFiles() },
            limits: ExtractionLimits(maxEntries: 3), expected: "more than 3 entries"),
        Case(
            name: "too many entries (unlisted)",
            entries: {
                try signedHead([("a.txt", good[0].1)]) + (0..<50).map { HostileArchive.file("a.txt", [UInt8($0)]) }
            }, limits: ExtractionLimits(maxEntries: 2), expected: "more than 2 entries"),
        Case(
            name: "manifest over the limit", entries: { try signedHead() + goodFiles() },
            limits: ExtractionLimits(maxManifestSize: 100), expected: "`manifest.json` is over the 100-byte limit"),
        Case(
            name: "unsigned with pinned key", entries: { try HostileArchive.head(good) + goodFiles() },
            expected: "the bundle is unsigned, but signing keys are pinned"),
        Case(
            name: "signed by another key",
            entries: { try HostileArchive.head(good, key: Fixture.otherSigner) + goodFiles() },
            expected: "which is not a trusted key"),
        Case(
            name: "control bytes in name", entries: { try signedHead() + [HostileArchive.file("a\u{1B}[2Jb", [1])] },
            expected: "entry `a?[2Jb` is refused: the path has byte 0x1b"),
    ]

    @Test(arguments: cases)
    func hostileArchiveIsRefusedAndLeavesNothing(_ hostile: Case) throws {
        let scratch = Scratch()
        let archive = scratch.join("hostile.tar.zst")
        try HostileArchive.write(archive, try hostile.entries())
        let parent = scratch.join("releases")
        try FileSystem.makeDirectories(parent)
        let message = failure {
            try SafeExtractor.extract(
                archive, to: parent + "/r1", trustedKeys: [Fixture.signer.publicKey], limits: hostile.limits)
        }
        #expect(message.contains(hostile.expected), "\(hostile.name): \(message)")
        #expect(message.hasPrefix("`\(archive)`: "))
        #expect(scratch.listing(parent).isEmpty, "\(hostile.name) left \(scratch.listing(parent))")
        #expect(!FileManager.default.fileExists(atPath: "/etc/cron.d/x"))
        // Verification without extraction refuses it the same way.
        let verifyMessage = failure {
            _ = try BundleVerifier.verify(archive, trustedKeys: [Fixture.signer.publicKey], limits: hostile.limits)
        }
        #expect(verifyMessage.contains(hostile.expected), "\(hostile.name): \(verifyMessage)")
    }

    /// Without pinned keys a late signature is still refused (never trusted out of place).
    @Test func signatureOutOfPlaceIsRefusedWithoutKeys() throws {
        let scratch = Scratch()
        let head = try Self.signedHead()
        let archive = scratch.join("late.tar.zst")
        try HostileArchive.write(archive, [head[0]] + Self.goodFiles() + [head[1]])
        let message = failure { try SafeExtractor.extract(archive, to: scratch.join("r")) }
        #expect(message.contains("manifest.sig must directly follow manifest.json"))
        #expect(!FileManager.default.fileExists(atPath: scratch.join("r")))
    }

    @Test func notATarZst() throws {
        let scratch = Scratch()
        let path = try scratch.write("plain.txt", Array("not an archive".utf8))
        let message = failure { try SafeExtractor.extract(path, to: scratch.join("r")) }
        #expect(message.contains("plain.txt"))
        #expect(!FileManager.default.fileExists(atPath: scratch.join("r")))
    }
}
