import GSCore
import GSExec

#if canImport(Glibc)
    import Glibc
#endif

/// How a tensor's float range is chosen from what calibration saw.
public enum CalibrationMethod: Sendable, Hashable {
    /// The smallest and largest values seen.
    case minMax
    /// Both tails clipped at the given percentile (99.99 keeps 99.99% of values in range).
    case percentile(Double)
    /// The threshold whose 128-level quantized histogram diverges least (KL) from the
    /// measured one (TensorRT's entropy calibration), over 2048 bins.
    case entropy
}

/// What calibration measured for one tensor.
public struct TensorStatistics: Sendable {
    public var minimum: Float = .infinity
    public var maximum: Float = -.infinity
    /// Histogram of values over [minimum, maximum] (percentile) or of |x| over
    /// [0, max|x|] (entropy); empty for min/max calibration.
    public var histogram: [Double] = []
    public var histogramLow: Float = 0
    public var histogramHigh: Float = 0
    /// Sum of values per channel (axis 1 of a 4-D tensor) and the values summed per
    /// channel: the channel means bias correction needs.
    public var channelSums: [Double] = []
    public var valuesPerChannel: Double = 0

    /// Mean per channel over everything calibration saw; empty when not 4-D.
    public var channelMeans: [Double] {
        valuesPerChannel > 0 ? channelSums.map { $0 / valuesPerChannel } : []
    }

    /// The range to quantize with.
    public func range(_ method: CalibrationMethod) -> (low: Float, high: Float) {
        guard minimum <= maximum else { return (0, 0) }
        switch method {
        case .minMax:
            return (minimum, maximum)
        case .percentile(let percent):
            guard !histogram.isEmpty else { return (minimum, maximum) }
            let total = histogram.reduce(0, +)
            let tail = total * (100 - percent) / 100
            let width = (histogramHigh - histogramLow) / Float(histogram.count)
            var running = 0.0
            var lowBin = 0
            while lowBin < histogram.count - 1, running + histogram[lowBin] <= tail {
                running += histogram[lowBin]
                lowBin += 1
            }
            running = 0
            var highBin = histogram.count - 1
            while highBin > 0, running + histogram[highBin] <= tail {
                running += histogram[highBin]
                highBin -= 1
            }
            let low = minimum >= 0 ? 0 : histogramLow + Float(lowBin) * width
            let high = maximum <= 0 ? 0 : histogramLow + Float(highBin + 1) * width
            return (min(low, 0), max(high, 0))
        case .entropy:
            guard !histogram.isEmpty else { return (minimum, maximum) }
            // Non-negative tensors (after ReLU) use all 256 uint8 levels over [0, T].
            let threshold = Entropy.threshold(histogram, top: histogramHigh, levels: minimum >= 0 ? 256 : 128)
            return (minimum >= 0 ? 0 : -threshold, maximum <= 0 ? 0 : threshold)
        }
    }
}

/// Runs the float model over calibration samples with the executor, recording the values
/// of the named tensors. Min/max needs one pass; histograms a second one, over the range
/// the first found, so no bin is ever re-scaled.
public struct Calibrator: Sendable {
    public let executor: Executor
    public let tensors: Set<String>
    public let method: CalibrationMethod
    public static let bins = 2048

    public init(executor: Executor, tensors: Set<String>, method: CalibrationMethod) {
        self.executor = executor
        self.tensors = tensors
        self.method = method
    }

    /// Samples run two at a time (`lanes`; the compiler's accuracy check too), each lane measuring its own share (every
    /// other sample); lanes merge in order, so the result does not depend on timing.
    static let lanes = 2

