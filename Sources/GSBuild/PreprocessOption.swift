import GSCore
import GSData

/// The `--preprocess` option of `gsctl model optimize`:
/// `size=192x48;scale=0.00392156862745098;mean=0.5,0.5,0.5;std=0.5,0.5,0.5;bgr;nhwc;keep-aspect;uint8`
/// (the same fields as a Model spec's `preprocess`, in one string for a command line;
/// `no-upscale` is `keepAspect` with `upscale: false`; `crop=224x224` after `size=256x256`
/// cuts the input out of the resized image's centre).
public enum PreprocessOption {
    public static func parse(_ text: String) throws(GSError) -> Preprocessing {
        var preprocessing = Preprocessing(width: 0, height: 0)
        for item in text.split(separator: ";").map({ String($0).trimmingSpaces }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let key = parts[0]
            let value = parts.count > 1 ? parts[1] : ""
            switch key {
            case "size", "crop":
                let sizes = value.split(separator: "x").compactMap { Int($0) }
                guard sizes.count == 2, sizes.allSatisfy({ $0 > 0 }) else {
                    throw bad(item, "\(key)=WIDTHxHEIGHT, such as \(key)=224x224")
                }
                if key == "crop" {
                    preprocessing.crop = Preprocessing.Crop(width: sizes[0], height: sizes[1])
                } else {
                    preprocessing.width = sizes[0]
                    preprocessing.height = sizes[1]
                }
            case "scale":
                guard let scale = Float(value), scale > 0 else { throw bad(item, "scale=0.00392156862745098") }
                preprocessing.scale = scale
            case "mean", "std":
                let values = value.split(separator: ",").compactMap { Float($0) }
                guard values.count == 1 || values.count == 3 else { throw bad(item, "\(key)=0.485,0.456,0.406") }
                if key == "mean" { preprocessing.mean = values } else { preprocessing.std = values }
            case "rgb": preprocessing.channelOrder = .rgb
            case "bgr": preprocessing.channelOrder = .bgr
            case "nchw": preprocessing.layout = .nchw
            case "nhwc": preprocessing.layout = .nhwc
            case "keep-aspect": preprocessing.keepAspect = true
            case "no-upscale":
                preprocessing.keepAspect = true
                preprocessing.upscale = false
            case "uint8": preprocessing.elementType = .uint8
            case "float32": preprocessing.elementType = .float32
            default:
                throw bad(
                    item,
                    "size=WxH; crop=WxH; scale=S; mean=A,B,C; std=A,B,C; rgb|bgr; nchw|nhwc; keep-aspect; no-upscale; uint8|float32"
                )
            }
        }
        guard preprocessing.width > 0, preprocessing.height > 0 else {
            throw GSError("--preprocess needs `size=WIDTHxHEIGHT`", hint: "for example size=224x224")
        }
        try preprocessing.validate()
        return preprocessing
    }

    static func bad(_ item: String, _ expected: String) -> GSError {
        GSError("cannot read `\(item)` in --preprocess", hint: "expected \(expected)")
    }
}
