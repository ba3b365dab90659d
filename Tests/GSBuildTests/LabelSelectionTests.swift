import GSCore
import GSData
import GSOptimize
import Testing

@testable import GSBuild

/// Which labels score a labelled metric: the text detector's boxes come in image pixels and
/// are scored in the model input's, so they are scaled by how each image was resized.
@Suite struct LabelSelectionTests {
    static let table = """
        file\ttext\trotated\tbox
        a.png\tgate one\t0\t10,5,110,25
        b.png\tzone\t1\t1,2,3,4; 20,2,30,12
        c.png\t\t0\t

        """

    @Test func boxesAreScaledIntoTheInputsPixels() throws {
        let labels = try DatasetLabels(text: Self.table, path: "labels.tsv")
        let scales: [String: (x: Float, y: Float)] = ["a.png": (2, 2), "b.png": (0.5, 1)]
        let selected = try #require(
            try LabelledMetric.textBoxF1.labels(labels, keys: ["a.png", "b.png", "c.png", "d.png"]) { key in
                scales[key]
            })
        #expect(selected.kind == .textBoxes && selected.metric == "text-box-f1")
        #expect(selected.values == ["20.0,10.0,220.0,50.0", "0.5,2.0,1.5,4.0;10.0,2.0,15.0,12.0", "", nil])
        // An image labelled without boxes counts (what is found there is a false positive).
        #expect(selected.labelled == 3)
        #expect(LabelledMetric.textBoxF1.fallback == .mapBoxF1)
    }

    @Test func aMalformedBoxIsNamed() throws {
        let labels = try DatasetLabels(text: "file\tbox\na.png\t10,5,8,25\n", path: "labels.tsv")
        #expect {
            try LabelledMetric.textBoxF1.labels(labels, keys: ["a.png"])
        } throws: { error in
            (error as? GSError)?.message == "`a.png`'s box `10,5,8,25` is not x0,y0,x1,y1 with x0 < x1 and y0 < y1"
        }
        // Without a `box` column there is nothing to score against.
        let text = try DatasetLabels(text: "file\ttext\na.png\tgate\n", path: "labels.tsv")
        #expect(try LabelledMetric.textBoxF1.labels(text, keys: ["a.png"]) == nil)
    }
}
