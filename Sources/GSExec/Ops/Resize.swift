#if canImport(Glibc)
    import Glibc
#endif

/// Resize in nearest and linear modes, reproducing onnxruntime's CPU kernel (upsample.cc)
/// operation for operation: coordinates are transformed in Float with the same expressions,
/// nearest indices come from per-axis tables, and bilinear weights and sums follow its
/// order, so outputs match bit for bit. Linear mode covers what onnxruntime supports for
/// 2-D and 4-D inputs (NCHW, or NHWC when the channel scale is 1); cubic mode, antialiasing
/// and trilinear inputs are refused with a clear error.
struct ResizeKernel: Kernel {
    /// Interpolation (cubic is refused when the node is prepared).
    enum Mode: String { case nearest, linear }
    /// How an output coordinate maps back to an input coordinate.
    enum Transform: String {
        case halfPixel = "half_pixel"
        case asymmetric
        case pytorchHalfPixel = "pytorch_half_pixel"
        case tfHalfPixelForNN = "tf_half_pixel_for_nn"
        case alignCorners = "align_corners"
        case tfCropAndResize = "tf_crop_and_resize"
        case halfPixelSymmetric = "half_pixel_symmetric"
    }
    /// How nearest mode rounds a coordinate (`simple` is opset 10's rule).
    enum Nearest: String {
        case simple = ""
        case roundPreferFloor = "round_prefer_floor"
        case roundPreferCeil = "round_prefer_ceil"
        case floor
        case ceil
    }
    /// Opset 18 `keep_aspect_ratio_policy` for sizes.
    enum AspectPolicy: String {
        case stretch
        case notLarger = "not_larger"
        case notSmaller = "not_smaller"
    }

    let mode: Mode
    /// Always asymmetric in opset 10; `coordinate_transformation_mode` since.
    let transform: Transform
    let nearest: Nearest
    /// The value of outputs that fall outside the input (tf_crop_and_resize only).
    let extrapolation: Float
    /// Decides the input positions: opset 10 has (X, scales), later ones (X, roi, scales, sizes).
    let opset: Int
    /// Opset 18: the axes scales, sizes and roi refer to.
    let axes: [Int]?
    let policy: AspectPolicy

