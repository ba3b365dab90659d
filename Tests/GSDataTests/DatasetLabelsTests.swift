import Foundation
import GSCore
import Testing

@testable import GSData

/// `labels.tsv`: read by column name, refused with the line that is wrong.
@Suite struct DatasetLabelsTests {
    @Test func readsColumnsByNameForEachFile() throws {
        let labels = try DatasetLabels(
            text: "file\ttext\trotated\r\na.png\tstation line 170\t0\nb.png\tgate\t1\n\n", path: "l.tsv")
        #expect(labels.columns == ["file", "text", "rotated"])
        #expect(labels.count == 2)
        #expect(labels.value("text", for: "a.png") == "station line 170")
        #expect(labels.value("rotated", for: "b.png") == "1")
        #expect(labels.value("text", for: "c.png") == nil)
        #expect(labels.value("label", for: "a.png") == nil)
    }

    @Test func theExampleTextLinesAreLabelled() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let labels = try #require(try DatasetLabels.load(folder: root.path + "/Specs/data/text-lines"))
        #expect(labels.count == 96)
        #expect(labels.value("text", for: "line-000.png") == "station line 170")
        #expect(try DatasetLabels.load(folder: root.path + "/Specs/data/vtest-frames") == nil)
    }

    @Test(arguments: [
        ("", "is empty"),
        ("name\ttext\na.png\tx\n", "l.tsv`:1: the header has no `file` column (it has `name`, `text`)"),
        ("file\ttext\na.png\tx\ty\n", "l.tsv`:2: 3 field(s), the header has 2"),
        ("file\ttext\na.png\tx\nb.png\ty\na.png\tz\n", "l.tsv`:4: `a.png` is labelled twice"),
    ])
    func refusesWhatItCannotRead(text: String, message: String) throws {
        #expect {
            _ = try DatasetLabels(text: text, path: "l.tsv")
        } throws: { error in
            (error as? GSError)?.message.contains(message) == true
        }
    }
}
