/// Kernel size, strides, dilations and padding of a 2-D window (Conv, ConvTranspose,
/// pooling), read from the ONNX attributes once and turned into output sizes.
struct SpatialGeometry: Sendable {
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    /// Explicit pads [begin..., end...]; ignored when `autoPad` is not NOTSET.
    var pads: [Int]
    var autoPad: String
    var ceilMode: Bool

    /// Reads the attributes; `kernel` may come from the weight shape (Conv) instead.
    init(_ attributes: Attributes, spatialRank: Int, kernel: [Int]? = nil) throws {
        let given = try attributes.ints("kernel_shape") ?? kernel
        guard let given, given.count == spatialRank else {
            throw attributes.error("kernel_shape must have \(spatialRank) values")
        }
        self.kernel = given
        strides = try attributes.ints("strides") ?? Array(repeating: 1, count: spatialRank)
        dilations = try attributes.ints("dilations") ?? Array(repeating: 1, count: spatialRank)
        pads = try attributes.ints("pads") ?? Array(repeating: 0, count: spatialRank * 2)
        autoPad = try attributes.string("auto_pad", default: "NOTSET")
        ceilMode = try attributes.int("ceil_mode", default: 0) != 0
        guard strides.count == spatialRank, dilations.count == spatialRank, pads.count == spatialRank * 2,
            strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }), pads.allSatisfy({ $0 >= 0 })
        else { throw attributes.error("strides, dilations and pads do not fit a \(spatialRank)-D window") }
    }

    /// Output sizes and the begin pads actually used for an input of `spatial` sizes.
    func output(for spatial: [Int]) throws -> (sizes: [Int], padBegin: [Int], padEnd: [Int]) {
        var sizes: [Int] = []
        var begin: [Int] = []
        var end: [Int] = []
        for axis in 0..<spatial.count {
            let input = spatial[axis]
            let effective = (kernel[axis] - 1) * dilations[axis] + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                let out = (input + strides[axis] - 1) / strides[axis]
                let total = max(0, (out - 1) * strides[axis] + effective - input)
                let small = total / 2
                let large = total - small
                begin.append(autoPad == "SAME_UPPER" ? small : large)
                end.append(autoPad == "SAME_UPPER" ? large : small)
                sizes.append(out)
            case "VALID":
                begin.append(0)
                end.append(0)
                sizes.append((input - effective) / strides[axis] + 1)
            default:
                let b = pads[axis]
                let e = pads[axis + spatial.count]
                let span = input + b + e - effective
                var out = (ceilMode ? (span + strides[axis] - 1) / strides[axis] : span / strides[axis]) + 1
                // As onnxruntime and PyTorch do: a last window that would start inside the
                // end padding only is dropped.
                if ceilMode, (out - 1) * strides[axis] >= input + b { out -= 1 }
                begin.append(b)
                end.append(e)
                sizes.append(out)
            }
            guard sizes[axis] > 0 else {
                throw ExecError("window \(kernel) does not fit the input size \(spatial)")
            }
        }
        return (sizes, begin, end)
    }
}

/// Tensors as float arrays and back, so float16 graphs run through the float kernels and
/// come back as float16 (as CPU runtimes execute them).
enum FloatIO {
    static func values(_ tensor: Tensor, _ what: String) throws -> [Float] {
        guard tensor.isFloatingPoint else { throw ExecError("\(what) must be a float tensor, got \(tensor.dataType)") }
        if case .float(let values) = tensor.storage { return values }
        return tensor.floatValues
    }
}
