import Foundation
import GSCore
import GSExec
import Testing

@testable import GSData

/// Resizing and normalisation against OpenCV and numpy, on real photos: `Resize.linear`
/// must give `cv2.resize(..., interpolation=cv2.INTER_LINEAR)`'s very bytes, and a
/// preprocessed tensor numpy's float32 arithmetic on them.
@Suite struct PreprocessingTests {
    /// A rectangle of an image (for tiny and odd-sized sources).
    static func crop(_ image: Image, x: Int, y: Int, width: Int, height: Int) throws -> Image {
        var pixels: [UInt8] = []
        for row in y..<(y + height) {
            let start = (row * image.width + x) * 3
            pixels += image.pixels[start..<(start + width * 3)]
        }
        return try Image(width: width, height: height, pixels: pixels)
    }

    struct Source {
        var file: String
        var crop: (x: Int, y: Int, width: Int, height: Int)?
    }

    static let sources: [Source] = [
        Source(file: "baboon.jpg"), Source(file: "messi5.jpg"), Source(file: "box.png"),
        Source(file: "fruits.jpg", crop: (100, 50, 1, 1)), Source(file: "fruits.jpg", crop: (10, 20, 3, 1)),
        Source(file: "fruits.jpg", crop: (10, 20, 1, 5)), Source(file: "butterfly.jpg", crop: (33, 44, 7, 4)),
    ]

    /// Target sizes: up and down, exact 2x (OpenCV's area path), near-2x, thin, 1x1.
    static func targets(width w: Int, height h: Int) -> [(Int, Int)] {
        var sizes = [(w * 2, h * 2), (w / 2, h / 2), (w / 3, h / 3), (w * 3 + 1, h + 7), (1, 1), (1, h), (w, 1)]
        sizes += [(w / 2 + 1, h / 2), (w / 2, h / 2 + 1), (w - 1, h - 1), (w + 1, h + 1), (640, 640), (320, 48)]
        sizes += [(97, 13), (13, 97), (w / 7 + 1, h * 5), (w / 2, h)]
        return sizes.map { (max(1, $0.0), max(1, $0.1)) }
    }

