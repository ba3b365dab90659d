import Testing

@testable import GSExec

/// Broadcast runs are as long as the layout allows: that is what lets the arithmetic loops
/// use their eight lanes on a per-channel bias or a scalar.
struct BroadcastWalkerTests {
    static func runs(_ output: [Int], _ inputs: [[Int]]) -> [(output: Int, offsets: [Int], strides: [Int], n: Int)] {
        var out: [(Int, [Int], [Int], Int)] = []
        BroadcastWalker(output: output, inputs: inputs).forEachRun { o, offsets, strides, n in
            out.append((o, offsets, strides, n))
        }
        return out
    }

    @Test func aScalarCoversTheWholeTensorInOneRun() {
        let runs = Self.runs([1, 240, 12, 80], [[1, 240, 12, 80], [1]])
        #expect(runs.count == 1)
        #expect(runs.first?.n == 240 * 12 * 80)
        #expect(runs.first?.strides == [1, 0])
    }

    @Test func aPerChannelBiasGivesOneRunPerChannel() {
        let runs = Self.runs([1, 8, 6, 6], [[1, 8, 6, 6], [1, 8, 1, 1]])
        #expect(runs.count == 8)
        #expect(runs.allSatisfy { $0.n == 36 && $0.strides == [1, 0] })
        #expect(runs.map(\.offsets[1]) == Array(0..<8))
        #expect(runs.map(\.output) == (0..<8).map { $0 * 36 })
    }

    @Test func everyOutputElementIsVisitedOnceWithTheRightInputs() {
        // [2, 1, 3, 1, 9] + [1, 4, 3, 1, 1] -> [2, 4, 3, 1, 9], checked against index arithmetic.
        var seen = [Int](repeating: 0, count: 2 * 4 * 3 * 9)
        for run in Self.runs([2, 4, 3, 1, 9], [[2, 1, 3, 1, 9], [1, 4, 3, 1, 1]]) {
            for k in 0..<run.n {
                let o = run.output + k
                let (a, b, c, e) = (o / 108, o / 27 % 4, o / 9 % 3, o % 9)
                seen[o] += 1
                #expect(run.offsets[0] + k * run.strides[0] == a * 27 + c * 9 + e)
                #expect(run.offsets[1] + k * run.strides[1] == b * 3 + c)
            }
        }
        #expect(seen.allSatisfy { $0 == 1 })
    }

    @Test func aTensorOfOneElementIsOneRun() {
        #expect(Self.runs([1, 1, 1], [[1, 1, 1], []]).map(\.n) == [1])
        #expect(Self.runs([], [[], []]).map(\.n) == [1])
    }
}
