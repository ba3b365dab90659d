import GSCore

/// A decoded picture: 8-bit RGB, row-major, 3 bytes per pixel, no row padding.
///
/// Every decoder produces this one shape, so preprocessing has a single input format
/// whatever the file was (gray, palette, 16-bit, with alpha).
public struct Image: Sendable, Hashable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes: R, G, B for each pixel, rows top to bottom.
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws(GSError) {
        guard width > 0, height > 0 else { throw GSError("an image must be at least 1x1, not \(width)x\(height)") }
        guard pixels.count == width * height * 3 else {
            throw GSError("a \(width)x\(height) RGB image needs \(width * height * 3) bytes, got \(pixels.count)")
        }
        self.init(unchecked: width, height: height, pixels: pixels)
    }

    /// For decoders and kernels that sized `pixels` themselves.
    init(unchecked width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Bounds on what a decoder accepts, so a hostile or broken file fails with a message
/// instead of exhausting memory: a 30 KB PNG can claim 100000x100000 pixels (30 GB of RGB).
public struct ImageLimits: Sendable, Hashable {
    /// Largest `width * height` decoded; 100 megapixels is far above any camera frame a model
    /// is calibrated with.
    public var maxPixels: Int
    /// Largest file read.
    public var maxFileBytes: Int

    public init(maxPixels: Int = 100_000_000, maxFileBytes: Int = 512 << 20) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }

    /// Throws unless `width x height` is a real, allowed size.
    func check(width: Int, height: Int, name: String) throws(GSError) {
        guard width > 0, height > 0 else { throw GSError("`\(name)` declares an empty image (\(width)x\(height))") }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw GSError(
                "`\(name)` declares \(width)x\(height) pixels, over the \(maxPixels)-pixel limit "
                    + "(a corrupt header or a decompression bomb)",
                hint: "downscale the image before using it")
        }
    }
}

/// The image formats gsctl decodes, recognised by their first bytes (not the extension).
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg
    case png

    /// File name extensions that mark an image in a calibration folder (lowercased).
    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    public init?(sniffing bytes: [UInt8]) {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else {
            return nil
        }
    }
}

/// Reads image files into `Image`s; the way the rest of gsctl gets pixels.
///
/// The result is what the deployed pipelines see from `cv2.imread(path)` (converted to RGB):
/// JPEGs through libjpeg-turbo with the accurate IDCT and fancy upsampling, EXIF orientation
/// applied; PNGs through libpng with alpha dropped (not blended), palettes expanded, gray
/// replicated, gamma chunks ignored. See `PNGDecoder` for the one 16-bit deviation.
public enum ImageDecoder {
    public static func load(path: String, limits: ImageLimits = ImageLimits()) throws(GSError) -> Image {
        let bytes = try FileSystem.read(path, limit: limits.maxFileBytes)
        return try decode(bytes, name: path, limits: limits)
    }

    /// Decodes bytes in memory; `name` (usually the path) is used in messages.
    public static func decode(_ bytes: [UInt8], name: String, limits: ImageLimits = ImageLimits()) throws(GSError)
        -> Image
    {
        guard !bytes.isEmpty else { throw GSError("`\(name)` is empty, not an image") }
        switch ImageFormat(sniffing: bytes) {
        case .jpeg: return try JPEGDecoder.decode(bytes, name: name, limits: limits)
        case .png: return try PNGDecoder.decode(bytes, name: name, limits: limits)
        case nil:
            let start = bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
            throw GSError(
                "`\(name)` is neither JPEG nor PNG (it starts with bytes \(start))",
                hint: "calibration images must be JPEG or PNG files")
        }
    }
}
