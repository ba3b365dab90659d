import GSCore

/// Why reading, checking or writing an ONNX model failed, with the byte offset and the message
/// path where it happened, so a broken file can be found with a hex editor and a fuzzer's
/// finding read at a glance.
///
/// Decoding never traps on input: every problem a file can have ends up as one of these.
public struct ONNXError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure, for tests and callers that react differently to each.
    public enum Kind: String, Sendable, Equatable {
        /// The input ends inside a key, a value or a length-delimited field.
        case truncated
        /// A varint runs past 10 bytes (no 64-bit value needs more).
        case varintTooLong
        /// A key carries wire type 3, 4 (groups, unused by ONNX), 6 or 7.
        case invalidWireType
        /// A key names field 0 or a number above the protobuf maximum.
        case invalidFieldNumber
        /// A known field arrives with a wire type its declaration cannot have.
        case wrongWireType
        /// A length prefix points past the end of the enclosing message.
        case lengthPastEnd
        /// Messages (subgraphs) nest deeper than the reader allows.
        case tooDeep
        /// A tensor's stored data does not match its type or shape.
        case invalidTensorData
        /// External tensor data is missing, out of range or outside the model's folder.
        case externalData
        /// The file system refused a read or a write.
        case io
        /// The bytes decode as protobuf but are not an ONNX model.
        case notAModel
        /// A message is over the 2 GiB protobuf limit.
        case tooLarge
    }

    /// What went wrong, as a kind.
    public var kind: Kind
    /// What went wrong, in words (lowercase, no trailing period).
    public var detail: String
    /// Byte offset in the decoded buffer, when the failure has one.
    public var offset: Int?
    /// Message path from the root (`ModelProto.graph.node[3].attribute[0]`), empty when unknown.
    public var path: [String]
    /// The file being read, when there is one.
    public var file: String?

    /// Makes an error; the decoder fills in `path` while it unwinds and the loader `file`.
    public init(_ kind: Kind, _ detail: String, offset: Int? = nil, path: [String] = [], file: String? = nil) {
        self.kind = kind
        self.detail = detail
        self.offset = offset
        self.path = path
        self.file = file
    }

    /// `error` itself when it is an ONNXError (the walks over tensors throw untyped errors).
    static func wrapping(_ error: any Error) -> ONNXError {
        error as? ONNXError ?? ONNXError(.io, "\(error)")
    }

    /// One line: `file: detail at byte N (in ModelProto.graph.node[3])`.
    public var description: String {
        var text = file.map { "`\($0)`: " } ?? ""
        text += detail
        if let offset { text += " at byte \(offset)" }
        if !path.isEmpty { text += " (in \(path.joined()))" }
        return text
    }

    /// The same error for the CLI's printer (exit 1, one line).
    public var gsError: GSError {
        switch kind {
        case .truncated, .varintTooLong, .invalidWireType, .invalidFieldNumber, .wrongWireType, .lengthPastEnd,
            .tooDeep, .notAModel:
            var text = file.map { "`\($0)` is not a valid ONNX model: " } ?? "not a valid ONNX model: "
            text += detail
            if let offset { text += " at byte \(offset)" }
            if !path.isEmpty { text += " (in \(path.joined()))" }
            return GSError(text)
        default:
            return GSError(description)
        }
    }
}
