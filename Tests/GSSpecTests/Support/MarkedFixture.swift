import Foundation
import GSCore
import GSSpec
import GSTestScratch

/// A finding as fixtures state it: code and place.
struct ExpectedFinding: Hashable, CustomStringConvertible {
    var code: String
    var file: String
    var line: Int
    var column: Int

    var description: String { "\(file):\(line):\(column) \(code)" }
}

/// Spec fixtures with the expected findings written inside the YAML: `«GS202»` placed right
/// before the token a finding must point at. Copying a fixture strips the markers, so a test
/// reads like the input it checks and the expected line:column can never drift from it.
enum MarkedFixture {
    static let root = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    /// Copies `Fixtures/<name>` to a fresh temporary folder, stripping markers from `.yaml`
    /// files; returns the folder and the marks found.
    static func materialize(_ name: String) throws -> (directory: String, marks: Set<ExpectedFinding>) {
        let source = root.appendingPathComponent(name)
        let target = temporaryDirectory()
        var marks: Set<ExpectedFinding> = []
        let files = try FileManager.default.contentsOfDirectory(atPath: source.path).sorted()
        for file in files {
            let data = try Data(contentsOf: source.appendingPathComponent(file))
            let destination = target + "/" + file
            if file.hasSuffix(".yaml") {
                let (text, found) = strip(String(decoding: data, as: UTF8.self), file: file)
                marks.formUnion(found)
                try Data(text.utf8).write(to: URL(fileURLWithPath: destination))
            } else {
                try data.write(to: URL(fileURLWithPath: destination))
            }
        }
        return (target, marks)
    }

    /// Removes `«CODE»` markers, recording the 1-based line and column (in characters, as
    /// libyaml counts them) of the character that follows each.
    static func strip(_ text: String, file: String) -> (String, Set<ExpectedFinding>) {
        var out = ""
        var marks: Set<ExpectedFinding> = []
        var line = 1
        var column = 1
        var scalars = text.unicodeScalars[...]
        while let scalar = scalars.first {
            if scalar == "«", let end = scalars.firstIndex(of: "»") {
                let code = String(String.UnicodeScalarView(scalars[scalars.index(after: scalars.startIndex)..<end]))
                marks.insert(ExpectedFinding(code: code, file: file, line: line, column: column))
                scalars = scalars[scalars.index(after: end)...]
                continue
            }
            out.unicodeScalars.append(scalar)
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            scalars = scalars.dropFirst()
        }
        return (out, marks)
    }

    static func temporaryDirectory() -> String {
        ScratchDirectory.make("spec")
    }

    /// Findings of a lint run as marks, relative to `directory`. Notes count only when asked
    /// (most fixtures leave objects unused on purpose).
    static func marks(of report: LintReport, in directory: String, includeNotes: Bool) -> Set<ExpectedFinding> {
        Set(
            report.diagnostics.filter { includeNotes || $0.severity != .note }.map { d in
                var file = d.location.file
                if file.hasPrefix(directory + "/") { file.removeFirst(directory.count + 1) }
                return ExpectedFinding(code: d.code, file: file, line: d.location.line, column: d.location.column)
            })
    }
}
