import Foundation
import GSData
import GSExec
import ONNX

/// Real models and real images for the quantizer tests.
enum QuantizeFixtures {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }()

    static func modelPath(_ file: String) -> String? {
        for directory in [
            repository.deletingLastPathComponent().appendingPathComponent("shared/models"),
            repository.appendingPathComponent("Specs/models"),
        ] {
            let path = directory.appendingPathComponent(file).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    static let photos = "/usr/share/doc/opencv-doc/examples/data"

    /// Samples from opencv-doc's photos, preprocessed as the model expects.
    static func samples(
        input: String, preprocessing: Preprocessing, count: Int, offset: Int = 0, directory: String = photos
    ) throws -> [[String: Tensor]] {
        let dataset = try Dataset(
            DataSource(path: directory),
            inputs: [
                DatasetInput(name: input, shape: preprocessing.outputShape, elementType: preprocessing.elementType)
            ],
            preprocessing: preprocessing)
        let indices = Array((offset..<min(dataset.count, offset + count)))
        return try dataset.samples(indices)
    }

    /// PP-OCR's preprocessing: BGR, (x / 255 - 0.5) / 0.5.
    static func ppocr(width: Int, height: Int) -> Preprocessing {
        Preprocessing(
            width: width, height: height, scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5],
            channelOrder: .bgr)
    }
}
