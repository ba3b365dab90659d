import GSCore

/// Which samples calibrate and which evaluate: two disjoint lists of sample indices.
///
/// A sample goes to evaluation when the first 8 bytes of SHA-256 of its key (the image's
/// file name, or `sample-<index>` for arrays), read as a big-endian fraction of 2^64, fall
/// below `evaluationFraction`; otherwise to calibration. Hashing the name rather than
/// taking every other index keeps each sample on its side when files are added or removed,
/// so growing a dataset never moves an image from evaluation into calibration (which would
/// let accuracy be measured on data the quantizer has seen) and changes the calibration set
/// only by the files that changed. With two or more samples neither side is left empty:
/// the sample nearest the boundary moves over. Both lists are in index order.
public struct DatasetSplit: Sendable, Hashable {
    public var calibration: [Int]
    public var evaluation: [Int]

    public init(keys: [String], evaluationFraction: Double = 0.5) {
        let fraction = min(max(evaluationFraction, 0), 1)
        let positions = keys.map(Self.position)
        var calibration: [Int] = []
        var evaluation: [Int] = []
        for (index, position) in positions.enumerated() {
            if position < fraction { evaluation.append(index) } else { calibration.append(index) }
        }
        if keys.count >= 2, fraction > 0, fraction < 1 {
            if evaluation.isEmpty, let nearest = calibration.min(by: { positions[$0] < positions[$1] }) {
                calibration.removeAll { $0 == nearest }
                evaluation = [nearest]
            } else if calibration.isEmpty, let nearest = evaluation.max(by: { positions[$0] < positions[$1] }) {
                evaluation.removeAll { $0 == nearest }
                calibration = [nearest]
            }
        }
        self.calibration = calibration
        self.evaluation = evaluation
    }

    /// Where a key falls in [0, 1).
    static func position(_ key: String) -> Double {
        let hex = SHA256.hex(of: key)
        let value = UInt64(hex.prefix(16), radix: 16) ?? 0
        return Double(value >> 11) / Double(1 << 53)
    }
}