    @Test func resizeGivesOpenCVsBytesForEverySizeTried() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var cases: [(source: Image, width: Int, height: Int)] = []
        var arguments: [String] = [directory]
        for source in Self.sources {
            let path = try Oracle.image(source.file)
            var image = try ImageDecoder.load(path: path)
            var crop = "-"
            if let c = source.crop {
                image = try Self.crop(image, x: c.x, y: c.y, width: c.width, height: c.height)
                crop = "\(c.x),\(c.y),\(c.width),\(c.height)"
            }
            for (width, height) in Self.targets(width: image.width, height: image.height) {
                cases.append((image, width, height))
                arguments += [path, crop, String(width), String(height)]
            }
        }
        try Oracle.run(
            """
            import cv2, numpy as np, sys
            d, rest = sys.argv[1], sys.argv[2:]
            for i in range(len(rest) // 4):
                path, crop, w, h = rest[4 * i: 4 * i + 4]
                img = cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1]
                if crop != '-':
                    x, y, cw, ch = map(int, crop.split(','))
                    img = img[y:y + ch, x:x + cw]
                out = cv2.resize(np.ascontiguousarray(img), (int(w), int(h)), interpolation=cv2.INTER_LINEAR)
                np.save(f'{d}/{i}.npy', out.reshape(int(h), int(w), 3))
            """, arguments)
        var mismatches: [String] = []
        for (index, item) in cases.enumerated() {
            let resized = Resize.linear(item.source, width: item.width, height: item.height)
            let difference = try ImageDecodingTests.difference(resized, "\(directory)/\(index).npy")
            if difference != 0 {
                mismatches.append(
                    "\(item.source.width)x\(item.source.height) -> \(item.width)x\(item.height): \(difference)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        print("resize: \(cases.count) size pairs, every byte equal to cv2.resize")
    }

    struct Case: CustomStringConvertible {
        var file: String
        var preprocessing: Preprocessing
        var description: String {
            let p = preprocessing
            return
                "\(file) -> \(p.width)x\(p.height) keep=\(p.keepAspect) \(p.layout.rawValue) \(p.channelOrder.rawValue) "
                + "\(p.elementType.rawValue)"
        }
    }

    static let imagenet = (mean: [Float(0.485), 0.456, 0.406], std: [Float(0.229), 0.224, 0.225])

    static let cases: [Case] = [
        // PP-OCR detection: BGR (as cv2 loads it) with ImageNet statistics, NCHW.
        Case(
            file: "messi5.jpg",
            preprocessing: Preprocessing(
                width: 960, height: 640, scale: 1 / 255, mean: imagenet.mean, std: imagenet.std,
                channelOrder: .bgr)),
        // PP-OCR recognition: fixed height, aspect kept, normalised to [-1, 1], padded.
        Case(
            file: "butterfly.jpg",
            preprocessing: Preprocessing(
                width: 320, height: 48, keepAspect: true, scale: 1 / 255, mean: [0.5], std: [0.5], channelOrder: .bgr)),
        Case(
            file: "box.png",
            preprocessing: Preprocessing(
                width: 320, height: 48, keepAspect: true, scale: 1 / 255, mean: [0.5], std: [0.5])),
        // Aspect kept where the width limits (padding at the bottom).
        Case(
            file: "fruits.jpg",
            preprocessing: Preprocessing(width: 200, height: 300, keepAspect: true, scale: 1 / 255, layout: .nhwc)),
        // Downscaling, NHWC RGB, ImageNet.
        Case(
            file: "baboon.jpg",
            preprocessing: Preprocessing(
                width: 224, height: 224, scale: 1 / 255, mean: imagenet.mean, std: imagenet.std, layout: .nhwc)),
        // Exact 2x shrink (OpenCV's area path), raw 0...255 floats with a per-channel mean.
        Case(
            file: "baboon.jpg",
            preprocessing: Preprocessing(
                width: 256, height: 256, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375])),
        // Upscaling.
        Case(
            file: "butterfly.jpg",
            preprocessing: Preprocessing(width: 1280, height: 720, scale: 1 / 255, channelOrder: .bgr, layout: .nhwc)),
        // uint8 inputs: resized pixels as they are.
        Case(file: "messi5.jpg", preprocessing: Preprocessing(width: 640, height: 640, elementType: .uint8)),
        Case(
            file: "building.jpg",
            preprocessing: Preprocessing(
                width: 416, height: 416, keepAspect: true, channelOrder: .bgr, layout: .nhwc, elementType: .uint8)),
    ]

    @Test func preprocessedTensorsMatchOpenCVAndNumpy() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var arguments = [directory]
        for item in Self.cases {
            let p = item.preprocessing
            let mean = (p.mean.count == 1 ? Array(repeating: p.mean[0], count: 3) : p.mean).map { "\($0)" }
            let std = (p.std.count == 1 ? Array(repeating: p.std[0], count: 3) : p.std).map { "\($0)" }
            arguments += [
                try Oracle.image(item.file), String(p.width), String(p.height), p.keepAspect ? "1" : "0",
                "\(p.scale)", mean.joined(separator: ","), std.joined(separator: ","), p.channelOrder.rawValue,
                p.layout.rawValue, p.elementType.rawValue,
            ]
        }
        // The pipelines' own arithmetic: cv2.resize on uint8, then float32 numpy, as PP-OCR's
        // NormalizeImage writes it; padding is zeros after normalisation.
        try Oracle.run(
            """
            import cv2, math, numpy as np, sys
            d, rest = sys.argv[1], sys.argv[2:]
            for i in range(len(rest) // 10):
                path, W, H, keep, scale, mean, std, order, layout, dtype = rest[10 * i: 10 * i + 10]
                W, H = int(W), int(H)
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                if order == 'rgb':
                    img = np.ascontiguousarray(img[..., ::-1])
                h, w = img.shape[:2]
                if keep == '1':
                    if w * H >= W * h:
                        nw, nh = W, min(H, max(1, math.ceil(W * (h / w))))
                    else:
                        nw, nh = min(W, max(1, math.ceil(H * (w / h)))), H
                else:
                    nw, nh = W, H
                resized = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
                if dtype == 'float32':
                    m = np.array([float(v) for v in mean.split(',')], dtype=np.float32)
                    s = np.array([float(v) for v in std.split(',')], dtype=np.float32)
                    x = (resized.astype(np.float32) * np.float32(float(scale)) - m) / s
                else:
                    x = resized
                out = np.zeros((H, W, 3), dtype=x.dtype)
                out[:nh, :nw] = x
                out = out.transpose(2, 0, 1)[None] if layout == 'NCHW' else out[None]
                np.save(f'{d}/{i}.npy', np.ascontiguousarray(out))
            """, arguments)
        for (index, item) in Self.cases.enumerated() {
            let image = try ImageDecoder.load(path: try Oracle.image(item.file))
            let tensor = try item.preprocessing.apply(image)
            let expected = try Npy.read(path: "\(directory)/\(index).npy")
            #expect(tensor.shape == expected.shape, "\(item)")
            #expect(NpyType(tensor.storage) == NpyType(expected.storage), "\(item)")
            let difference = Oracle.maxDifference(tensor, expected)
            #expect(difference <= 1e-5, "\(item): max difference \(difference)")
            print("preprocess \(item): max |gsctl - cv2/numpy| = \(difference)")
        }
    }

