import Foundation
import GSExec
import ONNX
import Testing

@testable import GSOptimize

/// Calibration runs samples two at a time; what it measures must not depend on that: the
/// same ranges, channel means and histograms as one pass over every sample in order.
@Suite struct CalibratorTests {
    @Test(arguments: [CalibrationMethod.minMax, .percentile(99.9), .entropy])
    func lanesMeasureWhatOnePassMeasures(method: CalibrationMethod) throws {
        let path = try #require(QuantizeFixtures.modelPath("ppocr_cls.onnx"))
        // As the compiler calibrates: after the standard passes (BatchNormalization folded
        // into the convolutions) and the preparation for QDQ.
        let context = PassContext(inputShapes: ["x": [1, 3, 48, 192]])
        let optimized = try PassPipeline(PassPipeline.standard).run(try ModelFile.load(path), context)
        let model = try PassPipeline(PassPipeline.quantizationPreparation).run(optimized.model, context).model
        let samples = try QuantizeFixtures.samples(
            input: "x", preprocessing: QuantizeFixtures.ppocr(width: 192, height: 48), count: 5)
        try #require(samples.count == 5)
        let config = QuantizationConfig(format: .cpu(reduceRange: false), method: method)
        let calibrator = Calibrator(
            executor: try ONNXImport.executor(for: model),
            tensors: QDQQuantizer.tensorsToCalibrate(model, config: config), method: method)

        let measured = try calibrator.run(samples)
        var single = try calibrator.ranges(samples)
        #expect(measured.count == single.count && measured.count > 20, "\(measured.count) tensors")
        for (name, one) in single {
            let both = try #require(measured[name], "\(name)")
            #expect(both.minimum == one.minimum && both.maximum == one.maximum, "\(name)")
            #expect(both.valuesPerChannel == one.valuesPerChannel, "\(name)")
            #expect(both.channelSums.count == one.channelSums.count, "\(name)")
            for (a, b) in zip(both.channelSums, one.channelSums) {
                #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(name)")
            }
        }
        guard method != .minMax else { return }
        for name in single.keys {
            single[name]!.histogram = [Double](repeating: 0, count: Calibrator.bins)
            single[name]!.histogramLow = measured[name]!.histogramLow
            single[name]!.histogramHigh = measured[name]!.histogramHigh
        }
        let histograms = try calibrator.histograms(samples, bounds: single, absolute: method == .entropy)
        for (name, counts) in histograms {
            #expect(measured[name]?.histogram == counts, "\(name)")
            #expect(counts.reduce(0, +) > 0, "\(name)")
        }
    }
}
