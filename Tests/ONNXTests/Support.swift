import Foundation
import GSTestScratch
import Testing

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Where the tests find the real models, the oracle Python and scratch space.
enum TestFiles {
    /// The package root (three levels above this file).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The four real models every round-trip and fuzz test reads.
    static let modelNames = ["ppocr_cls", "ppocrv4_det", "ppocrv4_rec", "ssdlite_person"]

    /// The path of a real model: /work/shared/models when present, else Specs/models (which
    /// has the detector and recognizer only after `make models`).
    static func model(_ name: String) throws -> String {
        let shared = "/work/shared/models/\(name).onnx"
        if FileManager.default.fileExists(atPath: shared) { return shared }
        let local = "\(root)/Specs/models/\(name).onnx"
        if FileManager.default.fileExists(atPath: local) { return local }
        throw TestFailure("model \(name).onnx is in neither /work/shared/models nor Specs/models: run `make models`")
    }

    /// The bytes of a real model.
    static func modelBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try model(name))))
    }

    /// A fresh scratch directory (removed when the test process exits, if not before).
    static func temporaryDirectory() -> String {
        ScratchDirectory.make("onnx")
    }
}

/// A test failure with a message people can act on.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The Python oracle (numpy, onnx, onnxruntime), run through posix_spawn with an empty signal
/// mask and output redirected to files: no pipes to drain, and safe next to other test
/// targets that start processes (Foundation's Process has crashed when used concurrently).
enum Oracle {
    /// GSCTL_PYTHON, else <repo>/.venv-oracle/bin/python.
    static func python() throws -> String {
        if let python = ProcessInfo.processInfo.environment["GSCTL_PYTHON"], !python.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: python) else {
                throw TestFailure("GSCTL_PYTHON=\(python) is not executable: run `make oracle`")
            }
            return python
        }
        let venv = "\(TestFiles.root)/.venv-oracle/bin/python"
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw TestFailure("no oracle Python (GSCTL_PYTHON unset, \(venv) missing): run `make oracle`")
        }
        return venv
    }

    /// Runs `script` (Python source) with `arguments`; throws with its output unless it exits 0.
    @discardableResult
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        let python = try python()
        let directory = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let scriptPath = directory + "/script.py"
        let logPath = directory + "/log.txt"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let status = try spawn([python, scriptPath] + arguments, log: logPath)
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        guard status == 0 else { throw TestFailure("oracle exited \(status):\n\(log)") }
        return log
    }

    /// posix_spawn + waitpid; stdout and stderr both go to `log`.
    private static func spawn(_ argv: [String], log: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, environ)
        guard result == 0 else { throw TestFailure("cannot start \(argv[0]): \(String(cString: strerror(result)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw TestFailure("waitpid failed: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS are macros: decode the status by hand.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}

/// A small seeded generator (SplitMix64), so fuzz-style tests are repeatable.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Where two byte arrays first differ (nil when equal); memcmp first, since comparing
/// megabytes element by element is slow in debug builds.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    let same =
        a.count == b.count
        && a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
            }
        }
    if same { return nil }
    var low = 0
    var high = min(a.count, b.count)
    // Binary search over prefixes with memcmp: O(log n) comparisons.
    while low < high {
        let middle = (low + high + 1) / 2
        let equal = a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, middle) == 0 }
        }
        if equal { low = middle } else { high = middle - 1 }
    }
    return low
}
