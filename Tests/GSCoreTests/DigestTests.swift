import Foundation
import GSCore
import Testing

@Suite struct DigestTests {
    @Test func knownVectors() {
        #expect(SHA256.hex(of: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func fileDigestStreamsAndMatchesTheInMemoryOne() throws {
        let path = NSTemporaryDirectory() + "gsctl-digest-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Larger than the 1 MiB read buffer, so several reads are combined.
        let bytes = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try FileSystem.writeAtomically(bytes, to: path)
        #expect(try SHA256.hex(ofFile: path) == SHA256.hex(of: bytes))
    }

    @Test func missingFileIsAnErrorNamingIt() {
        #expect(throws: GSError.self) { try SHA256.hex(ofFile: "/nonexistent/model.onnx") }
        do {
            _ = try SHA256.hex(ofFile: "/nonexistent/model.onnx")
        } catch {
            #expect(error.message.contains("/nonexistent/model.onnx"))
        }
    }

    @Test func hexChecks() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Hex.isLowercaseHex(String(repeating: "a", count: 64), count: 64))
        #expect(!Hex.isLowercaseHex(String(repeating: "A", count: 64), count: 64))
    }
}
