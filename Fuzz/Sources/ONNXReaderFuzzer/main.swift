// libFuzzer target for the ONNX reader: arbitrary bytes go through the protobuf wire reader
// and every message type of the ONNX schema (`ModelFile.decode`), and what decodes goes back
// through the writer, the reader again, and the read-only helpers `gsctl model inspect` and
// the optimizer run on models they did not write. None of it may crash, hang or allocate
// without bound: the reader checks every length against the bytes left, bounds message and
// subgraph nesting, and turns everything else into an `ONNXError`.
//
// Round-trip stability is checked too: a decoded model re-encodes to bytes that decode again
// and encode to the very same bytes, so fields the codec does not model (and the form of those
// it does: presence, packing, field order) survive a rewrite byte for byte.
//
// Built with `-sanitize=fuzzer,address -parse-as-library` by Fuzz/run.sh; libFuzzer provides
// `main`. The file is named main.swift only so that a tools-version-5.3 manifest treats the
// target as an executable.

import ONNX
import GSCore

#if canImport(Glibc)
    import Glibc
#endif

/// Only a name for error messages: nothing in the target reads the disk.
private let fuzzPath = "/nonexistent-gsctl-fuzz/model.onnx"

/// Set GSCTL_FUZZ_PRINT=1 to print each input's outcome (when replaying reproducers): the
/// error, or the summary `gsctl model inspect` prints.
private let printReports = getenv("GSCTL_FUZZ_PRINT") != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNXReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []

    let model: ModelProto
    do {
        model = try ModelFile.decode(bytes, file: fuzzPath)
    } catch {
        // The clean error path. Its message must still be printable, and offsets must point
        // inside the input.
        if let offset = error.offset {
            precondition(offset >= 0 && offset <= bytes.count, "error offset \(offset) outside the input: \(error)")
        }
        let message = error.gsError.message
        if printReports { print("error: \(message)") }
        return 0
    }

    // Round trip: what the reader accepted, the writer writes, and the reader reads back;
    // after that first rewrite the bytes are a fixed point.
    let first = model.serialized()
    let again: ModelProto
    do {
        again = try ModelFile.decode(first, file: fuzzPath)
    } catch {
        fatalError("re-encoded model does not decode: \(error) (\(first.count) bytes)")
    }
    let second = again.serialized()
    if second != first {
        let common = min(first.count, second.count)
        let at = (0..<common).first { first[$0] != second[$0] } ?? common
        fatalError(
            "round trip is not stable: \(first.count) bytes, then \(second.count); first difference at byte \(at)")
    }

    // What `gsctl model inspect` computes and prints (text and JSON).
    let summary = ModelSummary(model, file: fuzzPath, fileSize: bytes.count)
    let text = summary.text
    _ = summary.json.pretty
    _ = summary.json.canonical
    for value in summary.inputs + summary.outputs { _ = ModelSummary.shapeText(value.shape) }

    // Graph queries the optimizer and executor make, and typed reads of every tensor.
    let graph = model.graph
    _ = graph.initializerIndex()
    _ = graph.producerIndex()
    _ = graph.consumerIndex()
    _ = graph.outerScopeReferences
    _ = graph.nodeCountIncludingSubgraphs
    _ = model.opsetVersion(domain: "")
    var copy = model
    copy.forEachTensor { tensor in
        _ = tensor.dataByteCount
        if tensor.isExternal { _ = try? ExternalDataReference(tensor) }
        switch tensor.dataType {
        case .float: _ = try? tensor.floats()
        case .double: _ = try? tensor.doubles()
        case .float16: _ = try? tensor.float16s()
        case .int64: _ = try? tensor.int64s()
        case .int32: _ = try? tensor.int32s()
        case .int8: _ = try? tensor.int8s()
        case .uint8: _ = try? tensor.uint8s()
        case .bool: _ = try? tensor.bools()
        case .string: _ = try? tensor.strings()
        default: break
        }
    }

    if printReports { print(text, terminator: "") }
    return 0
}
