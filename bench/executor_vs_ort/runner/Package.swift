// swift-tools-version:6.0
// bench/executor_vs_ort/runner: runs gsctl's Swift executor on given inputs and times it.
//
// The main package exports only GSSpec and GSPlan as products, so this package compiles the
// executor's modules itself: Sources/{GSCore,ONNX,GSKernelsAVX512,GSExec,GSData,C*} are symlinks to the main
// package's Sources/, with the same target names, dependencies and compiler settings as
// ../../../Package.swift (keep them in step). Build with -c release.
import PackageDescription

#if arch(x86_64)
    let kernelCPU = ["-target-cpu", "haswell"]
#else
    let kernelCPU: [String] = []
#endif

let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"] + kernelCPU)
]

#if arch(x86_64)
    let avx512Math: [SwiftSetting] = [
        .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked", "-target-cpu", "skylake-avx512"])
    ]
#else
    let avx512Math: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"])]
#endif

let package = Package(
    name: "executor-runner",
    platforms: [.macOS(.v14)],
    products: [.executable(name: "runner", targets: ["runner"])],
    targets: [
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .target(name: "GSCore", dependencies: ["CCrypto"]),
        .target(name: "ONNX", dependencies: ["GSCore"]),
        .target(name: "GSKernelsAVX512", swiftSettings: avx512Math),
        .target(name: "GSExec", dependencies: ["GSCore", "ONNX", "GSKernelsAVX512"], swiftSettings: fastMath),
        .target(name: "GSData", dependencies: ["GSCore", "GSExec", "CJPEG", "CPNG", "CArchive"]),
        .executableTarget(name: "runner", dependencies: ["GSCore", "ONNX", "GSExec", "GSData"]),
    ],
    swiftLanguageModes: [.v6]
)
