import Foundation
import GSCore
import Testing

/// `gsctl build`, `keygen` and `bundle verify|inspect|diff` as a user runs them, on the small
/// spec repository of the apply tests (the real PP-OCR direction classifier): exit codes,
/// what each prints, the files a build leaves, and a tampered bundle refused.
@Suite(.serialized) struct BuildCommandTests {
    static func archives(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".tar.zst") }
            .sorted().map { directory + "/" + $0 }
    }

    @Test func buildSignVerifyInspectAndDiffFromTheCommandLine() throws {
        let repo = try DeployRepo(hosts: 1)
        defer { repo.cleanUp() }
        let keygen = try gsctl(["keygen", "--out", repo.path + "/release"], cwd: repo.path)
        #expect(keygen.status == 0, "\(keygen.err)")
        let out = repo.path + "/Out"
        let build = ["build", "Specs", "--out", out, "--cache", repo.path + "/cache", "--sign", "release.key"]

        let first = try gsctl(build, cwd: repo.path)
        #expect(first.status == 0, "\(first.out)\(first.err)")
        let archive = try #require(Self.archives(out).first, "no bundle in \(out): \(first.out)")
        #expect(archive.contains("reader-gateway-fp32-"), "\(archive)")
        for report in ["build-report.md", "build-report.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + report), "\(report) missing")
        }
        // Unchanged specs: every step from the cache, the same bytes.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        let second = try gsctl(build, cwd: repo.path)
        #expect(second.status == 0 && second.out.contains("cached"), "\(second.out)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: archive)) == bytes)

        let verify = try gsctl(["bundle", "verify", archive, "--key", "release.pub"], cwd: repo.path)
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
        let inspect = try gsctl(["bundle", "inspect", archive], cwd: repo.path)
        #expect(inspect.status == 0, "\(inspect.err)")
        #expect(inspect.out.contains("models/direction/fp32/model.onnx"), "\(inspect.out)")

        // A byte flipped inside the archive: refused, exit 1, saying why.
        let tampered = repo.path + "/tampered.tar.zst"
        var flipped = [UInt8](bytes)
        flipped[flipped.count / 2] ^= 0x01
        try Data(flipped).write(to: URL(fileURLWithPath: tampered))
        let refused = try gsctl(["bundle", "verify", tampered, "--key", "release.pub"], cwd: repo.path)
        #expect(refused.status == 1, "\(refused.out)\(refused.err)")
        // (The archive is reproducible, so the flip always lands in the model's bytes.)
        #expect(
            refused.err.contains("model.onnx` has sha256") && refused.err.contains("manifest.json says"),
            "\(refused.err)")

        // Signed by another key: refused too.
        #expect(try gsctl(["keygen", "--out", repo.path + "/other"], cwd: repo.path).status == 0)
        let stranger = try gsctl(["bundle", "verify", archive, "--key", "other.pub"], cwd: repo.path)
        #expect(stranger.status == 1, "\(stranger.out)\(stranger.err)")

        // fp16 instead: a different bundle, and `bundle diff` says what changed (exit 2).
        try repo.write(task: "exec sleep 600", hosts: 1, precision: "fp16")
        try repo.commit("fp16")
        let fp16 = try gsctl(build, cwd: repo.path)
        #expect(fp16.status == 0, "\(fp16.out)\(fp16.err)")
        let half = try #require(Self.archives(out).first { $0.contains("-fp16-") }, "\(Self.archives(out))")
        let diff = try gsctl(["bundle", "diff", archive, half], cwd: repo.path)
        #expect(diff.status == 2, "\(diff.out)\(diff.err)")
        #expect(diff.out.contains("direction"), "\(diff.out)")
        #expect(try gsctl(["bundle", "diff", archive, archive], cwd: repo.path).status == 0)
    }
}
