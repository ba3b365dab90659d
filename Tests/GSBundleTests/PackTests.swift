import Foundation
import GSCore
import Testing

@testable import GSBundle

@Suite struct PackTests {
    @Test func packingTwiceGivesByteIdenticalArchives() throws {
        let scratch = Scratch()
        let first = try Fixture.pack(in: scratch, key: Fixture.signer, out: "one")
        let second = try Fixture.pack(in: scratch, key: Fixture.signer, out: "two")
        #expect(first.archiveDigest == second.archiveDigest)
        #expect(try FileSystem.read(first.archivePath) == FileSystem.read(second.archivePath))
        #expect(first.manifestDigest == SHA256.hex(of: first.manifestBytes))
        #expect(
            FileSystem.basename(first.archivePath)
                == "crowd-density-x86-gateway-int8-mixed-\(first.manifestDigest.prefix(12)).tar.zst")
    }

    /// Inputs that differ only in disk metadata (mtime, owner, permission bits, order given)
    /// give the same archive: nothing is read from the disk but the bytes.
    @Test func diskMetadataNeverReachesTheArchive() throws {
        let scratch = Scratch()
        func stage(_ folder: String, mtime: TimeInterval, owner: UInt32, permissions: Int) throws -> [BundleInput] {
            var inputs: [BundleInput] = []
            for input in Fixture.inputs() {
                guard case .bytes(let bytes) = input.source else { continue }
                let path = try scratch.write("\(folder)/\(input.path)", bytes)
                try FileManager.default.setAttributes(
                    [.modificationDate: Date(timeIntervalSince1970: mtime), .posixPermissions: permissions],
                    ofItemAtPath: path)
                if geteuid() == 0 { chown(path, owner, owner) }
                inputs.append(BundleInput(path: input.path, file: path, mode: input.mode))
            }
            return inputs
        }
        let a = try stage("a", mtime: 1_000_000_000, owner: 0, permissions: 0o644)
        let b = try stage("b", mtime: 1_700_000_000, owner: 4242, permissions: 0o600)
        let packedA = try Fixture.pack(in: scratch, key: Fixture.signer, inputs: a, out: "outA")
        let packedB = try Fixture.pack(in: scratch, key: Fixture.signer, inputs: b.reversed(), out: "outB")
        #expect(try FileSystem.read(packedA.archivePath) == FileSystem.read(packedB.archivePath))
        let fromBytes = try Fixture.pack(in: scratch, key: Fixture.signer, out: "outC")
        #expect(fromBytes.archiveDigest == packedA.archiveDigest)
    }

    @Test func entriesAreOrderedWithFixedMetadata() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(
            in: scratch, key: Fixture.signer, options: PackOptions(modificationTime: 1_700_000_000))
        let reader = try ArchiveReader(path: packed.archivePath)
        var headers: [ArchiveReader.Header] = []
        while let header = try reader.next() { headers.append(header) }
        #expect(
            headers.map(\.path) == [
                "manifest.json", "manifest.sig", "bin/run-task", "golden/detector.input.npy", "models/counter.onnx",
                "models/detector.onnx", "wheels/numpy-1.26.4-cp311-none-any.whl",
            ])
        for header in headers {
            #expect(header.kind == .file)
            #expect(header.modificationTime == 1_700_000_000)
            #expect(header.uid == 0 && header.gid == 0)
            #expect((header.userName ?? "").isEmpty && (header.groupName ?? "").isEmpty)
        }
        #expect(headers.first { $0.path == "bin/run-task" }?.permissions == 0o755)
        #expect(headers.first { $0.path == "models/detector.onnx" }?.permissions == 0o644)
        #expect(headers.first { $0.path == "models/detector.onnx" }?.size == Fixture.modelBytes.count)
    }

    @Test func manifestListsEveryInputFromTheBlobStore() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch)
        let blobs = try BlobStore(root: scratch.join("blobs"))
        #expect(packed.manifest.files.map(\.path) == packed.manifest.files.map(\.path).sorted())
        for file in packed.manifest.files {
            #expect(blobs.has(file.sha256))
            #expect(try FileSystem.read(blobs.path(for: file.sha256)).count == file.size)
        }
        #expect(blobs.has(packed.manifestDigest))
        #expect(packed.signature == nil)
        #expect(packed.manifest.file(at: "models/detector.onnx")?.sha256 == SHA256.hex(of: Fixture.modelBytes))
    }

    @Test func outputDirectoryHoldsOnlyTheFinishedArchive() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch)
        #expect(scratch.listing(scratch.join("out")) == [FileSystem.basename(packed.archivePath)])
        // A failing pack (unreadable input) leaves nothing either.
        let inputs = [BundleInput(path: "a.bin", file: scratch.join("missing"))]
        _ = failure { _ = try Fixture.pack(in: scratch, inputs: inputs, out: "failed") }
        #expect(scratch.listing(scratch.join("failed")).isEmpty)
        #expect(scratch.listing(scratch.join("blobs/tmp")).isEmpty)
    }

    @Test func packRefusesBadInputs() {
        let scratch = Scratch()
        let twice = [BundleInput(path: "a", bytes: [1]), BundleInput(path: "a", bytes: [2])]
        #expect(failure { _ = try Fixture.pack(in: scratch, inputs: twice) }.contains("cannot pack `a` twice"))
        let escaping = [BundleInput(path: "../a", bytes: [1])]
        #expect(failure { _ = try Fixture.pack(in: scratch, inputs: escaping) }.contains("`..` component"))
        let reserved = [BundleInput(path: "manifest.sig", bytes: [1])]
        #expect(failure { _ = try Fixture.pack(in: scratch, inputs: reserved) }.contains("reserved"))
        let badID = Fixture.manifest(id: "Bad ID")
        #expect(failure { _ = try Fixture.pack(in: scratch, manifest: badID) }.contains("`id` `Bad ID` is not valid"))
        var listed = Fixture.manifest()
        listed.files = [ManifestFile(path: "x", sha256: SHA256.hex(of: "x"), size: 1, mode: .regular)]
        #expect(failure { _ = try Fixture.pack(in: scratch, manifest: listed) }.contains("already lists files"))
    }

    @Test func longPathsStayReproducible() throws {
        let scratch = Scratch()
        let deep = String(repeating: "very-long-directory-name/", count: 8) + "model.onnx"
        let inputs = [BundleInput(path: deep, bytes: [1, 2, 3])]
        let one = try Fixture.pack(in: scratch, inputs: inputs, out: "one")
        let two = try Fixture.pack(in: scratch, inputs: inputs, out: "two")
        #expect(try FileSystem.read(one.archivePath) == FileSystem.read(two.archivePath))
        #expect(try BundleVerifier.verify(one.archivePath).manifest.files.map(\.path) == [deep])
    }

    @Test func sourceDateEpochSetsTheMtime() throws {
        setenv("SOURCE_DATE_EPOCH", "1700000000", 1)
        defer { unsetenv("SOURCE_DATE_EPOCH") }
        #expect(try PackOptions.fromEnvironment().modificationTime == 1_700_000_000)
        setenv("SOURCE_DATE_EPOCH", "yesterday", 1)
        #expect(failure { _ = try PackOptions.fromEnvironment() }.contains("SOURCE_DATE_EPOCH `yesterday`"))
        unsetenv("SOURCE_DATE_EPOCH")
        #expect(try PackOptions.fromEnvironment().modificationTime == 0)
    }
}
