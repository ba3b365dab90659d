import Foundation
import GSCore
import GSExec
import Testing

@testable import GSData

/// Datasets from the three kinds of source, the checks made when one is opened, and the
/// calibration / evaluation split.
@Suite struct DatasetTests {
    static let input = DatasetInput(name: "x", shape: [1, 3, 32, 48], elementType: .float32)
    static let preprocessing = Preprocessing(width: 48, height: 32, scale: 1 / 255, mean: [0.5], std: [0.5])

    /// A folder of real images plus things that are not calibration images.
    static func imageFolder() throws -> String {
        let directory = Oracle.temporaryDirectory()
        let copies = [
            ("b-fish.jpg", "HappyFish.jpg"), ("a-box.png", "box.png"), ("c-GRAY.JPEG", "ellipses.jpg"),
            ("d-pic.PNG", "pic1.png"),
        ]
        for (name, source) in copies {
            try FileManager.default.copyItem(atPath: try Oracle.image(source), toPath: "\(directory)/\(name)")
        }
        try FileManager.default.copyItem(atPath: try Oracle.image("box.png"), toPath: "\(directory)/.hidden.png")
        try FileManager.default.createDirectory(atPath: "\(directory)/sub.jpg", withIntermediateDirectories: false)
        try FileSystem.writeAtomically("not an image", to: "\(directory)/notes.txt")
        return directory
    }

    @Test func aFolderGivesItsImagesInNameOrderPreprocessed() throws {
        let directory = try Self.imageFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dataset = try Dataset(path: directory, inputs: [Self.input], preprocessing: Self.preprocessing)
        #expect(dataset.source == .images(directory: directory))
        #expect(dataset.keys == ["a-box.png", "b-fish.jpg", "c-GRAY.JPEG", "d-pic.PNG"])
        let samples = try dataset.samples([3, 0, 1])
        #expect(samples.count == 3)
        for (sample, key) in zip(samples, ["d-pic.PNG", "a-box.png", "b-fish.jpg"]) {
            let expected = try Self.preprocessing.apply(try ImageDecoder.load(path: "\(directory)/\(key)"))
            let tensor = try #require(sample["x"])
            #expect(tensor.shape == [1, 3, 32, 48])
            #expect(Oracle.maxDifference(tensor, expected) == 0)
        }
        // Deterministic: the same sample twice is the same tensor.
        #expect(try dataset.sample(2)["x"]?.floatValues == (try dataset.sample(2)["x"]?.floatValues))
    }

    @Test func anImageThatDoesNotDecodeIsReportedWithItsPath() throws {
        let directory = try Self.imageFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = try FileSystem.read(try Oracle.image("messi5.jpg"))
        try FileSystem.writeAtomically(Array(bytes.prefix(3000)), to: "\(directory)/e-broken.jpg")
        let dataset = try Dataset(path: directory, inputs: [Self.input], preprocessing: Self.preprocessing)
        let error = try #require(throws: GSError.self) { try dataset.samples(Array(0..<dataset.count)) }
        #expect(error.message.contains("\(directory)/e-broken.jpg"), "\(error)")
    }