    public func run(_ samples: [[String: Tensor]]) throws -> [String: TensorStatistics] {
        var statistics = try Self.merged(
            parallelMap(min(Self.lanes, samples.count)) { lane in
                Result { try self.ranges(stride(from: lane, to: samples.count, by: Self.lanes).map { samples[$0] }) }
            })
        guard method != .minMax else { return statistics }
        let absolute = method == .entropy
        for (name, stats) in statistics {
            var updated = stats
            updated.histogram = [Double](repeating: 0, count: Self.bins)
            updated.histogramLow = absolute ? 0 : stats.minimum
            updated.histogramHigh = absolute ? max(abs(stats.minimum), abs(stats.maximum)) : stats.maximum
            statistics[name] = updated
        }
        let bounds = statistics
        let histograms = parallelMap(min(Self.lanes, samples.count)) { lane in
            Result {
                try self.histograms(
                    stride(from: lane, to: samples.count, by: Self.lanes).map { samples[$0] }, bounds: bounds,
                    absolute: absolute)
            }
        }
        for lane in histograms {
            for (name, counts) in try lane.get() {
                guard var stats = statistics.removeValue(forKey: name) else { continue }
                for i in counts.indices { stats.histogram[i] += counts[i] }
                statistics[name] = stats
            }
        }
        return statistics
    }

    /// First pass over some samples: each tensor's range and channel sums.
    func ranges(_ samples: [[String: Tensor]]) throws -> [String: TensorStatistics] {
        var statistics: [String: TensorStatistics] = [:]
        func record(_ name: String, _ tensor: Tensor) {
            guard tensors.contains(name), tensor.isFloatStorage else { return }
            var stats = statistics.removeValue(forKey: name) ?? TensorStatistics()
            let (low, high) = Self.extremes(tensor)
            stats.minimum = min(stats.minimum, low)
            stats.maximum = max(stats.maximum, high)
            Self.accumulateChannelSums(tensor, into: &stats)
            statistics[name] = stats
        }
        for sample in samples {
            // Graph inputs read directly by a quantized node (a classifier's first Conv)
            // are measured too: the executor reports only what nodes compute.
            for (name, tensor) in sample { record(name, tensor) }
            _ = try executor.run(sample, fetch: [], observe: record)
        }
        return statistics
    }

    /// Second pass over some samples: each tensor's histogram over the range `bounds` holds.
    func histograms(_ samples: [[String: Tensor]], bounds: [String: TensorStatistics], absolute: Bool) throws
        -> [String: [Double]]
    {
        var statistics = bounds
        func histogram(_ name: String, _ tensor: Tensor) {
            guard statistics[name] != nil, tensor.isFloatStorage else { return }
            Self.accumulate(tensor, into: &statistics[name]!, absolute: absolute)
        }
        for sample in samples {
            for (name, tensor) in sample { histogram(name, tensor) }
            _ = try executor.run(sample, fetch: [], observe: histogram)
        }
        return statistics.mapValues(\.histogram)
    }

    /// The lanes' first-pass statistics as one, merged in lane order.
    static func merged(_ lanes: [Result<[String: TensorStatistics], any Error>]) throws -> [String: TensorStatistics] {
        var statistics: [String: TensorStatistics] = [:]
        for lane in lanes {
            for (name, found) in try lane.get() {
                guard var stats = statistics.removeValue(forKey: name) else {
                    statistics[name] = found
                    continue
                }
                stats.minimum = min(stats.minimum, found.minimum)
                stats.maximum = max(stats.maximum, found.maximum)
                if stats.channelSums.isEmpty {
                    stats.channelSums = found.channelSums
                } else if stats.channelSums.count == found.channelSums.count {
                    for i in stats.channelSums.indices { stats.channelSums[i] += found.channelSums[i] }
                }
                stats.valuesPerChannel += found.valuesPerChannel
                statistics[name] = stats
            }
        }
        return statistics
    }

    static func extremes(_ tensor: Tensor) -> (Float, Float) {
        if case .float(let values) = tensor.storage {
            return values.withUnsafeBufferPointer { extremes($0) }
        }
        return tensor.floatValues.withUnsafeBufferPointer { extremes($0) }
    }

    static func extremes(_ buffer: UnsafeBufferPointer<Float>) -> (Float, Float) {
        let found = FloatScan.finiteExtremes(buffer)
        return (found.low, found.high)
    }

