// swift-tools-version:5.3
// Fuzz targets for gsctl, kept out of the main package on purpose: SwiftPM links
// executables of packages with tools version >= 5.5 with `--defsym main=<module>_main`
// (for testable executables), which collides with libFuzzer's own `main`. A 5.3 manifest
// keeps the plain link. Build and run through `Fuzz/run.sh`.
import PackageDescription

let package = Package(
    name: "gsctl-fuzz",
    dependencies: [
        .package(name: "gsctl", path: "..")
    ],
    targets: [
        .target(
            name: "SpecLoaderFuzzer",
            dependencies: [.product(name: "GSSpec", package: "gsctl")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .target(
            name: "ONNXReaderFuzzer",
            dependencies: [.product(name: "ONNX", package: "gsctl")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
