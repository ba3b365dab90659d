// swift-tools-version:6.0
// gsctl: one binary that lints edge-AI specs, plans them, builds model bundles and deploys them.
import PackageDescription

/// The CPU the numeric kernels are compiled for. On x86-64 that is Haswell (AVX2, FMA,
/// F16C: every x86 CPU since 2013-2015), without which SIMD accumulators get no FMA; the
/// executor checks the CPU at run time and refuses an older one with a clear error.
#if arch(x86_64)
    let kernelCPU = ["-target-cpu", "haswell"]
#else
    let kernelCPU: [String] = []
#endif

/// Hot numeric modules get these; everything else stays in safe, checked Swift.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"] + kernelCPU)
]

/// The AVX-512 copy of the micro-kernel (x86-64-v4; on other architectures it is plain code
/// that GSExec never calls).
#if arch(x86_64)
    let avx512Math: [SwiftSetting] = [
        .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked", "-target-cpu", "skylake-avx512"])
    ]
#else
    let avx512Math: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"])]
#endif

let package = Package(
    name: "gsctl",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gsctl", targets: ["gsctl"]),
        .library(name: "GSSpec", targets: ["GSSpec"]),
        .library(name: "GSPlan", targets: ["GSPlan"]),
        // For the ONNX reader's fuzz target (Fuzz/), which builds against the codec itself.
        .library(name: "ONNX", targets: ["ONNX"]),
    ],
    targets: [
        // C libraries from Debian, reached through pkg-config (see Makefile `deps`).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),

        .target(name: "GSCore", dependencies: ["CCrypto"]),
        .target(name: "GSSpec", dependencies: ["GSCore", "CYAML"]),
        .target(name: "GSPlan", dependencies: ["GSCore", "GSSpec"]),
        .target(name: "ONNX", dependencies: ["GSCore"]),
        // The GEMM micro-kernel again, for AVX-512 CPUs (chosen at run time by GSExec).
        .target(name: "GSKernelsAVX512", swiftSettings: avx512Math),
        .target(name: "GSExec", dependencies: ["GSCore", "ONNX", "GSKernelsAVX512"], swiftSettings: fastMath),
        // Decoders of untrusted files keep Swift's checks (no -Ounchecked here).
        .target(name: "GSData", dependencies: ["GSCore", "GSExec", "CJPEG", "CPNG", "CArchive"]),
        .target(name: "GSBundle", dependencies: ["GSCore", "CArchive", "CCrypto"]),
        .target(name: "GSOptimize", dependencies: ["GSCore", "ONNX", "GSExec", "GSData"]),
        .target(
            name: "GSBuild",
            dependencies: ["GSCore", "GSSpec", "GSPlan", "ONNX", "GSExec", "GSData", "GSOptimize", "GSBundle"]),
        // The host side: state, lease, blob receipt, activation, health gates, supervisor.
        .target(name: "GSAgent", dependencies: ["GSCore", "GSBundle", "ONNX", "GSExec", "GSData", "GSOptimize"]),
        // The controller: transports, agent client, rollout engine, git source, diff/status.
        .target(
            name: "GSDeploy",
            dependencies: ["GSCore", "GSSpec", "GSPlan", "GSBundle", "GSBuild", "GSAgent"]),
        .executableTarget(
            name: "gsctl",
            dependencies: [
                "GSCore", "GSSpec", "GSPlan", "ONNX", "GSExec", "GSData", "GSBundle", "GSOptimize", "GSBuild",
                "GSAgent", "GSDeploy",
            ]),
        // bench/executor_vs_ort's runner: the executor timed on given inputs (built with
        // `--product gsctl-exec-bench`; not part of the gsctl binary).
        .executableTarget(
            name: "gsctl-exec-bench", dependencies: ["GSCore", "ONNX", "GSExec", "GSData"],
            path: "bench/executor_vs_ort/runner"),

        // Real SSH hosts in network namespaces, for the deploy tests of two targets.
        .target(name: "GSTestHosts", dependencies: ["GSCore"], path: "Tests/GSTestHosts"),
        .target(name: "GSTestScratch", path: "Tests/GSTestScratch"),
        .testTarget(name: "GSCoreTests", dependencies: ["GSCore"]),
        .testTarget(
            name: "GSSpecTests", dependencies: ["GSSpec", "GSTestScratch"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "GSPlanTests", dependencies: ["GSPlan", "GSSpec", "CPNG"],
            resources: [.copy("Golden"), .copy("Fixtures")]),
        .testTarget(
            name: "GsctlTests", dependencies: ["gsctl", "GSCore", "GSTestHosts", "GSTestScratch"], exclude: ["Golden"]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "GSCore", "GSTestScratch"]),
        .testTarget(name: "GSExecTests", dependencies: ["GSExec", "ONNX", "GSCore"], exclude: ["oracle"]),
        .testTarget(name: "GSDataTests", dependencies: ["GSData", "GSExec", "GSCore"]),
        .testTarget(name: "GSBundleTests", dependencies: ["GSBundle", "GSCore"]),
        .testTarget(
            name: "GSBuildTests", dependencies: ["GSBuild", "GSBundle", "GSSpec", "GSPlan", "GSCore", "ONNX"]),
        .testTarget(
            name: "GSAgentTests", dependencies: ["GSAgent", "GSBundle", "GSCore", "GSExec", "GSData", "ONNX"]),
        .testTarget(
            name: "GSDeployTests",
            dependencies: ["GSDeploy", "GSAgent", "GSBundle", "GSSpec", "GSPlan", "GSCore", "GSTestHosts"]),
        .testTarget(name: "GSOptimizeTests", dependencies: ["GSOptimize", "GSExec", "GSData", "ONNX", "GSCore"]),
    ],
    swiftLanguageModes: [.v6]
)