    @Test func imageFoldersNeedOneInputAndMatchingPreprocessing() throws {
        let directory = try Self.imageFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let two = [Self.input, DatasetInput(name: "y", shape: [1], elementType: .float32)]
        let many = try #require(throws: GSError.self) {
            try Dataset(path: directory, inputs: two, preprocessing: Self.preprocessing)
        }
        #expect(many.message.contains("`x`, `y`"))
        let none = try #require(throws: GSError.self) { try Dataset(path: directory, inputs: [Self.input]) }
        #expect(none.message.contains("no preprocessing"))
        var nhwc = Self.preprocessing
        nhwc.layout = .nhwc
        let shape = try #require(throws: GSError.self) {
            try Dataset(path: directory, inputs: [Self.input], preprocessing: nhwc)
        }
        #expect(shape.message.contains("(1, 32, 48, 3)") && shape.message.contains("(1, 3, 32, 48)"))
        let empty = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: GSError.self) {
            try Dataset(path: empty, inputs: [Self.input], preprocessing: Self.preprocessing)
        }
        #expect(throws: GSError.self) { try Dataset(path: empty + "/missing", inputs: [Self.input]) }
    }

    @Test func anNpyFeedsSamplesAlongItsFirstAxisWithOrWithoutTheBatchAxis() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = DatasetInput(name: "x", shape: [1, 2, 3], elementType: .float32)
        let values = (0..<30).map(Float.init)
        try Npy.write(Tensor(shape: [5, 2, 3], floats: values), to: directory + "/flat.npy")
        try Npy.write(Tensor(shape: [5, 1, 2, 3], floats: values), to: directory + "/batched.npy")
        for name in ["flat", "batched"] {
            let dataset = try Dataset(path: "\(directory)/\(name).npy", inputs: [input])
            #expect(dataset.count == 5)
            let sample = try #require(try dataset.sample(3)["x"])
            #expect(sample.shape == [1, 2, 3])
            #expect(sample.floatValues == Array(values[18..<24]))
        }
        try Npy.write(Tensor(shape: [5, 3, 2], floats: values), to: directory + "/wrong.npy")
        let wrong = try #require(throws: GSError.self) { try Dataset(path: directory + "/wrong.npy", inputs: [input]) }
        #expect(wrong.message.contains("(5, 3, 2)") && wrong.message.contains("(1, 2, 3)"), "\(wrong)")
        try Npy.write(Tensor(shape: [5, 2, 3], storage: .double(values.map(Double.init))), to: directory + "/f64.npy")
        let type = try #require(throws: GSError.self) { try Dataset(path: directory + "/f64.npy", inputs: [input]) }
        #expect(type.message.contains("float64") && type.message.contains("float32"))
        #expect(type.hint?.contains("astype(np.float32)") == true)
    }

    @Test func anNpzFeedsEachInputFromTheArrayOfItsName() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inputs = [
            DatasetInput(name: "image", shape: [1, 4], elementType: .uint8),
            DatasetInput(name: "scale", shape: [1, 1], elementType: .float32),
        ]
        let image = Tensor(shape: [3, 4], storage: .uint8((0..<12).map(UInt8.init)))
        let scale = Tensor(shape: [3, 1, 1], floats: [0.5, 1, 2])
        try Npz.write(["image": image, "scale": scale, "extra": scale], to: directory + "/ok.npz")
        let dataset = try Dataset(path: directory + "/ok.npz", inputs: inputs)
        #expect(dataset.count == 3)
        let sample = try dataset.sample(2)
        #expect(sample["image"]?.shape == [1, 4] && sample["image"]?.floatValues == [8, 9, 10, 11])
        #expect(sample["scale"]?.shape == [1, 1] && sample["scale"]?.floatValues == [2])

        try Npz.write(["image": image, "other": scale], to: directory + "/missing.npz")
        let missing = try #require(throws: GSError.self) {
            try Dataset(path: directory + "/missing.npz", inputs: inputs)
        }
        #expect(missing.message.contains("`scale`") && missing.message.contains("`image`, `other`"), "\(missing)")

        try Npz.write(
            ["image": image, "scale": Tensor(shape: [2, 1, 1], floats: [1, 2])], to: directory + "/uneven.npz")
        let uneven = try #require(throws: GSError.self) { try Dataset(path: directory + "/uneven.npz", inputs: inputs) }
        #expect(uneven.message.contains("`image` has 3") && uneven.message.contains("`scale` has 2"))
    }

    @Test func theSplitIsDisjointCompleteAndStableWhenFilesAreAdded() {
        let keys = (0..<200).map { String(format: "img_%04d.jpg", $0) }
        let split = DatasetSplit(keys: keys)
        #expect(Set(split.calibration).isDisjoint(with: split.evaluation))
        #expect((split.calibration + split.evaluation).sorted() == Array(0..<200))
        #expect(split.calibration == split.calibration.sorted())
        #expect(split == DatasetSplit(keys: keys))
        #expect(split.evaluation.count > 70 && split.evaluation.count < 130, "\(split.evaluation.count) of 200")
        // Adding files (anywhere in name order) keeps every old file on its side.
        let grown = ["aaa.jpg", "img_0100b.jpg", "zzz.jpg"] + keys
        let regrown = DatasetSplit(keys: grown)
        let evaluated = Set(regrown.evaluation.map { grown[$0] })
        for index in split.evaluation { #expect(evaluated.contains(keys[index])) }
        for index in split.calibration { #expect(!evaluated.contains(keys[index])) }
        // Two samples always give one of each.
        for pair in [["a", "b"], ["x.png", "y.png"], ["sample-0", "sample-1"]] {
            let small = DatasetSplit(keys: pair)
            #expect(small.calibration.count == 1 && small.evaluation.count == 1, "\(pair)")
        }
        #expect(DatasetSplit(keys: keys, evaluationFraction: 0).evaluation.isEmpty)
    }

    @Test func calibrationSamplesComeFromTheCalibrationSideOnly() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = DatasetInput(name: "x", shape: [1, 1], elementType: .float32)
        try Npy.write(Tensor(shape: [40, 1], floats: (0..<40).map(Float.init)), to: directory + "/d.npy")
        let dataset = try Dataset(path: directory + "/d.npy", inputs: [input])
        let split = dataset.split()
        let calibration = try dataset.calibrationSamples(limit: 5).compactMap { $0["x"]?.floatValues.first }
        #expect(calibration == split.calibration.prefix(5).map(Float.init))
        let evaluation = try dataset.evaluationSamples(limit: 1000).compactMap { $0["x"]?.floatValues.first }
        #expect(evaluation == split.evaluation.map(Float.init))
    }
}
