// swift-tools-version:6.0
// gsctl: one binary that lints edge-AI specs, plans them, builds model bundles and deploys them.
import PackageDescription

/// Hot numeric modules get these; everything else stays in safe, checked Swift.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"])
]

let package = Package(
    name: "gsctl",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gsctl", targets: ["gsctl"]),
        .library(name: "GSSpec", targets: ["GSSpec"]),
        .library(name: "GSPlan", targets: ["GSPlan"]),
    ],
    targets: [
        // C libraries from Debian, reached through pkg-config (see Makefile `deps`).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),

        .target(name: "GSCore", dependencies: ["CCrypto"]),
        .target(name: "GSSpec", dependencies: ["GSCore", "CYAML"]),
        .target(name: "GSPlan", dependencies: ["GSCore", "GSSpec"]),
        .executableTarget(name: "gsctl", dependencies: ["GSCore", "GSSpec", "GSPlan"]),

        .testTarget(name: "GSCoreTests", dependencies: ["GSCore"]),
        .testTarget(
            name: "GSSpecTests", dependencies: ["GSSpec"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "GSPlanTests", dependencies: ["GSPlan", "GSSpec", "CPNG"],
            resources: [.copy("Golden"), .copy("Fixtures")]),
        .testTarget(name: "GsctlTests", dependencies: ["gsctl", "GSCore"]),
    ],
    swiftLanguageModes: [.v6]
)
