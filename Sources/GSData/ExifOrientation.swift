/// The EXIF orientation tag (0x0112) of a JPEG or PNG, and the flips and transposes that
/// undo it.
///
/// Phones store photos as the sensor saw them and record how to turn them; `cv2.imread`
/// applies that turn (to JPEG APP1 and PNG eXIf blocks alike), so the deployed pipelines see
/// upright images and calibration must too. Only the tag is read (a bounded walk over
/// markers or chunks and one TIFF directory), no pixel data.
enum ExifOrientation: Int {
    case topLeft = 1
    case topRight, bottomRight, bottomLeft, leftTop, rightTop, rightBottom, leftBottom

    /// The orientation of a JPEG, or `nil` when it has none, it is 1 (upright) or the EXIF
    /// block is damaged (a damaged block is ignored, as OpenCV does).
    init?(jpeg bytes: [UInt8]) {
        self.init(value: Self.jpegTag(in: bytes))
    }

    /// The orientation in a PNG's `eXIf` chunk (a TIFF block, sometimes written with the
    /// JPEG-style `Exif\0\0` prefix).
    init?(png bytes: [UInt8]) {
        self.init(value: Self.pngTag(in: bytes))
    }

    private init?(value: Int?) {
        guard let value, value != 1, let orientation = ExifOrientation(rawValue: value) else { return nil }
        self = orientation
    }

    private static func pngTag(in bytes: [UInt8]) -> Int? {
        var index = 8
        while index + 12 <= bytes.count {
            let length =
                Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8
                | Int(bytes[index + 3])
            let body = (index + 8)..<(index + 8 + length)
            guard body.upperBound + 4 <= bytes.count else { return nil }
            if bytes[(index + 4)..<(index + 8)].elementsEqual("eXIf".utf8) {
                var tiff = bytes[body]
                if tiff.starts(with: exifMagic) { tiff = tiff.dropFirst(6) }
                return tiff.count >= 8 ? orientation(tiff: tiff) : nil
            }
            if bytes[(index + 4)..<(index + 8)].elementsEqual("IEND".utf8) { return nil }
            index = body.upperBound + 4
        }
        return nil
    }

    private static func jpegTag(in bytes: [UInt8]) -> Int? {
        var index = 2  // after SOI
        while index + 4 <= bytes.count {
            guard bytes[index] == 0xFF else { return nil }
            let marker = bytes[index + 1]
            if marker == 0xFF {  // fill byte
                index += 1
                continue
            }
            // Start of scan, end of image: no more headers. Markers without a length: skip.
            if marker == 0xDA || marker == 0xD9 { return nil }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {
                index += 2
                continue
            }
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            guard length >= 2, index + 2 + length <= bytes.count else { return nil }
            let body = (index + 4)..<(index + 2 + length)
            if marker == 0xE1, body.count > 14, bytes[body.lowerBound..<body.lowerBound + 6].elementsEqual(exifMagic) {
                return orientation(tiff: bytes[(body.lowerBound + 6)..<body.upperBound])
            }
            index += 2 + length
        }
        return nil
    }

    private static let exifMagic: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]  // "Exif\0\0"

    /// Looks up tag 0x0112 in IFD0 of a TIFF block.
    private static func orientation(tiff: ArraySlice<UInt8>) -> Int? {
        let base = tiff.startIndex
        let little: Bool
        switch (tiff[base], tiff[base + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func read(_ offset: Int, _ size: Int) -> Int? {
            guard offset >= 0, base + offset + size <= tiff.endIndex else { return nil }
            var value = 0
            for byte in 0..<size {
                let shift = little ? 8 * byte : 8 * (size - 1 - byte)
                value |= Int(tiff[base + offset + byte]) << shift
            }
            return value
        }
        guard read(2, 2) == 42, let ifd = read(4, 4), let entries = read(ifd, 2) else { return nil }
        for entry in 0..<min(entries, 512) {
            let at = ifd + 2 + entry * 12
            guard let tag = read(at, 2) else { return nil }
            if tag == 0x0112 {
                guard read(at + 2, 2) == 3 else { return nil }  // SHORT
                return read(at + 8, 2)
            }
        }
        return nil
    }

    /// The upright image, as OpenCV's `ExifTransform` makes it.
    func apply(to image: Image) -> Image {
        let w = image.width
        let h = image.height
        let transposed = rawValue >= 5
        let outWidth = transposed ? h : w
        let outHeight = transposed ? w : h
        // For output (x, y), where it comes from in the source.
        let flipX: Bool
        let flipY: Bool
        switch self {
        case .topLeft: (flipX, flipY) = (false, false)
        case .topRight: (flipX, flipY) = (true, false)
        case .bottomRight: (flipX, flipY) = (true, true)
        case .bottomLeft: (flipX, flipY) = (false, true)
        case .leftTop: (flipX, flipY) = (false, false)
        case .rightTop: (flipX, flipY) = (true, false)
        case .rightBottom: (flipX, flipY) = (true, true)
        case .leftBottom: (flipX, flipY) = (false, true)
        }
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    // The flips act on the (transposed) result, as OpenCV flips after transposing.
                    let ty = flipY ? outHeight - 1 - y : y
                    for x in 0..<outWidth {
                        let tx = flipX ? outWidth - 1 - x : x
                        let (sx, sy) = transposed ? (ty, tx) : (tx, ty)
                        let from = (sy * w + sx) * 3
                        let to = (y * outWidth + x) * 3
                        target[to] = source[from]
                        target[to + 1] = source[from + 1]
                        target[to + 2] = source[from + 2]
                    }
                }
            }
        }
        return Image(unchecked: outWidth, height: outHeight, pixels: out)
    }
}
