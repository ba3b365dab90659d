import Foundation
import GSCore
import GSTestHosts
import Testing

/// The example repository's OCR service, as shipped in `Specs/`, end to end on a namespace
/// host over real SSH: the same workflow file, task programs and Model specs (PP-OCRv4 det,
/// the direction classifier and PP-OCRv4 rec, calibrated on the rendered text lines) at the
/// example's own `precision: auto`. The host measures every candidate of all three models with
/// the task programs' onnxruntime and picks one per model; then images a scanner drops in the
/// inbox come out of `serve` as the text their labels say, upside-down lines included.
@Suite(.serialized, .enabled(if: NamespaceHosts.isAvailable, NamespaceHosts.skipComment))
struct OCRServiceSSHTests {
    static let lines = CLI.root + "/Specs/data/text-lines"
    static let service = ExampleService(workflow: "ocr-service", precision: "auto", port: 8082)

    /// (file, text, rotated) rows of the text lines' labels.
    static func labels() throws -> [(file: String, text: String, rotated: Bool)] {
        let table = try String(contentsOfFile: lines + "/labels.tsv", encoding: .utf8)
        return table.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3 else { return nil }
            return (fields[0], fields[1], fields[2] == "1")
        }
    }

    @Test func droppedImagesAreReadOnTheHostAndTheirTextServed() throws {
        let rows = try Self.labels()
        let picked = Array(rows.filter(\.rotated).prefix(3)) + Array(rows.filter { !$0.rotated }.prefix(5))
        #expect(picked.count == 8)
        let fleet = try SSHFleet(tag: "ocr", count: 1) { fleet in try Self.service.writeSpecs(fleet) }
        defer { fleet.cleanUp() }
        // The inbox is empty after the deploy: the health gate passes anyway (healthyWhenIdle).
        let applied = try fleet.apply()
        #expect(applied.status == 0, "\(applied.err)\n\(applied.out)")
        #expect(fleet.current(1)?.contains("auto") == true, "\(fleet.current(1) ?? "no current release")")

        // The host measured the candidates of each model and recorded what it chose.
        let choices = try ExampleService.choices(fleet)
        #expect(Set(choices.keys) == ["ocr-det", "ocr-cls", "ocr-rec"], "\(choices)")
        for (model, choice) in choices {
            #expect(choice.measured.count >= 2, "\(model) measured \(choice.measured)")
            #expect(choice.measured.contains(choice.chosen), "\(model): \(choice)")
        }

        // A scanner drops the images into the inbox task's folder on the host (GS_DATA/inbox),
        // each written under another name first and renamed, so no half-written file is read.
        let inbox = fleet.root(1) + "/data/inbox/inbox"
        #expect(eventually(within: 60) { FileManager.default.fileExists(atPath: inbox) }, "\(inbox) never appeared")
        for row in picked {
            try FileManager.default.copyItem(
                atPath: Self.lines + "/" + row.file, toPath: inbox + "/" + row.file + ".part")
            try FileManager.default.moveItem(atPath: inbox + "/" + row.file + ".part", toPath: inbox + "/" + row.file)
        }
        var served: [[String: Any]] = []
        let all = eventually(within: 120) {
            served = Self.service.get(fleet, "/frames?limit=100") as? [[String: Any]] ?? []
            return served.count >= picked.count
        }
        #expect(all, "served \(served.count) of \(picked.count) images")
        var texts: [String: String] = [:]
        for row in served {
            guard let result = row["texts"] as? [String: Any], let file = result["file"] as? String else { continue }
            texts[file] = result["text"] as? String
        }
        // PP-OCR's Chinese-English recognizer does not reliably emit spaces between words.
        for row in picked {
            let read = texts[row.file]?.replacingOccurrences(of: " ", with: "")
            #expect(
                read == row.text.replacingOccurrences(of: " ", with: ""),
                "\(row.file) (rotated: \(row.rotated)) read as \(texts[row.file] ?? "nothing"); chosen \(choices)")
        }
    }
}
