extension Tensor {
    /// Sample `index` of an array whose first axis counts samples (an `.npz` of inputs), given
    /// the shape one sample has: the same values, copied out, in the sample's shape.
    public func sample(_ index: Int, shape sampleShape: [Int]) -> Tensor {
        let size = Tensor.count(of: sampleShape)
        let range = (index * size)..<((index + 1) * size)
        let values: Storage
        switch storage {
        case .float(let v): values = .float(Array(v[range]))
        case .float16(let v): values = .float16(Array(v[range]))
        case .double(let v): values = .double(Array(v[range]))
        case .int8(let v): values = .int8(Array(v[range]))
        case .uint8(let v): values = .uint8(Array(v[range]))
        case .int32(let v): values = .int32(Array(v[range]))
        case .int64(let v): values = .int64(Array(v[range]))
        case .bool(let v): values = .bool(Array(v[range]))
        }
        return Tensor(shape: sampleShape, storage: values)
    }
}
