import GSExec
import ONNX

/// How much INT8 hurts one quantized tensor, and the nodes to keep in float to undo it.
///
/// Ranking is by tensor, not node: in a QDQ model a tensor stays quantized as long as its
/// producer or any reader is quantized, so keeping one node in float rarely removes the
/// damage (the lesson of this project's earlier Python optimizer).
public struct Sensitivity: Sendable, Hashable {
    public enum Kind: String, Sendable { case activation, weight }

    public var tensor: String
    public var kind: Kind
    /// Mean over channels of ||x - dq(q(x))|| / ||x||, capped at 1 (0 = exact).
    public var error: Double
    /// Nodes whose exclusion removes this tensor's quantization.
    public var nodes: [String]
}

public enum SensitivityRanking {
    /// Every quantized tensor of `result`, most damaged first. Activations are measured on
    /// a few calibration samples per channel, so an outlier channel cannot hide the
    /// channels it crushes.
    public static func rank(
        float model: ModelProto, quantized result: QDQQuantizer.Result, config: QuantizationConfig,
        samples: [[String: Tensor]]
    ) throws -> [Sensitivity] {
        var ranking: [Sensitivity] = []
        let type = config.format.activationType
        var sums: [String: (errors: [Double], norms: [Double])] = [:]
        let executor = try ONNXImport.executor(for: model)
        for sample in samples.prefix(4) {
            _ = try executor.run(
                sample, fetch: [],
                observe: { name, tensor in
                    guard let parameters = result.activationParameters[name], tensor.isFloatStorage else { return }
                    let (errors, norms) = channelErrors(tensor, parameters, type)
                    var entry =
                        sums[name] ?? (
                            Array(repeating: 0, count: errors.count), Array(repeating: 0, count: errors.count)
                        )
                    guard entry.errors.count == errors.count else { return }
                    for i in 0..<errors.count {
                        entry.errors[i] += errors[i]
                        entry.norms[i] += norms[i]
                    }
                    sums[name] = entry
                })
        }
        for (tensor, readers) in result.quantizedTensors {
            let error = sums[tensor].map(relative) ?? 0
            var nodes = readers
            if let producer = result.producers[tensor], result.quantizedNodeNames.contains(producer) {
                nodes.insert(producer, at: 0)
            }
            ranking.append(Sensitivity(tensor: tensor, kind: .activation, error: error, nodes: nodes))
        }
        let initializers = Dictionary(model.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (weight, nodes) in result.quantizedWeights {
            guard let tensor = initializers[weight], let values = try? tensor.floats() else { continue }
            ranking.append(
                Sensitivity(
                    tensor: weight, kind: .weight,
                    error: weightError(values, shape: tensor.shape, type: config.format.weightType),
                    nodes: nodes))
        }
        return ranking.sorted { ($0.error, $1.tensor) > ($1.error, $0.tensor) }
    }

    /// Per channel (axis 1, or the whole tensor below rank 2): squared error and squared
    /// norm of the round trip through the tensor's quantization.
    static func channelErrors(_ tensor: Tensor, _ parameters: QuantizationParameters, _ type: QuantizedType)
        -> ([Double], [Double])
    {
        let values = tensor.floatValues
        let channels = tensor.rank >= 2 ? max(tensor.shape[1], 1) : 1
        let inner = tensor.rank >= 2 ? Tensor.count(of: Array(tensor.shape.dropFirst(2))) : values.count
        var errors = [Double](repeating: 0, count: channels)
        var norms = [Double](repeating: 0, count: channels)
        for (index, value) in values.enumerated() {
            let channel = inner > 0 ? (index / inner) % channels : 0
            let round = RangeQuantizer.dequantize(RangeQuantizer.quantize(value, parameters, type), parameters)
            errors[channel] += Double((value - round) * (value - round))
            norms[channel] += Double(value * value)
        }
        return (errors, norms)
    }

    static func relative(_ sums: (errors: [Double], norms: [Double])) -> Double {
        var total = 0.0
        var counted = 0
        for i in 0..<sums.errors.count where sums.norms[i] > 0 {
            total += min(1, (sums.errors[i] / sums.norms[i]).squareRoot())
            counted += 1
        }
        return counted == 0 ? 0 : total / Double(counted)
    }

    /// Per output channel (axis 0) relative round-trip error of a weight, averaged.
    static func weightError(_ values: [Float], shape: [Int], type: QuantizedType) -> Double {
        let channels = max(shape.first ?? 1, 1)
        let inner = max(values.count / channels, 1)
        var total = 0.0
        var counted = 0
        for channel in 0..<channels {
            let slice = values[(channel * inner)..<min(values.count, (channel + 1) * inner)]
            let low = slice.min() ?? 0
            let high = slice.max() ?? 0
            let parameters = RangeQuantizer.parameters(low: low, high: high, type: type)
            var error = 0.0
            var norm = 0.0
            for value in slice {
                let round = RangeQuantizer.dequantize(RangeQuantizer.quantize(value, parameters, type), parameters)
                error += Double((value - round) * (value - round))
                norm += Double(value * value)
            }
            if norm > 0 {
                total += min(1, (error / norm).squareRoot())
                counted += 1
            }
        }
        return counted == 0 ? 0 : total / Double(counted)
    }
}
