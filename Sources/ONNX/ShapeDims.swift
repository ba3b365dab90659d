/// Static sizes of a shape's dimensions, the form rewrites and executors want.
extension TensorShapeProto {
    /// Each dimension's fixed size, or nil when it is symbolic or unknown. Written as a
    /// plain loop: the nested-closure form crashed Swift 6.3.1's optimizer in release builds
    /// ("Found ownership error"), so call this instead of mapping `dim` inline.
    public var staticDims: [Int?] {
        var result: [Int?] = []
        result.reserveCapacity(dim.count)
        for dimension in dim {
            if let fixed = dimension.fixed { result.append(Int(truncatingIfNeeded: fixed)) } else { result.append(nil) }
        }
        return result
    }
}
