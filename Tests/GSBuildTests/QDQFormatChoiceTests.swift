import Foundation
import GSBuild
import GSOptimize
import GSSpec
import Testing

/// Which INT8 form a Device gets: TensorRT's where TensorRT runs int8; 7-bit weights
/// (reduce_range) only where onnxruntime is the runtime on an x86 CPU without VNNI, whose
/// u8s8 kernels can saturate their 16-bit sums; the plain CPU form everywhere else.
@Suite struct QDQFormatChoiceTests {
    static func device(arch: String = "x86_64", features: [String], runtimes: [String]) throws -> Device {
        let runtimeYAML = runtimes.map { name in
            """
                - name: \(name)
                  version: "1"
                  format: \(name == "tensorrt" ? "tensorrt-engine" : "onnx")
                  precisions: [fp32, fp16, int8]

            """
        }.joined()
        let yaml = """
            apiVersion: gs.ai/v1
            kind: Device
            metadata: {name: d}
            spec:
              arch: \(arch)
              cpu: {features: [\(features.joined(separator: ", "))], cores: 4}
              runtimes:
            \(runtimeYAML)
            """
        let path = NSTemporaryDirectory() + "gsctl-device-\(UUID().uuidString).yaml"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = SpecLoader.load(paths: [path])
        let errors = loaded.diagnostics.filter { $0.severity == .error }.map(\.message)
        #expect(errors.isEmpty, "\(errors)")
        return try #require(loaded.specs.devices.first)
    }

    @Test func theDeviceDecidesTheForm() throws {
        let avx2 = ["sse4_2", "avx", "avx2", "fma"]
        #expect(
            StepRequest.qdqFormat(try Self.device(features: avx2, runtimes: ["onnxruntime"])) == .cpu(reduceRange: true)
        )
        #expect(
            StepRequest.qdqFormat(try Self.device(features: avx2 + ["avx512_vnni"], runtimes: ["onnxruntime"]))
                == .cpu(reduceRange: false))
        #expect(
            StepRequest.qdqFormat(try Self.device(features: avx2 + ["avx_vnni"], runtimes: ["onnxruntime"]))
                == .cpu(reduceRange: false))
        // OpenVINO first: its kernels do not saturate, so full 8-bit weights.
        #expect(
            StepRequest.qdqFormat(try Self.device(features: avx2, runtimes: ["openvino", "onnxruntime"]))
                == .cpu(reduceRange: false))
        #expect(
            StepRequest.qdqFormat(try Self.device(arch: "arm64", features: ["neon"], runtimes: ["onnxruntime"]))
                == .cpu(reduceRange: false))
        #expect(
            StepRequest.qdqFormat(
                try Self.device(arch: "arm64", features: ["neon"], runtimes: ["tensorrt", "onnxruntime"]))
                == .tensorRT)
    }
}
