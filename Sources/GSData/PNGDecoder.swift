import CPNG
import GSCore

/// PNG to RGB through libpng's simplified `png_image` API (it catches libpng's `longjmp`
/// errors itself, which Swift cannot).
///
/// The pixels are those `cv2.imread` gives: alpha is dropped, not blended over a background;
/// palettes are expanded, gray and 1/2/4-bit gray replicated and scaled; gamma and colour
/// chunks are ignored; an EXIF orientation in an `eXIf` chunk is applied. libpng's simplified API would otherwise convert to sRGB (and treat
/// 16-bit data as linear light), so `gAMA`, `sRGB`, `cHRM` and `iCCP` chunks are dropped
/// before decoding.
///
/// 16-bit images: without alpha, samples become `v >> 8` exactly as OpenCV does. With
/// alpha, the simplified API can only give 16-bit colour premultiplied by alpha, so those
/// are read at 8 bits by libpng, which rounds (`(v * 255 + 32767) / 65535`) instead of
/// truncating: at most 1 away from OpenCV.
enum PNGDecoder {
    static func decode(_ bytes: [UInt8], name: String, limits: ImageLimits) throws(GSError) -> Image {
        let input = withoutColorChunks(bytes)
        let result: Result<Image, GSError> = input.withUnsafeBytes { raw in
            Result { () throws(GSError) in try decode(raw, name: name, limits: limits) }
        }
        let image = try result.get()
        return ExifOrientation(png: bytes)?.apply(to: image) ?? image
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, name: String, limits: ImageLimits) throws(GSError)
        -> Image
    {
        // libpng keeps a pointer to the control structure between the two calls: give it a
        // stable address.
        let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        image.initialize(to: png_image())
        defer {
            png_image_free(image)
            image.deallocate()
        }
        image.pointee.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(image, raw.baseAddress, raw.count) != 0 else {
            throw failure(image, name: name)
        }
        let w = Int(image.pointee.width)
        let h = Int(image.pointee.height)
        try limits.check(width: w, height: h, name: name)
        let sixteen = image.pointee.format & PNG_FORMAT_FLAG_LINEAR != 0
        let alpha = image.pointee.format & PNG_FORMAT_FLAG_ALPHA != 0
        if sixteen && !alpha {
            // Linear in, linear out (no gamma chunks left): the file's own 16-bit samples.
            image.pointee.format = UInt32(PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLOR)
            var wide = [UInt16](repeating: 0, count: w * h * 3)
            let ok = wide.withUnsafeMutableBytes { png_image_finish_read(image, nil, $0.baseAddress, 0, nil) }
            guard ok != 0 else { throw failure(image, name: name) }
            return Image(unchecked: w, height: h, pixels: wide.map { UInt8($0 >> 8) })
        }
        if sixteen {
            // Tell libpng the samples are already sRGB, so 16 -> 8 bits is only a rescale.
            image.pointee.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        }
        let channels = alpha ? 4 : 3
        image.pointee.format = alpha ? PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA : PNG_FORMAT_FLAG_COLOR
        var decoded = [UInt8](repeating: 0, count: w * h * channels)
        let ok = decoded.withUnsafeMutableBytes { png_image_finish_read(image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw failure(image, name: name) }
        guard alpha else { return Image(unchecked: w, height: h, pixels: decoded) }
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        decoded.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer { target in
                for pixel in 0..<(w * h) {
                    target[pixel * 3] = source[pixel * 4]
                    target[pixel * 3 + 1] = source[pixel * 4 + 1]
                    target[pixel * 3 + 2] = source[pixel * 4 + 2]
                }
            }
        }
        return Image(unchecked: w, height: h, pixels: rgb)
    }

    private static func failure(_ image: UnsafeMutablePointer<png_image>, name: String) -> GSError {
        let message = withUnsafeBytes(of: image.pointee.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return GSError(
            "cannot decode `\(name)` as PNG: \(message.isEmpty ? "unknown libpng error" : message)",
            hint: "the file is truncated or damaged: re-encode it or remove it")
    }

    /// Chunks that make libpng's simplified API convert colours, which OpenCV never does.
    private static let colorChunks: Set<[UInt8]> = [
        Array("gAMA".utf8), Array("sRGB".utf8), Array("cHRM".utf8), Array("iCCP".utf8),
    ]

    /// The PNG without its colour-space chunks; the original bytes when it has none or its
    /// chunk structure is broken (libpng then reports the damage).
    static func withoutColorChunks(_ bytes: [UInt8]) -> [UInt8] {
        var index = 8
        var ranges: [Range<Int>] = []
        while index + 12 <= bytes.count {
            let length =
                Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8
                | Int(bytes[index + 3])
            let end = index + 12 + length
            guard end <= bytes.count else { return bytes }
            let type = Array(bytes[(index + 4)..<(index + 8)])
            if colorChunks.contains(type) { ranges.append(index..<end) }
            if type == Array("IDAT".utf8) { break }  // colour chunks must precede the data
            index = end
        }
        guard !ranges.isEmpty else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var start = 0
        for range in ranges {
            out += bytes[start..<range.lowerBound]
            start = range.upperBound
        }
        out += bytes[start...]
        return out
    }
}
