import GSExec
import ONNX

/// `dedupe-initializers`: initializers with the same element type, dims and bytes are merged
/// into the first of them; readers of the others (in subgraphs too) read that one.
///
/// Why: exporters repeat small constants per layer (axes, shapes, clip bounds; ppocr has one
/// Clip bound pair per activation), and folding makes more. Equality is bitwise (0.0 and -0.0
/// stay apart). Initializers that are graph inputs or graph outputs, and external ones not
/// loaded, are left alone; each graph is deduplicated on its own.
public struct DedupeInitializers: GraphPass {
    public let name = "dedupe-initializers"

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        var merged = 0
        dedupe(&model.graph, merged: &merged)
        return (model, PassReport(pass: name, counts: ["merged": merged]))
    }

    /// What identifies a tensor's contents: type, dims and a hash of the canonical bytes.
    private struct Key: Hashable {
        var dataType: Int32
        var dims: [Int64]
        var hash: Int
    }

    private func dedupe(_ graph: inout GraphProto, merged: inout Int) {
        for index in graph.node.indices {
            graph.node[index].mapSubgraphs { dedupe(&$0, merged: &merged) }
        }
        let excluded = Set(graph.input.map(\.name)).union(graph.output.map(\.name))
        var buckets: [Key: [(name: String, bytes: [UInt8])]] = [:]
        var replacements: [(duplicate: String, keeper: String)] = []
        for tensor in graph.initializer where !excluded.contains(tensor.name) {
            guard let bytes = Self.canonicalBytes(tensor) else { continue }
            let key = Key(dataType: tensor.dataTypeRaw, dims: tensor.dims, hash: bytes.hashValue)
            if let keeper = buckets[key]?.first(where: { $0.bytes == bytes }) {
                replacements.append((tensor.name, keeper.name))
            } else {
                buckets[key, default: []].append((tensor.name, bytes))
            }
        }
        guard !replacements.isEmpty else { return }
        let duplicates = Set(replacements.map(\.duplicate))
        graph.initializer.removeAll { duplicates.contains($0.name) }
        graph.valueInfo.removeAll { duplicates.contains($0.name) }
        for (duplicate, keeper) in replacements { graph.replaceUses(of: duplicate, with: keeper) }
        merged += replacements.count
    }

    /// The values as little-endian bytes whichever field stores them (raw or typed), or the
    /// strings joined with their lengths; nil for data this build cannot read.
    static func canonicalBytes(_ tensor: TensorProto) -> [UInt8]? {
        if tensor.dataType == .string {
            guard let strings = try? tensor.strings() else { return nil }
            var bytes: [UInt8] = []
            for string in strings {
                withUnsafeBytes(of: UInt64(string.count).littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: string)
            }
            return bytes
        }
        if let raw = tensor.rawData, let expected = tensor.dataByteCount, raw.count == expected { return raw }
        guard !tensor.isExternal, let value = try? ONNXImport.tensor(tensor) else { return nil }
        return ONNXImport.proto(value, name: "").rawData
    }
}
