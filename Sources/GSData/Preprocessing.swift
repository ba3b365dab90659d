import GSCore
import GSExec

/// How a model wants its image input: the size, the normalisation, the channel order, the
/// memory layout and the element type. Built from a Model spec's fields by the build (GSData
/// does not depend on GSSpec) and applied to every calibration and evaluation image.
///
/// The order of operations is OpenCV's and PP-OCR's, so tensors match theirs to float
/// rounding: resize the 8-bit image (`Resize.linear`, bit-exact with `cv2.resize`), take the
/// centre crop when there is one, convert to float32, multiply by `scale`, subtract `mean`,
/// divide by `std`, all in float32.
public struct Preprocessing: Sendable, Hashable {
    public enum ChannelOrder: String, Sendable, Hashable, CaseIterable {
        case rgb
        case bgr
    }

    public enum Layout: String, Sendable, Hashable, CaseIterable {
        case nchw = "NCHW"
        case nhwc = "NHWC"
    }

    /// The model input's element type.
    public enum ElementType: String, Sendable, Hashable, CaseIterable {
        case float32
        case uint8
    }

    /// A centre crop of the resized image, as classifiers trained with torchvision's
    /// `Resize` + `CenterCrop` expect (resize to 256, crop 224).
    public struct Crop: Sendable, Hashable {
        public var width: Int
        public var height: Int

        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }
    }

    /// The size images are resized to: the model input's width and height in pixels, unless a
    /// `crop` then cuts the input out of it.
    public var width: Int
    public var height: Int
    /// Keep the aspect ratio: resize so the whole image fits, then pad bottom and right (with
    /// a `crop`: so that the image covers `width` x `height`, its shorter side fitting, as
    /// torchvision's `Resize(size)` scales the shorter side).
    ///
    /// The long side (relative to the target) becomes the target's; the other is
    /// `ceil(target * ratio)` capped at the target, as PP-OCR's recognizer computes it
    /// (`ceil(imgH * w / h)`). Padding is 0 in the output tensor, after normalisation, as
    /// PP-OCR pads its normalised input (for uint8 inputs: pixel value 0). One difference
    /// from PP-OCR's recognizer: a line too wide for the target is squashed there to the
    /// full width and height, while here it keeps its ratio and is padded at the bottom.
    public var keepAspect: Bool
    /// With `keepAspect`: false keeps an image that already fits at its own size (padded
    /// bottom and right), only ever shrinking, as PP-OCR's text detector resizes. Enlarged
    /// past the scale it was trained at, DB splits a text line at its word gaps, so a
    /// detector evaluated on enlarged lines is scored on a picture the service never sends.
    public var upscale: Bool = true
    /// Multiplies each 0...255 sample first (1/255 maps to 0...1).
    public var scale: Float
    /// Subtracted after scaling; one value for all channels or one per output channel, in
    /// output channel order (after `channelOrder` is applied).
    public var mean: [Float]
    /// Divides after the mean; same shape rules as `mean`.
    public var std: [Float]
    /// Channel order of the output: `bgr` is what models trained on `cv2.imread` data expect.
    public var channelOrder: ChannelOrder
    public var layout: Layout
    public var elementType: ElementType
    /// The centre of the resized image that becomes the input (nil: all of it).
    public var crop: Crop? = nil

    public init(
        width: Int, height: Int, keepAspect: Bool = false, scale: Float = 1, mean: [Float] = [0],
        std: [Float] = [1], channelOrder: ChannelOrder = .rgb, layout: Layout = .nchw,
        elementType: ElementType = .float32, upscale: Bool = true, crop: Crop? = nil
    ) {
        self.width = width
        self.height = height
        self.keepAspect = keepAspect
        self.upscale = upscale
        self.scale = scale
        self.mean = mean
        self.std = std
        self.channelOrder = channelOrder
        self.layout = layout
        self.elementType = elementType
        self.crop = crop
    }

    /// The input's width and height: the crop's, else the resize's.
    public var outputSize: (width: Int, height: Int) { crop.map { ($0.width, $0.height) } ?? (width, height) }

    /// `[1, 3, height, width]` for NCHW, `[1, height, width, 3]` for NHWC, of `outputSize`.
    public var outputShape: [Int] {
        let (w, h) = outputSize
        return layout == .nchw ? [1, 3, h, w] : [1, h, w, 3]
    }

    /// Throws when the settings cannot produce a tensor.
    public func validate() throws(GSError) {
        guard width > 0, height > 0 else {
            throw GSError("preprocessing size must be positive, not \(width)x\(height)")
        }
        guard width <= 1 << 15, height <= 1 << 15 else {
            throw GSError("preprocessing size \(width)x\(height) is larger than 32768 on a side")
        }
        if let crop {
            guard crop.width > 0, crop.height > 0, crop.width <= width, crop.height <= height else {
                throw GSError(
                    "the crop \(crop.width)x\(crop.height) does not fit in the resized \(width)x\(height) image",
                    hint: "resize to at least the crop's size (for example 256x256, then crop 224x224)")
            }
            guard upscale || !keepAspect else {
                throw GSError("a crop needs an image that covers its size: `upscale: false` cannot go with `crop`")
            }
        }
        for (name, values) in [("mean", mean), ("std", std)] where values.count != 1 && values.count != 3 {
            throw GSError("preprocessing `\(name)` has \(values.count) values; give 1 or 3 (one per channel)")
        }
        guard scale.isFinite, mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            throw GSError("preprocessing `scale`, `mean` and `std` must be finite, and `std` non-zero")
        }
        if elementType == .uint8, scale != 1 || mean.contains(where: { $0 != 0 }) || std.contains(where: { $0 != 1 }) {
            throw GSError(
                "a uint8 input cannot carry `scale`, `mean` or `std` (scale \(scale), mean \(mean), std \(std))",
                hint: "uint8 models take raw pixels and normalise inside the graph; remove the normalisation")
        }
    }

    /// The size the image is resized to before padding (the target itself without
    /// `keepAspect`).
    public func resizedSize(width w: Int, height h: Int) -> (width: Int, height: Int) {
        guard keepAspect else { return (width, height) }
        if crop != nil {
            // Cover the target: the relatively shorter side fits, the other overhangs (the
            // crop cuts it), truncated as torchvision's `Resize(size)` computes it.
            if w * height >= width * h {
                return (max(width, Int(Double(height) * Double(w) / Double(h))), height)
            }
            return (width, max(height, Int(Double(width) * Double(h) / Double(w))))
        }
        if !upscale, w <= width, h <= height { return (w, h) }
        // Width-limited when the image is relatively wider than the target.
        if w * height >= width * h {
            let other = (Double(width) * (Double(h) / Double(w))).rounded(.up)
            return (width, max(1, min(height, Int(other))))
        }
        let other = (Double(height) * (Double(w) / Double(h))).rounded(.up)
        return (max(1, min(width, Int(other))), height)
    }

    /// The model input tensor for one image.
    public func apply(_ image: Image) throws(GSError) -> Tensor {
        try validate()
        let size = resizedSize(width: image.width, height: image.height)
        let resized = Resize.linear(image, width: size.width, height: size.height)
        // Channel c of the output reads channel `source[c]` of the RGB image.
        let source = channelOrder == .rgb ? [0, 1, 2] : [2, 1, 0]
        switch elementType {
        case .uint8:
            let out = fill(resized, source: source, zero: UInt8(0)) { _, value in value }
            return Tensor(shape: outputShape, storage: .uint8(out))
        case .float32:
            // Every output value depends only on (channel, byte): a 3x256 table computes each
            // once, in the same float32 operation order as numpy.
            var table = [Float](repeating: 0, count: 3 * 256)
            for c in 0..<3 {
                let m = mean.count == 3 ? mean[c] : mean[0]
                let s = std.count == 3 ? std[c] : std[0]
                for value in 0..<256 { table[c * 256 + value] = (Float(value) * scale - m) / s }
            }
            let out = table.withUnsafeBufferPointer { table in
                fill(resized, source: source, zero: Float(0)) { c, value in table[c &* 256 &+ Int(value)] }
            }
            return Tensor(shape: outputShape, storage: .float(out))
        }
    }

    /// Where the crop starts in an image of `size`: centred, the half pixel rounded to even,
    /// as torchvision's `CenterCrop` rounds (`int(round((w - cw) / 2))`).
    func cropOrigin(_ size: (width: Int, height: Int)) -> (x: Int, y: Int) {
        guard let crop else { return (0, 0) }
        func centre(_ total: Int, _ part: Int) -> Int {
            Int((Double(total - part) / 2).rounded(.toNearestOrEven))
        }
        return (centre(size.width, crop.width), centre(size.height, crop.height))
    }

    /// Lays the resized image (its crop) out in the output layout and pads the rest with `zero`.
    private func fill<T>(_ image: Image, source: [Int], zero: T, _ convert: (Int, UInt8) -> T) -> [T] {
        let (width, height) = outputSize
        var out = [T](repeating: zero, count: 3 * width * height)
        let origin = cropOrigin((image.width, image.height))
        let w = min(image.width - origin.x, width)
        let h = min(image.height - origin.y, height)
        let stride = image.width
        let plane = width * height
        image.pixels.withUnsafeBufferPointer { pixels in
            out.withUnsafeMutableBufferPointer { out in
                for y in 0..<h {
                    for x in 0..<w {
                        let from = ((y &+ origin.y) &* stride &+ x &+ origin.x) &* 3
                        let at = y &* width &+ x
                        for c in 0..<3 {
                            let value = convert(c, pixels[from &+ source[c]])
                            if layout == .nchw {
                                out[c &* plane &+ at] = value
                            } else {
                                out[at &* 3 &+ c] = value
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
