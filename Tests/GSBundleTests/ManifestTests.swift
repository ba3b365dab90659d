import GSCore
import Testing

@testable import GSBundle

@Suite struct ManifestTests {
    static func listed() -> Manifest {
        var manifest = Fixture.manifest()
        manifest.files = [
            ManifestFile(path: "bin/run", sha256: SHA256.hex(of: "run"), size: 3, mode: .executable),
            ManifestFile(path: "models/a.onnx", sha256: SHA256.hex(of: "a"), size: 1, mode: .regular),
        ]
        return manifest
    }

    @Test func roundTripsThroughCanonicalBytes() throws {
        let manifest = Self.listed()
        let bytes = manifest.canonicalBytes
        #expect(try Manifest.decode(bytes) == manifest)
        #expect(try Manifest.decode(bytes).canonicalBytes == bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"buildKeys":{"counter":"#))
        #expect(text.contains(#""files":[{"mode":"0755","path":"bin/run","sha256":""#))
        #expect(!text.contains(" ") && !text.contains("\n"))
    }

    @Test func sourceWithoutGitIsNull() throws {
        var manifest = Self.listed()
        manifest.source = SourceInfo(specDigest: SHA256.hex(of: "x"))
        let text = String(decoding: manifest.canonicalBytes, as: UTF8.self)
        #expect(text.contains(#""source":{"gitCommit":null,"gitDirty":false,"specDigest":""#))
        #expect(try Manifest.decode(manifest.canonicalBytes).source.gitCommit == nil)
    }

