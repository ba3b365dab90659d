import CJPEG
import GSCore

/// JPEG to RGB through libjpeg-turbo's TurboJPEG API (never a hand-written codec).
///
/// Settings are those `cv2.imread` and PIL use, so the pixels match theirs: the accurate
/// integer IDCT and fancy (smooth) chroma upsampling. Warnings are errors: libjpeg "warns"
/// on a truncated file and fills the missing rows with gray, which would silently poison
/// calibration data. CMYK and YCCK files are converted to RGB with OpenCV's formula.
enum JPEGDecoder {
    static func decode(_ bytes: [UInt8], name: String, limits: ImageLimits) throws(GSError) -> Image {
        guard let handle = tjInitDecompress() else { throw GSError("cannot start a JPEG decoder for `\(name)`") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt(bytes.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else { throw failure(handle, name: name) }
        guard width > 0, height > 0 else {
            // libjpeg-turbo reads a stream that ends before its frame header as "tables only".
            throw GSError(
                "cannot decode `\(name)` as JPEG: it ends before its frame header",
                hint: "the file is truncated or damaged: copy it again")
        }
        let w = Int(width)
        let h = Int(height)
        try limits.check(width: w, height: h, name: name)
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = cmyk ? 4 : 3
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        let flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
        var decoded = [UInt8](repeating: 0, count: w * h * channels)
        let status = bytes.withUnsafeBufferPointer { source in
            decoded.withUnsafeMutableBufferPointer { target in
                tjDecompress2(
                    handle, source.baseAddress, UInt(bytes.count), target.baseAddress, width, 0, height,
                    Int32(format.rawValue), flags)
            }
        }
        guard status == 0 else { throw failure(handle, name: name) }
        var image = Image(unchecked: w, height: h, pixels: cmyk ? rgb(fromCMYK: decoded, count: w * h) : decoded)
        if let orientation = ExifOrientation(jpeg: bytes) { image = orientation.apply(to: image) }
        return image
    }

    /// OpenCV's `icvCvt_CMYK2BGR_8u_C4C3R`, which `cv2.imread` applies to the (inverted, Adobe
    /// style) CMYK samples libjpeg returns.
    private static func rgb(fromCMYK cmyk: [UInt8], count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count * 3)
        cmyk.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for pixel in 0..<count {
                    let k = Int(source[pixel * 4 + 3])
                    for channel in 0..<3 {
                        let value = Int(source[pixel * 4 + channel])
                        // Parenthesised: in Swift `>>` binds tighter than `*`.
                        target[pixel * 3 + channel] = UInt8(truncatingIfNeeded: k - (((255 - value) * k) >> 8))
                    }
                }
            }
        }
        return out
    }

    private static func failure(_ handle: tjhandle, name: String) -> GSError {
        let reason = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown libjpeg-turbo error"
        let truncated = reason.contains("Premature end") || reason.contains("premature end")
        return GSError(
            "cannot decode `\(name)` as JPEG: \(reason)",
            hint: truncated ? "the file is truncated or damaged: copy it again" : "re-encode the image or remove it")
    }
}
