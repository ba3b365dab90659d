import Foundation
import GSCore
import GSExec
import Testing

@testable import GSData

/// Files built to break a decoder: each must end in a `GSError` that names the file and
/// says what is wrong, never in a crash or an allocation of gigabytes.
@Suite struct HostileInputTests {
    /// A PNG chunk with its CRC.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(CRC32.checksum(body))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A PNG whose header claims `width x height` 8-bit RGB, with a few bytes of image data.
    static func png(width: UInt32, height: UInt32) -> [UInt8] {
        let header = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        // zlib stream of a handful of zero bytes.
        let data: [UInt8] = [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]
        return signature + chunk("IHDR", header) + chunk("IDAT", data) + chunk("IEND", [])
    }

    static func decodeError(_ bytes: [UInt8], name: String) throws -> GSError {
        try #require(throws: GSError.self) { try ImageDecoder.decode(bytes, name: name) }
    }

    @Test func aPNGClaiming100000x100000PixelsIsRefusedBeforeDecoding() throws {
        let error = try Self.decodeError(Self.png(width: 100_000, height: 100_000), name: "bomb.png")
        #expect(error.message.contains("bomb.png") && error.message.contains("100000x100000"))
        #expect(error.message.contains("100000000-pixel limit"))
        // A tighter limit applies to anything above it.
        #expect(throws: GSError.self) {
            try ImageDecoder.decode(
                Self.png(width: 2000, height: 2000), name: "x.png", limits: ImageLimits(maxPixels: 1000))
        }
    }

    @Test func zeroSizedImagesAreRefused() throws {
        let error = try Self.decodeError(Self.png(width: 0, height: 10), name: "zero.png")
        #expect(error.message.contains("zero.png"))
        let empty = try Self.decodeError([], name: "empty.jpg")
        #expect(empty.message.contains("empty.jpg") && empty.message.contains("empty"))
    }

    @Test func aJPEGClaimingHugeDimensionsIsRefused() throws {
        var bytes = try FileSystem.read(try Oracle.image("baboon.jpg"))
        // Rewrite the frame header (SOF0: FF C0, length, precision, height, width).
        let sof = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 5] = 0xFF
        bytes[sof + 6] = 0x00
        bytes[sof + 7] = 0xFF
        bytes[sof + 8] = 0x00
        let error = try Self.decodeError(bytes, name: "huge.jpg")
        #expect(error.message.contains("huge.jpg") && error.message.contains("65280x65280"))
    }

    @Test func truncatedJPEGsArePrematureEndsNotGrayRows() throws {
        let bytes = try FileSystem.read(try Oracle.image("messi5.jpg"))
        let error = try Self.decodeError(Array(bytes.prefix(bytes.count / 2)), name: "half.jpg")
        #expect(error.message.contains("half.jpg") && error.message.contains("Premature end"), "\(error)")
        #expect(error.hint?.contains("truncated") == true)
        let header = try Self.decodeError(Array(bytes.prefix(100)), name: "head.jpg")
        #expect(header.message.contains("head.jpg") && header.message.contains("ends before its frame header"))
    }

    @Test func truncatedPNGsAreRefused() throws {
        let bytes = try FileSystem.read(try Oracle.image("pic1.png"))
        for fraction in [2, 3, 10, 100] {
            let error = try Self.decodeError(Array(bytes.prefix(bytes.count / fraction)), name: "cut.png")
            #expect(error.message.contains("cut.png") && error.message.contains("PNG"), "\(error)")
        }
    }

    @Test func randomBytesAreNamedAsNeitherFormat() throws {
        var generator = SeededGenerator(seed: 42)
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let error = try Self.decodeError(noise, name: "noise.jpg")
        #expect(error.message.contains("noise.jpg") && error.message.contains("neither JPEG nor PNG"))
        // Noise behind each format's magic reaches the real decoders.
        let jpeg = try Self.decodeError([0xFF, 0xD8, 0xFF] + noise, name: "noise2.jpg")
        #expect(jpeg.message.contains("noise2.jpg") && jpeg.message.contains("JPEG"))
        let png = try Self.decodeError(Self.signature + noise, name: "noise3.png")
        #expect(png.message.contains("noise3.png") && png.message.contains("PNG"))
    }

    /// Every prefix length class and a sprinkling of flipped bytes in real files: each
    /// decodes or throws; none crashes.
    @Test(arguments: ["butterfly.jpg", "smarties.png", "imageTextN.png", "left01.jpg"])
    func mutatedRealFilesNeverCrash(file: String) throws {
        let original = try FileSystem.read(try Oracle.image(file))
        var generator = SeededGenerator(seed: UInt64(original.count))
        var outcomes = (decoded: 0, refused: 0)
        for round in 0..<60 {
            var bytes = original
            if round % 2 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 1..<bytes.count, using: &generator)))
            } else {
                for _ in 0..<(1 + round % 7) {
                    let at = Int.random(in: 0..<min(bytes.count, 2048), using: &generator)
                    bytes[at] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            do {
                let image = try ImageDecoder.decode(bytes, name: file)
                #expect(image.pixels.count == image.width * image.height * 3)
                outcomes.decoded += 1
            } catch {
                #expect(error.message.contains(file))
                outcomes.refused += 1
            }
        }
        #expect(outcomes.refused > 0)
    }
}

/// SplitMix64: reproducible "random" bytes for the hostile-input tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