    /// Each edit of a valid manifest's JSON and the words its refusal must contain.
    static let rejections: [(String, @Sendable (inout [String: JSONValue]) -> Void, String)] = [
        ("unknown format", { $0["format"] = "gsctl.bundle/v2" }, "has format `gsctl.bundle/v2`; this gsctl reads"),
        ("no format", { $0["format"] = nil }, "has no `format`"),
        ("unknown field", { $0["extra"] = 1 }, "unknown field `extra`"),
        ("missing field", { $0["device"] = nil }, "`device` is missing"),
        ("bad id", { $0["id"] = "Crowd/../x" }, "`id` `Crowd/../x` is not valid"),
        ("bad name", { $0["workflow"] = "Crowd Density" }, "`workflow` `Crowd Density` is not valid"),
        ("bad build key", { $0["buildKeys"] = ["detector": "abc"] }, "`buildKeys.detector` `abc` is not valid"),
        ("models not object", { $0["models"] = [1] }, "`models` must be an object"),
        (
            "bad git commit",
            { $0["source"] = ["specDigest": .string(SHA256.hex(of: "s")), "gitCommit": "HEAD", "gitDirty": false] },
            "`source.gitCommit` `HEAD` is not valid"
        ),
        ("absolute path", { files(&$0) { $0[0]["path"] = "/etc/passwd" } }, "the path is absolute"),
        ("dot-dot path", { files(&$0) { $0[0]["path"] = "a/../../x" } }, "has a `..` component"),
        ("empty component", { files(&$0) { $0[0]["path"] = "a//b" } }, "empty or `.` component"),
        ("backslash", { files(&$0) { $0[0]["path"] = "a\\b" } }, "the path has `\\`"),
        ("reserved path", { files(&$0) { $0[0]["path"] = "manifest.json" } }, "is reserved"),
        ("duplicate path", { files(&$0) { $0[1]["path"] = $0[0]["path"] } }, "`bin/run` is listed twice"),
        ("unsorted", { files(&$0) { $0.swapAt(0, 1) } }, "not sorted by path"),
        ("short digest", { files(&$0) { $0[0]["sha256"] = "abc" } }, "`files[0].sha256` `abc` is not valid"),
        (
            "uppercase digest", { files(&$0) { $0[0]["sha256"] = .string(SHA256.hex(of: "a").uppercased()) } },
            "64 lowercase hex"
        ),
        ("negative size", { files(&$0) { $0[0]["size"] = -1 } }, "`files[0].size` must be a non-negative integer"),
        (
            "fractional size", { files(&$0) { $0[0]["size"] = .double(1.5) } },
            "`files[0].size` must be a non-negative integer"
        ),
        ("setuid mode", { files(&$0) { $0[0]["mode"] = "4755" } }, #"must be "0644" or "0755""#),
        ("unknown file field", { files(&$0) { $0[0]["owner"] = "root" } }, "unknown field `files[0].owner`"),
        (
            "file and directory", { files(&$0) { $0[0]["path"] = "models" } },
            "`models` is listed as a file and as the directory of `models/a.onnx`"
        ),
    ]

    static func files(_ object: inout [String: JSONValue], _ edit: (inout [[String: JSONValue]]) -> Void) {
        guard case .array(let items)? = object["files"] else { return }
        var files = items.compactMap { item -> [String: JSONValue]? in
            if case .object(let members) = item { return members }
            return nil
        }
        edit(&files)
        object["files"] = .array(files.map { .object($0) })
    }

    @Test(arguments: 0..<rejections.count)
    func decoderRefuses(_ index: Int) throws {
        let (name, edit, expected) = Self.rejections[index]
        guard case .object(var object) = Self.listed().json else { return }
        edit(&object)
        let bytes = Array(JSONValue.object(object).canonical.utf8)
        let message = failure { _ = try Manifest.decode(bytes) }
        #expect(message.contains(expected), "\(name): \(message)")
    }

    @Test func nonCanonicalBytesAreRefused() {
        let pretty = Array(Self.listed().json.pretty.utf8)
        #expect(failure { _ = try Manifest.decode(pretty) }.contains("is not canonical JSON"))
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "duplicate key `a`"),
        (#"{"a":1"#, "expected `}`"),
        (#"{"a":01}"#, "expected `}`"),
        (#"[1,]"#, "unexpected character"),
        ("\"a\u{01}\"", "control character"),
        (#""\ud800""#, "lone surrogate"),
        (#"99999999999999999999"#, "out of range"),
        (#"{} x"#, "unexpected text after"),
        (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "nested deeper than 64"),
    ])
    func parserRefuses(_ text: String, _ expected: String) {
        let message = failure { _ = try JSONParser.parse(Array(text.utf8), what: "doc") }
        #expect(message.contains(expected), "\(message)")
    }

    @Test func parserReadsWhatJSONValueWrites() throws {
        let value: JSONValue = [
            "text": "tab\there \"quoted\" \\ / é 🙂", "int": -42, "double": .double(0.125), "big": .double(1e20),
            "list": [true, false, .null, [:], []],
        ]
        #expect(try JSONParser.parseCanonical(Array(value.canonical.utf8), what: "doc") == value)
        #expect(try JSONParser.parse(Array(#" { "u" : "\u00e9\ud83d\ude42" } "#.utf8), what: "doc") == ["u": "é🙂"])
        #expect(failure { _ = try JSONParser.parse([0xFF], what: "doc") }.contains("not valid UTF-8"))
    }

    @Test func bundlePathRules() {
        #expect(BundlePath.problem("models/yolo-v8_n.int8.onnx") == nil)
        #expect(BundlePath.problem("wheels/torch-2.3.0+cpu-cp311-none-any.whl") == nil)
        #expect(BundlePath.problem("") == "the path is empty")
        #expect(BundlePath.problem("a/./b") != nil)
        #expect(BundlePath.problem("a/") != nil)
        #expect(BundlePath.problem("a b") != nil)
        #expect(BundlePath.problem("caf\u{e9}") != nil)
        #expect(BundlePath.problem(String(repeating: "a", count: 256)) != nil)
        #expect(BundlePath.problem(String(repeating: "a/", count: 600) + "a") != nil)
        #expect(BundlePath.ancestors("a/b/c") == ["a", "a/b"])
    }
}
