import Foundation
import GSCore
import GSExec
import Testing

/// The reference the GSData tests compare against: numpy, Pillow and OpenCV in the project's
/// Python venv, and real photos from Debian's `opencv-doc` package.
enum Oracle {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The package root, from this file's path (Tests/GSDataTests/Oracle.swift).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `GSCTL_PYTHON`, else the repository's `.venv-oracle`.
    static func python() throws -> String {
        if let path = ProcessInfo.processInfo.environment["GSCTL_PYTHON"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw Missing(description: "GSCTL_PYTHON=\(path) is not an executable: run `make oracle`")
            }
            return path
        }
        let venv = root + "/.venv-oracle/bin/python"
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw Missing(description: "no oracle Python at \(venv) and GSCTL_PYTHON is unset: run `make oracle`")
        }
        return venv
    }

    /// Runs a Python script (numpy, cv2 and PIL importable) with `arguments`; returns stdout,
    /// throws with stderr when it fails.
    @discardableResult
    static func run(_ script: String, _ arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python())
        process.arguments = ["-c", script] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes while the child runs: a full pipe would block it forever.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let stdout = String(decoding: outData, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Missing(
                description: "oracle script failed (\(process.terminationStatus)):\n"
                    + String(decoding: errData, as: UTF8.self) + stdout)
        }
        return stdout
    }

    static let imageFolder = "/usr/share/doc/opencv-doc/examples/data"

    /// A photo from `opencv-doc`.
    static func image(_ name: String) throws -> String {
        let path = imageFolder + "/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            throw Missing(description: "\(path) is missing: `apt-get install opencv-doc` (or `make deps`)")
        }
        return path
    }

    /// Every file of `opencv-doc`'s data folder with one of these extensions, sorted.
    static func images(withExtension ext: String) throws -> [String] {
        _ = try image("baboon.jpg")
        return try FileManager.default.contentsOfDirectory(atPath: imageFolder)
            .filter { $0.hasSuffix("." + ext) }.sorted().map { imageFolder + "/" + $0 }
    }

    /// A fresh folder, removed by the caller.
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "gsdata-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Largest absolute difference between two tensors' elements (shapes must agree).
    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        let x = a.floatValues
        let y = b.floatValues
        guard x.count == y.count else { return .infinity }
        var worst: Float = 0
        for index in x.indices {
            let difference = abs(x[index] - y[index])
            if difference.isNaN { return .infinity }
            worst = max(worst, difference)
        }
        return worst
    }
}
