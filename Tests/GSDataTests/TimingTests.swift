import Foundation
import GSCore
import GSExec
import Testing

@testable import GSData

/// How long one calibration photo takes: a 768x576 JPEG decoded and preprocessed as PP-OCR's
/// detector wants it. Printed for the record; the bound only catches gross regressions (it
/// holds in debug builds, which are about 10x slower than release).
@Suite struct TimingTests {
    @Test func a768x576PhotoIsDecodedAndPreprocessedQuickly() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/photo.jpg"
        try Oracle.run(
            """
            import cv2, sys
            img = cv2.resize(cv2.imread(sys.argv[1]), (768, 576), interpolation=cv2.INTER_AREA)
            cv2.imwrite(sys.argv[2], img, [cv2.IMWRITE_JPEG_QUALITY, 95])
            """, [try Oracle.image("building.jpg"), path])
        let bytes = try FileSystem.read(path)
        let detector = Preprocessing(
            width: 640, height: 640, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
            channelOrder: .bgr)
        let image = try ImageDecoder.decode(bytes, name: path)
        #expect((image.width, image.height) == (768, 576))
        let clock = ContinuousClock()
        let runs = 10
        var decode = Duration.zero
        var preprocess = Duration.zero
        for _ in 0..<runs {
            let start = clock.now
            let decoded = try ImageDecoder.decode(bytes, name: path)
            let middle = clock.now
            _ = try detector.apply(decoded)
            decode += middle - start
            preprocess += clock.now - middle
        }
        print("768x576 JPEG: decode \(decode / runs), preprocess to 1x3x640x640 float32 \(preprocess / runs)")
        #expect((decode + preprocess) / runs < .milliseconds(500))
    }
}