    /// Adds a 4-D (NCHW) tensor's per-channel sums; other ranks are skipped.
    static func accumulateChannelSums(_ tensor: Tensor, into stats: inout TensorStatistics) {
        guard tensor.rank == 4, case .float(let values) = tensor.storage else { return }
        let (batch, channels) = (tensor.shape[0], tensor.shape[1])
        let inner = tensor.shape[2] * tensor.shape[3]
        guard channels > 0, inner > 0 else { return }
        if stats.channelSums.isEmpty { stats.channelSums = [Double](repeating: 0, count: channels) }
        guard stats.channelSums.count == channels else { return }
        values.withUnsafeBufferPointer { buffer in
            for image in 0..<batch {
                for channel in 0..<channels {
                    let start = (image * channels + channel) * inner
                    stats.channelSums[channel] += Double(
                        FloatScan.finiteSum(UnsafeBufferPointer(rebasing: buffer[start..<(start + inner)])))
                }
            }
        }
        stats.valuesPerChannel += Double(batch * inner)
    }

    static func accumulate(_ tensor: Tensor, into stats: inout TensorStatistics, absolute: Bool) {
        let bins = stats.histogram.count
        let span = stats.histogramHigh - stats.histogramLow
        guard span > 0 else {
            stats.histogram[0] += Double(tensor.count)
            return
        }
        let scale = Float(bins) / span
        let low = stats.histogramLow
        var counts = [Int](repeating: 0, count: bins)
        let values = tensor.floatValues
        values.withUnsafeBufferPointer { buffer in
            for raw in buffer where raw.isFinite {
                let value = absolute ? abs(raw) : raw
                let bin = Int((value - low) * scale)
                counts[min(max(bin, 0), bins - 1)] += 1
            }
        }
        for i in 0..<bins { stats.histogram[i] += Double(counts[i]) }
    }
}

extension Tensor {
    /// Float, float16 or double storage: what calibration records.
    var isFloatStorage: Bool {
        switch storage {
        case .float, .float16, .double: true
        default: false
        }
    }
}

/// KL-divergence threshold search over a histogram of |x|.
enum Entropy {
    /// `levels`: the quantized levels over [0, threshold] (128 for signed, 256 for
    /// non-negative tensors).
    static func threshold(_ measured: [Double], top: Float, levels: Int = 128) -> Float {
        // The zero bin takes its neighbour's count, as NVIDIA's calibrator does: after a
        // ReLU most values are exactly 0, and a spike that every candidate represents
        // exactly makes the clipped tail look free (a Relu6 output got a threshold that
        // clipped half its values).
        var histogram = measured
        if histogram.count > 1 { histogram[0] = histogram[1] }
        let bins = histogram.count
        guard bins > levels, top > 0 else { return top }
        var best = bins
        var bestDivergence = Double.infinity
        var i = levels
        while i <= bins {
            // Reference: the first i bins, with everything beyond folded into the last.
            var reference = Array(histogram[0..<i])
            reference[i - 1] += histogram[i...].reduce(0, +)
            // Candidate: the first i bins merged into `levels` levels and spread back over the
            // non-empty bins of each level.
            var candidate = [Double](repeating: 0, count: i)
            let perLevel = Double(i) / Double(levels)
            for level in 0..<levels {
                let start = Int((Double(level) * perLevel).rounded(.down))
                let end = level == levels - 1 ? i : Int((Double(level + 1) * perLevel).rounded(.down))
                guard start < end else { continue }
                var sum = 0.0
                var nonEmpty = 0
                for bin in start..<end where histogram[bin] > 0 {
                    sum += histogram[bin]
                    nonEmpty += 1
                }
                guard nonEmpty > 0 else { continue }
                let share = sum / Double(nonEmpty)
                for bin in start..<end where histogram[bin] > 0 { candidate[bin] = share }
            }
            let divergence = kl(reference, candidate)
            if divergence < bestDivergence {
                bestDivergence = divergence
                best = i
            }
            i += 16
        }
        return top * Float(best) / Float(bins)
    }

    static func kl(_ p: [Double], _ q: [Double]) -> Double {
        let ps = p.reduce(0, +)
        let qs = q.reduce(0, +)
        guard ps > 0, qs > 0 else { return .infinity }
        var total = 0.0
        for i in 0..<p.count where p[i] > 0 {
            let pi = p[i] / ps
            let qi = max(q[i] / qs, 1e-12)
            total += pi * log(pi / qi)
        }
        return total
    }
}