    init(_ node: ExecNode, opset: Int) throws {
        let attributes = Attributes(node)
        let modeName = try attributes.string("mode", default: "nearest")
        guard let mode = Mode(rawValue: modeName) else {
            throw attributes.error("Resize mode `\(modeName)` is not supported (nearest and linear are)")
        }
        self.mode = mode
        let transformName =
            opset > 10 ? try attributes.string("coordinate_transformation_mode", default: "half_pixel") : "asymmetric"
        guard let transform = Transform(rawValue: transformName) else {
            throw attributes.error("coordinate_transformation_mode `\(transformName)` is not supported")
        }
        self.transform = transform
        let nearestName =
            mode == .nearest && opset >= 11 ? try attributes.string("nearest_mode", default: "round_prefer_floor") : ""
        guard let nearest = Nearest(rawValue: nearestName) else {
            throw attributes.error("nearest_mode `\(nearestName)` is not supported")
        }
        self.nearest = nearest
        extrapolation = try attributes.float("extrapolation_value", default: 0)
        if try attributes.int("exclude_outside", default: 0) != 0 {
            throw attributes.error("exclude_outside can be set only in cubic mode")
        }
        if try attributes.int("antialias", default: 0) != 0 {
            throw attributes.error("Resize with antialias is not supported")
        }
        let policyName = try attributes.string("keep_aspect_ratio_policy", default: "stretch")
        guard let policy = AspectPolicy(rawValue: policyName) else {
            throw attributes.error("keep_aspect_ratio_policy `\(policyName)` is not supported")
        }
        self.policy = policy
        axes = try attributes.ints("axes")
        self.opset = opset
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let rank = data.rank
        guard rank > 0 else { throw ExecError("Resize needs an input of rank 1 or more") }
        let axes = try self.axes.map { try normalizedAxes($0, rank: rank) }
        let scaleInput = optionalInput(inputs, opset == 10 ? 1 : 2)
        let sizeInput = opset >= 11 ? optionalInput(inputs, 3) : nil
        var scales = [Float](repeating: 1, count: rank)
        var shape = data.shape
        if let scaleInput, scaleInput.count > 0 {
            guard sizeInput == nil || sizeInput?.count == 0 else {
                throw ExecError("only one of scales and sizes may be given")
            }
            let given = scaleInput.floatValues
            if let axes {
                guard given.count == axes.count else { throw ExecError("scales \(given) do not match axes \(axes)") }
                for (i, axis) in axes.enumerated() { scales[axis] = given[i] }
            } else {
                guard given.count == rank else { throw ExecError("scales \(given) do not match rank \(rank)") }
                scales = given
            }
            guard scales.allSatisfy({ $0 > 0 }) else { throw ExecError("scales \(scales) must be positive") }
            shape = try (0..<rank).map { try Self.dimension(scales[$0] * Float(data.shape[$0])) }
        } else if let sizeInput, sizeInput.count > 0 {
            let given = try integers(sizeInput, "sizes")
            if let axes {
                guard given.count == axes.count else { throw ExecError("sizes \(given) do not match axes \(axes)") }
                for (i, axis) in axes.enumerated() { shape[axis] = given[i] }
            } else {
                guard given.count == rank else { throw ExecError("sizes \(given) do not match rank \(rank)") }
                shape = given
            }
            for axis in 0..<rank {
                if data.shape[axis] == 0 {
                    guard shape[axis] == 0 else { throw ExecError("cannot resize an empty axis to \(shape[axis])") }
                    scales[axis] = 1
                } else {
                    scales[axis] = Float(shape[axis]) / Float(data.shape[axis])
                }
            }
            try applyPolicy(&shape, &scales, input: data.shape, axes: axes)
            guard scales.allSatisfy({ $0 > 0 }) else { throw ExecError("sizes \(shape) must be positive") }
        } else {
            throw ExecError("Resize needs scales or sizes")
        }
        var roi = [Float](repeating: 0, count: rank) + [Float](repeating: 1, count: rank)
        if transform == .tfCropAndResize, let roiInput = optionalInput(inputs, 1), roiInput.count > 0 {
            let given = roiInput.floatValues
            if let axes {
                guard given.count == 2 * axes.count else { throw ExecError("roi \(given) does not match axes \(axes)") }
                for (i, axis) in axes.enumerated() {
                    roi[axis] = given[i]
                    roi[rank + axis] = given[axes.count + i]
                }
            } else {
                guard given.count == 2 * rank else { throw ExecError("roi \(given) must hold 2 x \(rank) values") }
                roi = given
            }
        }
        let count = try checkedCount(shape)
        if count == 0 { return [Tensor(shape: shape, storage: data.storage.makeLike(count: 0) { _ in })] }
        if shape == data.shape { return [data] }
        switch mode {
        case .nearest: return [try resizeNearest(data, shape: shape, scales: scales, roi: roi)]
        case .linear: return [try resizeLinear(data, shape: shape, scales: scales, roi: roi)]
        }
    }

    /// An output dimension from a Float product, truncated as onnxruntime does; absurd
    /// values are an error rather than a trap.
    static func dimension(_ value: Float) throws -> Int {
        guard value.isFinite, value >= 0, value < 1e12 else {
            throw ExecError("Resize output dimension \(value) is out of range")
        }
        return Int(value)
    }

    /// `keep_aspect_ratio_policy` (opset 18): one scale for all resized axes.
    func applyPolicy(_ shape: inout [Int], _ scales: inout [Float], input: [Int], axes: [Int]?) throws {
        guard policy != .stretch else { return }
        let chosen = Set(axes ?? Array(0..<input.count))
        var scale: Float = policy == .notLarger ? .greatestFiniteMagnitude : .leastNormalMagnitude
        for axis in chosen {
            scale = policy == .notLarger ? min(scale, scales[axis]) : max(scale, scales[axis])
        }
        for axis in 0..<input.count {
            if chosen.contains(axis) {
                scales[axis] = scale
                shape[axis] = try Self.dimension((scale * Float(input[axis])).rounded(.toNearestOrAwayFromZero))
            } else {
                scales[axis] = 1
                shape[axis] = input[axis]
            }
        }
    }

    /// The input coordinate of output coordinate `x`, as onnxruntime computes it in Float.
    func original(_ x: Float, scale: Float, resized: Float, length: Float, roiStart: Float, roiEnd: Float) -> Float {
        switch transform {
        case .asymmetric:
            return x / scale
        case .pytorchHalfPixel:
            return resized > 1 ? (x + 0.5) / scale - 0.5 : 0
        case .tfHalfPixelForNN:
            return (x + 0.5) / scale
        case .alignCorners:
            return resized == 1 ? 0 : x * (length - 1) / (resized - 1)
        case .tfCropAndResize:
            if resized > 1 {
                return Float(roiStart * (length - 1) + (x * (roiEnd - roiStart) * (length - 1)) / (resized - 1))
            }
            return Float(0.5 * Double(roiStart + roiEnd) * Double(length - 1))
        case .halfPixelSymmetric:
            let outputWidth = scale * length
            let adjustment = resized / outputWidth
            let center = length / 2
            let offset = center * (1 - adjustment)
            return Float(Double(offset) + (Double(x) + 0.5) / Double(scale) - 0.5)
        case .halfPixel:
            return ((x + 0.5) / scale) - 0.5
        }
    }

