import GSCore
import GSSpec
import Testing

@Suite struct YAMLLoaderTests {
    func load(_ text: String) -> LoadedFile { YAMLLoader.load(bytes: Array(text.utf8), path: "t.yaml") }

    @Test func nodesKnowTheirLineAndColumn() throws {
        let file = load("a: 1\nb:\n  - x\n  - {c: d}\n")
        let root = try #require(file.documents.first?.root)
        #expect(root.mark == Mark(line: 1, column: 1))
        #expect(root["b"]?.mark == Mark(line: 3, column: 3))
        #expect(root["b"]?.items?[1]["c"]?.mark == Mark(line: 4, column: 9))
        #expect(root.pair("b")?.key.mark == Mark(line: 2, column: 1))
    }

    @Test func everyDocumentOfAFileIsLoaded() {
        let file = load("a: 1\n---\nb: 2\n---\n# only a comment\n")
        #expect(file.documents.count == 3)
        #expect(file.documents.map(\.index) == [0, 1, 2])
    }

    @Test func documentsBeforeASyntaxErrorAreKept() {
        let file = load("a: 1\n---\nb: [unclosed\n")
        #expect(file.documents.count == 1)
        #expect(file.diagnostics.map(\.code) == ["GS101"])
    }

    @Test func mergeKeysCopyMissingKeysOnly() throws {
        let file = load("base: &base {port: 22, user: root}\nhost:\n  <<: *base\n  user: gsctl\n")
        let host = try #require(file.documents.first?.root["host"])
        #expect(host["port"]?.scalar == "22")
        #expect(host["user"]?.scalar == "gsctl")
        #expect(host.pairs?.count == 2)
        #expect(file.diagnostics.isEmpty)
    }

    @Test func aliasCopiesPointAtTheAlias() throws {
        let file = load("a: &x {k: v}\nb: *x\n")
        let root = try #require(file.documents.first?.root)
        #expect(root["b"]?.mark == Mark(line: 2, column: 4))
        #expect(root["b"]?["k"]?.scalar == "v")
    }

    @Test func undefinedAliasIsASyntaxFinding() {
        let file = load("a: *nowhere\n")
        #expect(file.diagnostics.first?.code == "GS101")
        #expect(file.diagnostics.first?.location.line == 1)
    }

    @Test func tabsInIndentationGetAHint() {
        let file = load("a:\n\tb: 1\n")
        #expect(file.diagnostics.first?.code == "GS101")
        #expect(file.diagnostics.first?.hint?.contains("tab") == true)
    }

    @Test func quotingIsRemembered() throws {
        let root = try #require(load("a: '1'\nb: \"x\"\nc: 1\nd: |\n  text\n").documents.first?.root)
        guard case .scalar(_, let a) = root["a"]?.value, case .scalar(_, let c) = root["c"]?.value,
            case .scalar(let text, let d) = root["d"]?.value
        else {
            Issue.record("scalars expected")
            return
        }
        #expect(a == .singleQuoted)
        #expect(c == .plain)
        #expect(d == .literal && text == "text\n")
    }

    @Test func utf16WithAByteOrderMarkIsText() {
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in "a: é\n".utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let file = YAMLLoader.load(bytes: bytes, path: "utf16.yaml")
        #expect(file.diagnostics.isEmpty)
        #expect(file.documents.first?.root["a"]?.scalar == "é")
    }
}

@Suite struct ScalarResolutionTests {
    @Test(arguments: [
        "1.10", "010", "1_000", "1:30", "0x1F", "yes", "No", "off", "ON", "y", "~", "null", "1e3", ".5", "-7",
    ])
    func yaml11ReadsTheseAsNonText(text: String) {
        #expect(ScalarResolution.yaml11NonString(text))
    }

    @Test(arguments: ["10.0.0.2", "1.2.3", "v1.10", "fp16", "int8-mixed", "gs.ai/v1", "x86_64", "1.10rc1", "25%"])
    func theseAreTextEverywhere(text: String) {
        #expect(!ScalarResolution.yaml11NonString(text))
        #expect(ScalarResolution.core(text) == .string)
    }

    @Test func coreSchemaTypes() {
        #expect(ScalarResolution.core("true") == .bool(true))
        #expect(ScalarResolution.core("yes") == .string)
        #expect(ScalarResolution.core("0o17") == .int(15))
        #expect(ScalarResolution.core("-0x10") == .int(-16))
        #expect(ScalarResolution.core("1.5e2") == .float(150))
        #expect(ScalarResolution.core("") == .null)
    }
}
