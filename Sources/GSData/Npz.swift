import CArchive
import GSCore
import GSExec

/// Reads numpy's `.npz` files (a zip of `.npy` members, stored by `np.savez` or deflated by
/// `np.savez_compressed`) through libarchive, as named tensors.
///
/// Members are streamed and bounded: the `.npy` header at the start of each member says how
/// much data follows, so a member whose header asks for more than `limit` bytes is refused
/// before anything is inflated, and one that inflates past what its header declared (a zip
/// bomb, or a lying header) is stopped at that point.
public enum Npz {
    /// The names of the arrays (member names without `.npy`), sorted; reads no data.
    public static func names(path: String) throws(GSError) -> [String] {
        let zip = try ZipReader(path: path)
        var names: [String] = []
        while let member = try zip.next() {
            if let name = arrayName(member) { names.append(name) }
            try zip.skip()
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The arrays named in `names` (all when `nil`); each member's data is capped at `limit`.
    /// Missing names are not an error here: callers say which input lacked its array.
    public static func read(path: String, names wanted: Set<String>? = nil, limit: Int = Npy.defaultLimit)
        throws(GSError) -> [String: Tensor]
    {
        let zip = try ZipReader(path: path)
        var arrays: [String: Tensor] = [:]
        var seen: Set<String> = []
        while let member = try zip.next() {
            guard let name = arrayName(member) else {
                try zip.skip()
                continue
            }
            guard seen.insert(name).inserted else { throw GSError("`\(path)` holds two members named `\(member)`") }
            guard wanted?.contains(name) ?? true else {
                try zip.skip()
                continue
            }
            arrays[name] = try readMember(zip, name: "\(path)[\(member)]", limit: limit)
        }
        return arrays
    }

    /// `x.npy` -> `x`; directories and other members are not arrays (numpy ignores them too).
    private static func arrayName(_ member: String) -> String? {
        guard member.hasSuffix(".npy"), !member.hasSuffix("/") else { return nil }
        return String(member.dropLast(4))
    }

    /// Streams one member: header first, then exactly the data it declares.
    private static func readMember(_ zip: ZipReader, name: String, limit: Int) throws(GSError) -> Tensor {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var header: NpyHeader?
        var total = Int.max
        while true {
            // Never ask for more than the declared size plus one byte: the extra byte detects a
            // member longer than its header says without inflating the rest of it.
            let want = min(chunk.count, total == .max ? chunk.count : total + 1 - bytes.count)
            let count = try zip.read(into: &chunk, count: want, member: name)
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if header == nil {
                let (parsed, _) = try NpyHeader.parse(bytes, name: name)
                if let parsed {
                    header = parsed
                    total = parsed.dataOffset + (try Npy.checkedByteCount(parsed, name: name, limit: limit))
                    bytes.reserveCapacity(total + 1)
                }
            }
            if bytes.count > total { break }
        }
        guard let header else { throw GSError("`\(name)` is truncated inside its .npy header (\(bytes.count) bytes)") }
        let expected = total - header.dataOffset
        let found = bytes.count - header.dataOffset
        guard found == expected else {
            if found > expected {
                throw GSError(
                    "`\(name)` holds more data than its header declares (shape \(shapeText(header.shape)) "
                        + "\(header.type.name), \(expected) bytes)")
            }
            throw Npy.sizeMismatch(header, expected: expected, found: found, name: name)
        }
        return bytes.withUnsafeBytes { raw in
            Npy.tensor(header, from: UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...]))
        }
    }
}

/// A libarchive reader over one zip file; owns the handle.
final class ZipReader {
    let path: String
    private let handle: OpaquePointer

    init(path: String) throws(GSError) {
        self.path = path
        guard let handle = archive_read_new() else { throw GSError("cannot allocate a zip reader for `\(path)`") }
        archive_read_support_format_zip(handle)
        guard archive_read_open_filename(handle, path, 1 << 16) == ARCHIVE_OK else {
            let reason = Self.message(handle)
            archive_read_free(handle)
            throw GSError("cannot read `\(path)` as .npz (a zip archive): \(reason)")
        }
        self.handle = handle
    }

    deinit { archive_read_free(handle) }

    /// The next member's path, or `nil` at the end.
    func next() throws(GSError) -> String? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw GSError("cannot read `\(path)` as .npz (a zip archive): \(Self.message(handle))")
        }
        if archive_entry_is_encrypted(entry) != 0 {
            throw GSError("`\(path)` has an encrypted member; gsctl reads plain .npz files only")
        }
        guard let raw = archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry) else {
            throw GSError("`\(path)` has a member without a readable name")
        }
        return String(cString: raw)
    }

    /// Reads up to `count` decompressed bytes of the current member into `buffer`; 0 at its end.
    func read(into buffer: inout [UInt8], count wanted: Int, member: String) throws(GSError) -> Int {
        let wanted = min(wanted, buffer.count)
        guard wanted > 0 else { return 0 }
        let count = buffer.withUnsafeMutableBytes { archive_read_data(handle, $0.baseAddress, wanted) }
        guard count >= 0 else { throw GSError("cannot read `\(member)`: \(Self.message(handle))") }
        return count
    }

    func skip() throws(GSError) {
        guard archive_read_data_skip(handle) == ARCHIVE_OK else {
            throw GSError("cannot read `\(path)` as .npz (a zip archive): \(Self.message(handle))")
        }
    }

    private static func message(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "unknown libarchive error"
    }
}
