import GSCore
import GSExec
import GSSpec

/// Deterministic inputs for Models without data: enough to check that a variant computes
/// what the original does (and to give bundles a golden input), not to measure accuracy on
/// real data. Floats in [-1, 1] (where normalised images live), uint8 in [0, 255].
enum SyntheticInputs {
    static func make(_ inputs: [ModelInput], count: Int) -> [[String: Tensor]] {
        make(inputs.map { ModelInputShape(name: $0.name, shape: $0.shape, uint8: $0.dtype == .uint8) }, count: count)
    }

    static func make(_ inputs: [ModelInputShape], count: Int) -> [[String: Tensor]] {
        guard !inputs.isEmpty, inputs.allSatisfy({ !$0.shape.isEmpty && $0.shape.allSatisfy { $0 > 0 } }) else {
            return []
        }
        var generator = SplitMix64(seed: 0x6773_6374_6C00)
        return (0..<count).map { _ in
            var sample: [String: Tensor] = [:]
            for input in inputs {
                let size = Tensor.count(of: input.shape)
                if input.uint8 {
                    sample[input.name] = Tensor(
                        shape: input.shape,
                        storage: .uint8((0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 56) }))
                } else {
                    sample[input.name] = Tensor(
                        shape: input.shape,
                        floats: (0..<size).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 })
                }
            }
            return sample
        }
    }
}
