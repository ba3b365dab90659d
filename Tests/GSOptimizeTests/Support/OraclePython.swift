import Foundation

/// One run of the oracle's Python (onnxruntime, onnx, numpy): standard output discarded, and
/// on failure an error carrying what it printed on standard error, for the test's message.
enum OraclePython {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `python ARGUMENTS`; `what` names the run in the error ("oracle failed on X").
    static func run(_ arguments: [String], what: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FP16Oracle.python())
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(what): \(String(decoding: errorData, as: UTF8.self))")
        }
    }
}