    /// The nearest input index for an input coordinate (before clamping).
    func nearestIndex(_ coordinate: Float, downsampling: Bool) -> Int {
        // Keep conversions to Int defined for absurd scales.
        let x = coordinate.isNaN ? 0 : min(max(coordinate, -1e15), 1e15)
        switch nearest {
        case .simple: return downsampling ? Int(x.rounded(.up)) : Int(x.rounded(.towardZero))
        case .roundPreferCeil: return Int(x.rounded(.toNearestOrAwayFromZero))
        case .floor: return Int(x.rounded(.down))
        case .ceil: return Int(x.rounded(.up))
        case .roundPreferFloor:
            if x == Float(Int(x.rounded(.towardZero))) + 0.5 { return Int(x.rounded(.down)) }
            return Int(x.rounded(.toNearestOrAwayFromZero))
        }
    }

    /// Nearest mode: per-axis tables of source offsets, one byte-level gather.
    func resizeNearest(_ data: Tensor, shape: [Int], scales: [Float], roi: [Float]) throws -> Tensor {
        let rank = data.rank
        let strides = Shapes.strides(data.shape)
        let extrapolate = transform == .tfCropAndResize
        var maps: [[Int]] = []
        var outside: [[Bool]] = []
        for axis in 0..<rank {
            let length = data.shape[axis]
            var map = [Int](repeating: 0, count: shape[axis])
            var out = [Bool](repeating: false, count: shape[axis])
            for o in 0..<shape[axis] {
                // A scale of exactly 1 maps one to one (rank 1 always transforms).
                if scales[axis] == 1 && rank > 1 {
                    map[o] = min(o, length - 1) * strides[axis]
                    continue
                }
                let x = original(
                    Float(o), scale: scales[axis], resized: Float(shape[axis]), length: Float(length),
                    roiStart: roi[axis], roiEnd: roi[rank + axis])
                out[o] = extrapolate && (x < 0 || x > Float(length - 1))
                let index = min(max(nearestIndex(x, downsampling: scales[axis] < 1), 0), length - 1)
                map[o] = index * strides[axis]
            }
            maps.append(map)
            outside.append(out)
        }
        let count = Tensor.count(of: shape)
        let size = data.storage.elementSize
        var storage = data.storage.withRawBytes { source in
            data.storage.makeLike(count: count) { target in
                guard let s = source.baseAddress, let t = target.baseAddress else { return }
                Layout.gather(maps: maps, elementSize: size, from: s, to: t)
            }
        }
        if extrapolate && outside.contains(where: { $0.contains(true) }) {
            let fill = try Layout.scalar(Tensor(shape: [], floats: [extrapolation]), as: data.storage)
            let outStrides = Shapes.strides(shape)
            storage = storage.withRawBytes { filled in
                fill.storage.withRawBytes { element in
                    data.storage.makeLike(count: count) { target in
                        guard let f = filled.baseAddress, let t = target.baseAddress, let e = element.baseAddress else {
                            return
                        }
                        t.copyMemory(from: f, byteCount: count * size)
                        for position in 0..<count {
                            let isOutside = (0..<rank).contains { outside[$0][(position / outStrides[$0]) % shape[$0]] }
                            if isOutside { (t + position * size).copyMemory(from: e, byteCount: size) }
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, storage: storage)
    }

    /// Per-axis bilinear tables: the two source indices and their weights (onnxruntime's
    /// `SetupUpsampleBilinear`), plus the untransformed coordinate for extrapolation.
    struct Axis {
        /// The lower and upper source index of each output index.
        var low: [Int] = []
        var high: [Int] = []
        /// Weights: distance to the other index (so `low` is weighted by `highWeight`).
        var lowWeight: [Float] = []
        var highWeight: [Float] = []
        /// The same weights in 1/1024ths, for the 8-bit NHWC path.
        var lowWeight10: [Int32] = []
        var highWeight10: [Int32] = []
        var original: [Float] = []
    }

    /// The bilinear tables of one axis.
    func bilinearAxis(input: Int, output: Int, scale: Float, roiStart: Float, roiEnd: Float) -> Axis {
        var axis = Axis()
        for o in 0..<output {
            var x =
                scale == 1
                ? Float(o)
                : original(
                    Float(o), scale: scale, resized: Float(output), length: Float(input),
                    roiStart: roiStart, roiEnd: roiEnd)
            axis.original.append(x)
            x = max(0, min(x, Float(input - 1)))
            let x10 = Int32(truncatingIfNeeded: Int64(x * 1024))
            let low = min(Int(x), input - 1)
            let high = min(low + 1, input - 1)
            var lowWeight = abs(x - Float(low))
            var highWeight = abs(x - Float(high))
            var lowWeight10 = abs(x10 - Int32(low) * 1024)
            var highWeight10 = abs(x10 - Int32(high) * 1024)
            if low == high {
                lowWeight = 0.5
                highWeight = 0.5
                lowWeight10 = 512
                highWeight10 = 512
            }
            axis.low.append(low)
            axis.high.append(high)
            axis.lowWeight.append(lowWeight)
            axis.highWeight.append(highWeight)
            axis.lowWeight10.append(lowWeight10)
            axis.highWeight10.append(highWeight10)
        }
        return axis
    }

    /// Linear mode on 2-D inputs and 4-D NCHW or NHWC inputs.
    func resizeLinear(_ data: Tensor, shape: [Int], scales: [Float], roi: [Float]) throws -> Tensor {
        let rank = data.rank
        let batch: Int
        let channels: Int
        let hAxis: Int
        let wAxis: Int
        let nhwc: Bool
        if rank == 2 {
            (batch, channels, hAxis, wAxis, nhwc) = (1, 1, 0, 1, false)
        } else if rank == 4 && scales[0] == 1 && scales[1] == 1 {
            (batch, channels, hAxis, wAxis, nhwc) = (data.shape[0], data.shape[1], 2, 3, false)
        } else if rank == 4 && scales[0] == 1 && scales[3] == 1 {
            (batch, channels, hAxis, wAxis, nhwc) = (data.shape[0], data.shape[3], 1, 2, true)
        } else {
            throw ExecError(
                "linear Resize supports 2-D inputs and 4-D inputs whose outer two (or outer and inner) scales are 1; "
                    + "got shape \(data.shape) and scales \(scales)")
        }
        let inH = data.shape[hAxis]
        let inW = data.shape[wAxis]
        let outH = shape[hAxis]
        let outW = shape[wAxis]
        let ys = bilinearAxis(
            input: inH, output: outH, scale: scales[hAxis], roiStart: roi[hAxis], roiEnd: roi[rank + hAxis])
        let xs = bilinearAxis(
            input: inW, output: outW, scale: scales[wAxis], roiStart: roi[wAxis], roiEnd: roi[rank + wAxis])
        let extrapolate = transform == .tfCropAndResize
        func outside(_ y: Int, _ x: Int) -> Bool {
            extrapolate
                && (ys.original[y] < 0 || ys.original[y] > Float(inH - 1) || xs.original[x] < 0
                    || xs.original[x] > Float(inW - 1))
        }
        let count = batch * channels * outH * outW
        let extrapolation = self.extrapolation
        // Generic float evaluation: ORT's `dx2*dy2*X11 + dx1*dy2*X21 + dx2*dy1*X12 + dx1*dy1*X22`.
        func interpolate(_ read: (Int) -> Float, _ write: (Int, Float) -> Void) {
            for n in 0..<batch {
                for y in 0..<outH {
                    for x in 0..<outW {
                        for c in 0..<channels {
                            let inBase: Int
                            let outIndex: Int
                            let pixel: (Int, Int) -> Int
                            if nhwc {
                                inBase = n * inH * inW * channels + c
                                outIndex = ((n * outH + y) * outW + x) * channels + c
                                pixel = { ($0 * inW + $1) * channels }
                            } else {
                                inBase = (n * channels + c) * inH * inW
                                outIndex = ((n * channels + c) * outH + y) * outW + x
                                pixel = { $0 * inW + $1 }
                            }
                            if outside(y, x) {
                                write(outIndex, extrapolation)
                                continue
                            }
                            let x11 = read(inBase + pixel(ys.low[y], xs.low[x]))
                            let x21 = read(inBase + pixel(ys.low[y], xs.high[x]))
                            let x12 = read(inBase + pixel(ys.high[y], xs.low[x]))
                            let x22 = read(inBase + pixel(ys.high[y], xs.high[x]))
                            let dx1 = xs.lowWeight[x]
                            let dx2 = xs.highWeight[x]
                            let dy1 = ys.lowWeight[y]
                            let dy2 = ys.highWeight[y]
                            let value = dx2 * dy2 * x11 + dx1 * dy2 * x21 + dx2 * dy1 * x12 + dx1 * dy1 * x22
                            write(outIndex, value)
                        }
                    }
                }
            }
        }
        switch data.storage {
        case .float(let values):
            if !nhwc && !extrapolate {
                return Tensor(shape: shape, storage: .float(fastBilinear(values, batch * channels, inH, inW, ys, xs)))
            }
            var out = [Float](repeating: 0, count: count)
            values.withUnsafeBufferPointer { v in
                interpolate({ v[$0] }, { out[$0] = $1 })
            }
            return Tensor(shape: shape, storage: .float(out))
        case .float16, .double:
            let values = data.floatValues
            var out = [Float](repeating: 0, count: count)
            interpolate({ values[$0] }, { out[$0] = $1 })
            return Tensor.fromFloats(out, shape: shape, like: data.storage)
        case .int8, .uint8:
            let values = data.int64Values
            var out = [Int64](repeating: 0, count: count)
            if nhwc {
                // ORT's integer NHWC path: weights in 1/1024ths, products in 1/2^20ths.
                for n in 0..<batch {
                    for y in 0..<outH {
                        for x in 0..<outW {
                            for c in 0..<channels {
                                let outIndex = ((n * outH + y) * outW + x) * channels + c
                                if outside(y, x) {
                                    out[outIndex] = Int64(Cast.saturating(extrapolation))
                                    continue
                                }
                                let base = n * inH * inW * channels + c
                                func at(_ row: Int, _ column: Int) -> Int32 {
                                    Int32(truncatingIfNeeded: values[base + (row * inW + column) * channels])
                                }
                                let sum =
                                    xs.highWeight10[x] &* ys.highWeight10[y] &* at(ys.low[y], xs.low[x])
                                    &+ xs.lowWeight10[x] &* ys.highWeight10[y] &* at(ys.low[y], xs.high[x])
                                    &+ xs.highWeight10[x] &* ys.lowWeight10[y] &* at(ys.high[y], xs.low[x])
                                    &+ xs.lowWeight10[x] &* ys.lowWeight10[y] &* at(ys.high[y], xs.high[x])
                                out[outIndex] = Int64(sum / (1 << 20))
                            }
                        }
                    }
                }
            } else {
                interpolate({ Float(values[$0]) }, { out[$0] = Cast.saturating($1) })
            }
            return Tensor.fromInts(out, shape: shape, like: data.storage)
        case .int32:
            let values = data.int64Values
            var out = [Int64](repeating: 0, count: count)
            interpolate({ Float(values[$0]) }, { out[$0] = Cast.saturating($1) })
            return Tensor.fromInts(out, shape: shape, like: data.storage)
        default:
            throw ExecError("linear Resize does not support \(data.dataType)")
        }
    }

    /// The NCHW float loop over unsafe buffers (the PP-OCR and SSD hot path).
    func fastBilinear(_ values: [Float], _ planes: Int, _ inH: Int, _ inW: Int, _ ys: Axis, _ xs: Axis) -> [Float] {
        let outH = ys.low.count
        let outW = xs.low.count
        var out = [Float](repeating: 0, count: planes * outH * outW)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let s = source.baseAddress, let t = target.baseAddress else { return }
                for plane in 0..<planes {
                    let input = s + plane * inH * inW
                    let output = t + plane * outH * outW
                    for y in 0..<outH {
                        let row1 = input + ys.low[y] * inW
                        let row2 = input + ys.high[y] * inW
                        let dy1 = ys.lowWeight[y]
                        let dy2 = ys.highWeight[y]
                        let line = output + y * outW
                        for x in 0..<outW {
                            let dx1 = xs.lowWeight[x]
                            let dx2 = xs.highWeight[x]
                            let x11 = row1[xs.low[x]]
                            let x21 = row1[xs.high[x]]
                            let x12 = row2[xs.low[x]]
                            let x22 = row2[xs.high[x]]
                            line[x] = dx2 * dy2 * x11 + dx1 * dy2 * x21 + dx2 * dy1 * x12 + dx1 * dy1 * x22
                        }
                    }
                }
            }
        }
        return out
    }
}
