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

    @Test func aliasBudgetIsPerFileNotPerDocument() {
        // 50 documents each expanding to about 12,000 nodes: fine alone, over the budget together.
        var text = ""
        let ten = { (name: String) in "[" + Array(repeating: "*\(name)", count: 10).joined(separator: ", ") + "]" }
        for _ in 0..<50 {
            text += "---\na: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b \(ten("a"))\nc: &c \(ten("b"))\nd: \(ten("c"))\n"
        }
        #expect(load(String(text.split(separator: "---").last ?? "")).diagnostics.isEmpty)
        let file = load(text)
        #expect(file.diagnostics.map(\.code) == ["GS105"])
        #expect(file.diagnostics.first?.message.contains("in this file") == true)
    }

    @Test func aliasesOfLongTextCountTheirBytes() {
        // Found by the fuzzer: 8,800 aliases of a 30 KB key made 268 MB of messages.
        let key = String(repeating: "k", count: 30_000)
        let text = "x: &r [\(key)]\ny: [" + Array(repeating: "*r", count: 200).joined(separator: ", ") + "]\n"
        let file = load(text)
        #expect(file.diagnostics.map(\.code) == ["GS105"])
    }

    @Test func longUserTextIsClippedInMessages() throws {
        let key = String(repeating: "q", count: 500)
        let report = SpecLoader.load(
            bytes: Array("apiVersion: gs.ai/v1\nkind: Device\nmetadata: {name: d}\nspec: {\(key): 1}\n".utf8),
            path: "long.yaml")
        let finding = try #require(report.diagnostics.first { $0.code == "GS202" })
        #expect(finding.message.count < 200)
        #expect(finding.message.contains("…"))
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

    @Test func integersNeverTrapAndHaveOneSign() {
        // Found by the fuzzer: `-0x-8000000000000000` negated Int.min and trapped.
        #expect(ScalarResolution.core("-0x-8000000000000000") == .string)
        #expect(ScalarResolution.core("0x-5") == .string)
        #expect(ScalarResolution.core("0x+5") == .string)
        #expect(ScalarResolution.core("-9223372036854775808") == .int(Int.min))
        // Too large for an integer: the YAML 1.2 core schema reads it as a float.
        #expect(ScalarResolution.core("9223372036854775808") == .float(9_223_372_036_854_775_808))
        #expect(ScalarResolution.core("-0o1000000000000000000000") == .int(Int.min))
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
