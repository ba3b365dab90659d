import GSExec
import Testing

/// Calibration's scans: the range and sum of the finite values, whatever the length and
/// wherever a NaN or an infinity sits.
struct FloatScanTests {
    static func scalarExtremes(_ values: [Float]) -> (Float, Float) {
        let finite = values.filter(\.isFinite)
        return (finite.min() ?? .infinity, finite.max() ?? -.infinity)
    }

    @Test(arguments: [0, 1, 7, 8, 9, 16, 31, 1000])
    func agreesWithAPlainLoop(count: Int) {
        var generator = SplitMix(state: UInt64(count))
        var values = generator.floats(count).map { $0 * 100 }
        let expected = Self.scalarExtremes(values)
        var found = values.withUnsafeBufferPointer { FloatScan.finiteExtremes($0) }
        #expect(found.low == expected.0 && found.high == expected.1)
        let sum = values.withUnsafeBufferPointer { FloatScan.finiteSum($0) }
        let plain = values.reduce(0, +)
        #expect(abs(sum - plain) <= 1e-3 * max(1, abs(plain)))
        // Non-finite values anywhere are skipped, not propagated.
        guard count > 0 else { return }
        values[count / 2] = .nan
        values[count - 1] = .infinity
        values[0] = -.infinity
        let finite = Self.scalarExtremes(values)
        found = values.withUnsafeBufferPointer { FloatScan.finiteExtremes($0) }
        #expect(found.low == finite.0 && found.high == finite.1)
        let finiteSum = values.withUnsafeBufferPointer { FloatScan.finiteSum($0) }
        #expect(finiteSum.isFinite)
        #expect(abs(finiteSum - values.filter(\.isFinite).reduce(0, +)) <= 1e-3 * max(1, abs(plain)))
    }

    @Test func aBufferWithoutFiniteValuesHasNoRange() {
        let values: [Float] = Array(repeating: .nan, count: 12)
        let found = values.withUnsafeBufferPointer { FloatScan.finiteExtremes($0) }
        #expect(found.low == .infinity && found.high == -.infinity)
        #expect(values.withUnsafeBufferPointer { FloatScan.finiteSum($0) } == 0)
    }
}
