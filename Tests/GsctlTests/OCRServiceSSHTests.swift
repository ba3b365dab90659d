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

    /// The example's models, data, workflow and task programs, plus one Deployment of
    /// `ocr-service` on the namespace host (`precision: auto`, like the demo host's).
    static func writeSpecs(_ fleet: SSHFleet) throws {
        let files = FileManager.default
        let example = CLI.root + "/Specs"
        for folder in ["models", "data"] {
            try files.copyItem(atPath: example + "/" + folder, toPath: fleet.specs + "/" + folder)
        }
        try files.createDirectory(atPath: fleet.specs + "/workflows", withIntermediateDirectories: true)
        for item in ["ocr-service.yaml", "tasks"] {
            try files.copyItem(atPath: example + "/workflows/" + item, toPath: fleet.specs + "/workflows/" + item)
        }
        let yaml = """
            \(DeployRepo.gatewayDevice)\(fleet.hostDocuments())---
            apiVersion: gs.ai/v1
            kind: Deployment
            metadata: {name: ocr-box}
            spec:
              workflow: ocr-service
              precision: auto
              targets: [{hosts: [box1]}]

            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: fleet.specs + "/fleet.yaml"))
    }

    /// GET `path` of the serve task (port 8082) inside the host's network namespace.
    static func serve(_ fleet: SSHFleet, _ path: String) -> Any? {
        let script = """
            import sys, urllib.request
            sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:8082" + sys.argv[1], timeout=5).read().decode())
            """
        guard
            let output = try? Subprocess.run([
                "ip", "netns", "exec", "gs-" + fleet.hosts[0].name, "python3", "-c", script, path,
            ]), output.status == 0
        else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(output.text.utf8))
    }

    /// (file, text, rotated) rows of the text lines' labels.
    static func labels() throws -> [(file: String, text: String, rotated: Bool)] {
        let table = try String(contentsOfFile: lines + "/labels.tsv", encoding: .utf8)
        return table.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { return nil }
            return (fields[0], fields[1], fields[2] == "1")
        }
    }

    @Test func droppedImagesAreReadOnTheHostAndTheirTextServed() throws {
        let rows = try Self.labels()
        let picked = Array(rows.filter(\.rotated).prefix(3)) + Array(rows.filter { !$0.rotated }.prefix(5))
        #expect(picked.count == 8)
        let fleet = try SSHFleet(tag: "ocr", count: 1) { fleet in try Self.writeSpecs(fleet) }
        defer { fleet.cleanUp() }
        let applied = try fleet.apply()
        #expect(applied.status == 0, "\(applied.err)\n\(applied.out)")
        #expect(fleet.current(1)?.contains("auto") == true, "\(fleet.current(1) ?? "no current release")")

        // The host measured the candidates of each model and recorded what it chose.
        let status = try gsctl(["status", "Specs", "--host", "box1", "-f", "json"], cwd: fleet.path)
        let hosts = (try? JSONSerialization.jsonObject(with: Data(status.out.utf8))) as? [[String: Any]] ?? []
        let tables = hosts.first?["models"] as? [[String: Any]] ?? []
        let chosen = Dictionary(
            tables.compactMap { table in (table["model"] as? String).map { ($0, table["chosen"] as? String ?? "") } },
            uniquingKeysWith: { first, _ in first })
        #expect(Set(chosen.keys) == ["ocr-det", "ocr-cls", "ocr-rec"], "\(status.out)")
        for table in tables {
            let variants = (table["rows"] as? [[String: Any]] ?? []).compactMap { $0["variant"] as? String }
            #expect(variants.count >= 2, "\(table["model"] ?? "?") measured \(variants)")
            #expect(variants.contains(table["chosen"] as? String ?? "-"), "\(table)")
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
            served = Self.serve(fleet, "/frames?limit=100") as? [[String: Any]] ?? []
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
                "\(row.file) (rotated: \(row.rotated)) read as \(texts[row.file] ?? "nothing"); chosen \(chosen)")
        }
    }
}
