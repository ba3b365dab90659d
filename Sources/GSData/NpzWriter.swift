import GSCore
import GSExec

extension Npz {
    /// The bytes of an `.npz` holding `arrays`, members stored (not compressed) as
    /// `np.savez` writes them, in name order; `np.load` reads it.
    ///
    /// Written here rather than through libarchive because libarchive stamps each member
    /// with a local-time DOS date: the same arrays would give different bytes in different
    /// time zones, and bundles are named by their digest. Every member is dated 1980-01-01.
    /// Plain zip (no zip64), so each member and the whole file stay under 4 GiB.
    public static func encode(_ arrays: [String: Tensor]) throws(GSError) -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        let names = arrays.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in names {
            guard let tensor = arrays[name] else { continue }
            guard !name.isEmpty, !name.contains("/") else {
                throw GSError("cannot write an array named `\(name)` to .npz: names must be non-empty, without `/`")
            }
            let data = try Npy.encode(tensor)
            let file = Array((name + ".npy").utf8)
            let offset = out.count
            guard data.count < 0xFFFF_FFFF, offset < 0xFFFF_FFFF, file.count < 0xFFFF else {
                throw GSError(
                    "array `\(name)` is too large for gsctl's .npz writer (4 GiB without zip64)",
                    hint: "write it as .npy")
            }
            let crc = CRC32.checksum(data)
            // Local file header: version 2.0, no flags, stored, DOS date 1980-01-01 00:00.
            out.le32(0x0403_4B50)
            out.le16(20)
            out.le16(0)
            out.le16(0)
            out.le16(0)
            out.le16(0x21)
            out.le32(crc)
            out.le32(UInt32(data.count))
            out.le32(UInt32(data.count))
            out.le16(UInt16(file.count))
            out.le16(0)
            out += file
            out += data
            // Central directory entry: made by Unix (3), regular file 0644 in the high bits.
            directory.le32(0x0201_4B50)
            directory.le16(0x0314)
            directory.le16(20)
            directory.le16(0)
            directory.le16(0)
            directory.le16(0)
            directory.le16(0x21)
            directory.le32(crc)
            directory.le32(UInt32(data.count))
            directory.le32(UInt32(data.count))
            directory.le16(UInt16(file.count))
            directory.le16(0)
            directory.le16(0)
            directory.le16(0)
            directory.le16(0)
            directory.le32(0o100644 << 16)
            directory.le32(UInt32(offset))
            directory += file
        }
        let directoryOffset = out.count
        guard names.count < 0xFFFF, directoryOffset + directory.count < 0xFFFF_FFFF else {
            throw GSError(
                "the arrays are too large for gsctl's .npz writer (4 GiB without zip64)", hint: "write .npy files")
        }
        out += directory
        out.le32(0x0605_4B50)
        out.le16(0)
        out.le16(0)
        out.le16(UInt16(names.count))
        out.le16(UInt16(names.count))
        out.le32(UInt32(directory.count))
        out.le32(UInt32(directoryOffset))
        out.le16(0)
        return out
    }

    /// Writes an `.npz` atomically.
    public static func write(_ arrays: [String: Tensor], to path: String) throws(GSError) {
        try FileSystem.writeAtomically(try encode(arrays), to: path)
    }
}

extension [UInt8] {
    fileprivate mutating func le16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    fileprivate mutating func le32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zip uses) for the writer's member checksums.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
