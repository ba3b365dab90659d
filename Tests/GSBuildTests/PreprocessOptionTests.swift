import GSCore
import GSData
import Testing

@testable import GSBuild

/// `gsctl model optimize --preprocess`: a Model spec's `preprocess` in one string.
@Suite struct PreprocessOptionTests {
    @Test func everyFieldIsRead() throws {
        let ppocr = try PreprocessOption.parse(
            "size=640x160; scale=0.00392156862745098; mean=0.5,0.5,0.5; std=0.5; bgr; no-upscale")
        #expect((ppocr.width, ppocr.height) == (640, 160))
        #expect(ppocr.mean == [0.5, 0.5, 0.5] && ppocr.std == [0.5])
        #expect(ppocr.channelOrder == .bgr && ppocr.layout == .nchw)
        // no-upscale letterboxes and never enlarges.
        #expect(ppocr.keepAspect && !ppocr.upscale)
        #expect(ppocr.resizedSize(width: 300, height: 48) == (300, 48))
        let ssd = try PreprocessOption.parse("size=300x300;rgb;nhwc;uint8")
        #expect(ssd.layout == .nhwc && ssd.elementType == .uint8 && !ssd.keepAspect && ssd.upscale)
    }

    @Test func aCropIsCutFromTheResizedImage() throws {
        let classifier = try PreprocessOption.parse("size=256x256; crop=224x224; scale=0.00392156862745098")
        #expect(classifier.crop == .init(width: 224, height: 224))
        #expect(classifier.outputShape == [1, 3, 224, 224])
        #expect(throws: GSError.self) { try PreprocessOption.parse("size=200x200; crop=224x224") }
    }

    @Test func aWrongItemIsNamedWithWhatWasExpected() {
        #expect {
            try PreprocessOption.parse("size=640;bgr")
        } throws: { error in
            let error = error as? GSError
            return error?.message == "cannot read `size=640` in --preprocess"
                && error?.hint == "expected size=WIDTHxHEIGHT, such as size=224x224"
        }
        #expect {
            try PreprocessOption.parse("size=64x64;upscale")
        } throws: { error in
            (error as? GSError)?.hint?.contains("no-upscale") == true
        }
    }
}
