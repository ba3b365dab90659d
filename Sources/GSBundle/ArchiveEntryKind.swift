/// Tar entry types as libarchive reports them (`AE_IF*`; the C macros carry casts and do
/// not import into Swift).
enum ArchiveEntryKind: Equatable, Sendable {
    case file
    case directory
    case symlink
    case hardlink
    case characterDevice
    case blockDevice
    case fifo
    case socket
    case unknown(UInt32)

    static let typeMask: UInt32 = 0o170000

    init(fileType: UInt32, isHardlink: Bool) {
        if isHardlink {
            self = .hardlink
            return
        }
        switch fileType & Self.typeMask {
        case 0o100000: self = .file
        case 0o040000: self = .directory
        case 0o120000: self = .symlink
        case 0o020000: self = .characterDevice
        case 0o060000: self = .blockDevice
        case 0o010000: self = .fifo
        case 0o140000: self = .socket
        default: self = .unknown(fileType)
        }
    }

    /// The `AE_IF*` value to write (hard links are regular entries with a link target).
    var fileType: UInt32 {
        switch self {
        case .file, .hardlink: 0o100000
        case .directory: 0o040000
        case .symlink: 0o120000
        case .characterDevice: 0o020000
        case .blockDevice: 0o060000
        case .fifo: 0o010000
        case .socket: 0o140000
        case .unknown(let value): value
        }
    }

    /// For messages: "a symbolic link", "a FIFO".
    var description: String {
        switch self {
        case .file: "a regular file"
        case .directory: "a directory"
        case .symlink: "a symbolic link"
        case .hardlink: "a hard link"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .fifo: "a FIFO"
        case .socket: "a socket"
        case .unknown(let value): "an entry of unknown type 0o\(String(value, radix: 8))"
        }
    }
}
