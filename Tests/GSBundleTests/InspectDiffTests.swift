import Foundation
import GSCore
import Testing

@testable import GSBundle

@Suite struct InspectDiffTests {
    @Test func inspectShowsWhatTheBundleIs() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch, key: Fixture.signer)
        let opened = try BundleOpener.open(packed.archivePath)
        #expect(opened.manifest == packed.manifest)
        #expect(opened.archiveSize == packed.archiveSize)
        let text = BundleInspection.render(opened, format: .text)
        #expect(text.hasPrefix("crowd-density-x86-gateway-int8-mixed\n"))
        #expect(text.contains("  device     x86-gateway\n"))
        #expect(text.contains("signed by \(try Fixture.signer.publicKey.fingerprint) (signature valid; no key pinned)"))
        #expect(text.contains("  detector  int8        build key "))
        #expect(text.contains("files (5, 51.8 KiB)\n"))
        #expect(text.contains("  0755         18 B  bin/run-task\n"))
        #expect(text.contains("  0644     48.8 KiB  models/detector.onnx\n"))
        let json = BundleInspection.render(opened, format: .json)
        let parsed = try JSONParser.parse(Array(json.utf8), what: "inspect output")
        guard case .object(let members) = parsed else { return }
        #expect(members["manifestDigest"] == .string(packed.manifestDigest))
        #expect(
            members["signature"] == [
                "status": "signed", "keyFingerprint": .string(try Fixture.signer.publicKey.fingerprint),
                "trusted": false,
            ])
        #expect(members["manifest"] == packed.manifest.json)
    }

    @Test func inspectReadsDirectoriesAndUnsignedBundles() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch)
        try SafeExtractor.extract(packed.archivePath, to: scratch.join("dir"))
        let opened = try BundleOpener.open(scratch.join("dir"))
        #expect(opened.signature == .unsigned && opened.archiveSize == nil)
        #expect(BundleInspection.render(opened, format: .text).contains("  signature  unsigned\n"))
    }

    @Test func identicalBundlesDiffEmptyEvenAcrossCommits() throws {
        let scratch = Scratch()
        let a = try Fixture.pack(in: scratch, out: "a")
        var later = Fixture.manifest()
        later.source.gitCommit = String(repeating: "cd", count: 20)
        later.gsctlVersion = "0.2.0"
        let b = try Fixture.pack(in: scratch, manifest: later, out: "b")
        let diff = BundleDiff(from: a.manifest, to: b.manifest)
        #expect(diff.isIdentical)
        #expect(diff.provenance.map(\.field) == ["gsctlVersion", "source.gitCommit"])
        let text = diff.render(.text, a: try BundleOpener.open(a.archivePath), b: try BundleOpener.open(b.archivePath))
        #expect(text.contains("identical: deploying one instead of the other changes nothing"))
        #expect(text.contains("  gsctlVersion: \"0.1.0\" -> \"0.2.0\"\n"))
    }

    @Test func diffNamesFilesAndModelsThatChanged() throws {
        let scratch = Scratch()
        let a = try Fixture.pack(in: scratch, out: "a")
        var manifest = Fixture.manifest()
        manifest.precisions["detector"] = "fp16"
        manifest.models = ["detector": ["sizeBytes": 100000, "nodes": 118], "counter": ["sizeBytes": 11, "nodes": 3]]
        manifest.precisions["tracker"] = "fp32"
        var inputs = Fixture.inputs().filter { $0.path != "golden/detector.input.npy" }
        inputs[0] = BundleInput(path: "models/detector.onnx", bytes: Fixture.modelBytes + Fixture.modelBytes)
        inputs.append(BundleInput(path: "models/tracker.onnx", bytes: [7, 7, 7]))
        let b = try Fixture.pack(in: scratch, inputs: inputs, manifest: manifest, out: "b")
        let diff = BundleDiff(from: a.manifest, to: b.manifest)
        #expect(!diff.isIdentical)
        #expect(diff.added.map(\.path) == ["models/tracker.onnx"])
        #expect(diff.removed.map(\.path) == ["golden/detector.input.npy"])
        #expect(diff.changed.map(\.after.path) == ["models/detector.onnx"])
        #expect(
            diff.models == [
                .init(
                    name: "detector", kind: .changed, precisionBefore: "int8", precisionAfter: "fp16",
                    variantChanged: true),
                .init(
                    name: "tracker", kind: .added, precisionBefore: nil, precisionAfter: "fp32", variantChanged: false),
            ])
        let text = diff.render(.text, a: try BundleOpener.open(a.archivePath), b: try BundleOpener.open(b.archivePath))
        #expect(text.contains("  + models/tracker.onnx  3 B\n"))
        #expect(text.contains("  - golden/detector.input.npy  4 B\n"))
        #expect(text.contains("  ~ models/detector.onnx  48.8 KiB -> 97.7 KiB, sha256 "))
        #expect(text.contains("  ~ detector: precision int8 -> fp16, variant changed\n"))
        #expect(text.contains("1 added, 1 removed, 1 changed files; 2 models changed"))
        let json = try JSONParser.parse(
            Array(
                diff.render(.json, a: try BundleOpener.open(a.archivePath), b: try BundleOpener.open(b.archivePath))
                    .utf8),
            what: "diff")
        guard case .object(let members) = json else { return }
        #expect(members["identical"] == false)
    }
    /// A model whose input shape and size change between releases says so in device terms
    /// (what `gsctl diff` prints per host), read from the build reports and the variant files.
    @Test func aChangedModelNamesItsInputShapesAndSize() throws {
        func manifest(precision: String, shape: String, bytes: Int) -> Manifest {
            var manifest = Fixture.manifest()
            manifest.precisions = ["direction": precision]
            manifest.models = [
                "direction": [
                    "precision": .string(precision),
                    "variants": [precision: ["report": ["inputs": ["x": .string(shape)], "nodesAfter": 118]]],
                ]
            ]
            manifest.files = [
                ManifestFile(
                    path: "models/direction/\(precision)/model.onnx", sha256: SHA256.hex(of: "\(bytes)"), size: bytes,
                    mode: .regular)
            ]
            return manifest
        }
        let before = manifest(precision: "fp32", shape: "[1, 3, 48, 192]", bytes: 583_000)
        let after = manifest(precision: "int8", shape: "[1, 3, 48, 160]", bytes: 162_000)
        let change = try #require(BundleDiff(from: before, to: after).models.first)
        #expect(change.inputsBefore == ["x": "[1, 3, 48, 192]"] && change.inputsAfter == ["x": "[1, 3, 48, 160]"])
        #expect(
            change.details == [
                "precision fp32 -> int8", "input x [1, 3, 48, 192] -> [1, 3, 48, 160]", "size 569.3 KiB -> 158.2 KiB",
                "variant changed",
            ])
        // Same shape: no input line; a bundle built before reports had inputs: none either.
        let same = manifest(precision: "int8", shape: "[1, 3, 48, 192]", bytes: 162_000)
        #expect(!BundleDiff(from: before, to: same).models[0].details.contains { $0.hasPrefix("input") })
        var old = before
        old.models = ["direction": ["precision": "fp32", "variants": ["fp32": ["report": [:]]]]]
        #expect(!BundleDiff(from: old, to: after).models[0].details.contains { $0.hasPrefix("input") })
    }
}