    /// Resize then centre crop, as classifiers trained with torchvision's `Resize` +
    /// `CenterCrop` expect: exact resizes, shorter-side resizes (`keepAspect` with a crop) and
    /// odd margins (the half pixel rounded to even, as `CenterCrop` rounds).
    @Test func centreCropsMatchTorchvisionsArithmetic() throws {
        let cases: [(file: String, preprocessing: Preprocessing)] = [
            (
                "baboon.jpg",
                Preprocessing(
                    width: 256, height: 256, scale: 1 / 255, mean: Self.imagenet.mean, std: Self.imagenet.std,
                    crop: .init(width: 224, height: 224))
            ),
            (
                "messi5.jpg",
                Preprocessing(
                    width: 256, height: 256, keepAspect: true, scale: 1 / 255, mean: Self.imagenet.mean,
                    std: Self.imagenet.std, crop: .init(width: 224, height: 224))
            ),
            (
                "fruits.jpg",
                Preprocessing(
                    width: 255, height: 181, channelOrder: .bgr, layout: .nhwc, elementType: .uint8,
                    crop: .init(width: 200, height: 100))
            ),
            (
                "building.jpg",
                Preprocessing(width: 230, height: 230, keepAspect: true, crop: .init(width: 229, height: 201))
            ),
        ]
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var arguments = [directory]
        for (file, p) in cases {
            let mean = (p.mean.count == 1 ? Array(repeating: p.mean[0], count: 3) : p.mean).map { "\($0)" }
            let std = (p.std.count == 1 ? Array(repeating: p.std[0], count: 3) : p.std).map { "\($0)" }
            arguments += [
                try Oracle.image(file), "\(p.width)", "\(p.height)", p.keepAspect ? "1" : "0",
                "\(p.crop?.width ?? 0)", "\(p.crop?.height ?? 0)", "\(p.scale)", mean.joined(separator: ","),
                std.joined(separator: ","), p.channelOrder.rawValue, p.layout.rawValue, p.elementType.rawValue,
            ]
        }
        try Oracle.run(
            """
            import cv2, numpy as np, sys
            d, rest = sys.argv[1], sys.argv[2:]
            for i in range(len(rest) // 12):
                path, W, H, keep, CW, CH, scale, mean, std, order, layout, dtype = rest[12 * i: 12 * i + 12]
                W, H, CW, CH = int(W), int(H), int(CW), int(CH)
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                if order == 'rgb':
                    img = np.ascontiguousarray(img[..., ::-1])
                h, w = img.shape[:2]
                if keep == '1':  # torchvision Resize(size): the shorter side fits, truncated
                    nw, nh = (max(W, int(H * w / h)), H) if w * H >= W * h else (W, max(H, int(W * h / w)))
                else:
                    nw, nh = W, H
                resized = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
                top, left = int(round((nh - CH) / 2.0)), int(round((nw - CW) / 2.0))  # CenterCrop
                x = resized[top:top + CH, left:left + CW]
                if dtype == 'float32':
                    m = np.array([float(v) for v in mean.split(',')], dtype=np.float32)
                    s = np.array([float(v) for v in std.split(',')], dtype=np.float32)
                    x = (x.astype(np.float32) * np.float32(float(scale)) - m) / s
                out = x.transpose(2, 0, 1)[None] if layout == 'NCHW' else x[None]
                np.save(f'{d}/{i}.npy', np.ascontiguousarray(out))
            """, arguments)
        for (index, (file, p)) in cases.enumerated() {
            let tensor = try p.apply(try ImageDecoder.load(path: try Oracle.image(file)))
            let expected = try Npy.read(path: "\(directory)/\(index).npy")
            #expect(tensor.shape == expected.shape && tensor.shape == p.outputShape, "\(file)")
            let difference = Oracle.maxDifference(tensor, expected)
            #expect(difference <= 1e-5, "\(file): max difference \(difference)")
        }
        // A crop larger than the resized image is refused with the fix.
        let oversized = Preprocessing(width: 200, height: 200, crop: .init(width: 224, height: 224))
        #expect(throws: GSError.self) { try oversized.validate() }
    }

