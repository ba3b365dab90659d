/// Whole-buffer scans calibration runs over every activation of every sample: the range
/// of the finite values and their sum. Here, in the module built for the kernel CPU with
/// `-Ounchecked`, because elsewhere the stdlib's SIMD min/max stay calls per lane and the
/// scans cost more than running the model.
public enum FloatScan {
    typealias Lanes = SIMD8<Float>

    /// The smallest and largest finite values (NaN and infinities skipped); (inf, -inf)
    /// when there are none. A buffer holding a non-finite value (rare: each lane's `x * 0`
    /// turns it NaN) is scanned again one value at a time.
    public static func finiteExtremes(_ buffer: UnsafeBufferPointer<Float>) -> (low: Float, high: Float) {
        let count = buffer.count
        var index = 0
        var low = Float.infinity
        var high = -Float.infinity
        if let base = buffer.baseAddress, count >= 8 {
            var lowLanes = Lanes(repeating: .infinity)
            var highLanes = Lanes(repeating: -.infinity)
            var poison = Lanes.zero
            let raw = UnsafeRawPointer(base)
            while index + 8 <= count {
                let lanes = raw.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self)
                lowLanes = lowLanes.replacing(with: lanes, where: lanes .< lowLanes)
                highLanes = highLanes.replacing(with: lanes, where: lanes .> highLanes)
                poison += lanes * 0
                index += 8
            }
            if poison.sum() == 0 {
                low = lowLanes.min()
                high = highLanes.max()
            } else {
                index = 0
            }
        }
        while index < count {
            let value = buffer[index]
            if value.isFinite {
                low = min(low, value)
                high = max(high, value)
            }
            index += 1
        }
        return (low, high)
    }

    /// The sum of the finite values (a buffer holding a non-finite one is summed again one
    /// value at a time, skipping it).
    public static func finiteSum(_ buffer: UnsafeBufferPointer<Float>) -> Float {
        let count = buffer.count
        var index = 0
        var sum: Float = 0
        if let base = buffer.baseAddress, count >= 8 {
            var sumLanes = Lanes.zero
            var poison = Lanes.zero
            let raw = UnsafeRawPointer(base)
            while index + 8 <= count {
                let lanes = raw.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self)
                sumLanes += lanes
                poison += lanes * 0
                index += 8
            }
            if poison.sum() == 0 { sum = sumLanes.sum() } else { index = 0 }
        }
        while index < count {
            if buffer[index].isFinite { sum += buffer[index] }
            index += 1
        }
        return sum
    }
}