    @Test func letterboxSizesFollowTheDocumentedRule() {
        let rec = Preprocessing(width: 320, height: 48, keepAspect: true)
        #expect(rec.resizedSize(width: 100, height: 32) == (150, 48))  // ceil(48 * 100 / 32)
        #expect(rec.resizedSize(width: 1000, height: 32) == (320, 11))  // width-limited: ceil(320 * 32 / 1000)
        #expect(rec.resizedSize(width: 1, height: 1000) == (1, 48))
        let square = Preprocessing(width: 640, height: 640, keepAspect: true)
        #expect(square.resizedSize(width: 768, height: 576) == (640, 480))
        #expect(Preprocessing(width: 64, height: 32).resizedSize(width: 5, height: 500) == (64, 32))
    }

    /// `upscale: false` (PP-OCR's detector resize): an image that fits keeps its size, padded;
    /// a larger one still shrinks to fit.
    @Test func withoutUpscaleAnImageThatFitsKeepsItsSize() throws {
        let det = Preprocessing(width: 64, height: 16, keepAspect: true, channelOrder: .bgr, upscale: false)
        #expect(det.resizedSize(width: 20, height: 8) == (20, 8))
        #expect(det.resizedSize(width: 128, height: 8) == (64, 4))
        #expect(Preprocessing(width: 64, height: 16, keepAspect: true).resizedSize(width: 20, height: 8) == (40, 16))
        let image = try Image(width: 20, height: 8, pixels: [UInt8](repeating: 200, count: 20 * 8 * 3))
        let values = try det.apply(image).floatValues
        #expect(values[7 * 64 + 19] == 200)  // the image's last pixel, unscaled
        #expect(values[7 * 64 + 20] == 0 && values[8 * 64] == 0)  // padding right and below
    }

    @Test func settingsThatCannotWorkAreRefused() throws {
        let image = try Image(width: 2, height: 2, pixels: [UInt8](repeating: 9, count: 12))
        let bad = [
            Preprocessing(width: 0, height: 10),
            Preprocessing(width: 10, height: 10, mean: [1, 2]),
            Preprocessing(width: 10, height: 10, std: [0]),
            Preprocessing(width: 10, height: 10, scale: .nan),
            Preprocessing(width: 10, height: 10, scale: 1 / 255, elementType: .uint8),
        ]
        for preprocessing in bad {
            #expect(throws: GSError.self) { try preprocessing.apply(image) }
        }
    }
}
