/// `kind: Model`: an ONNX model and everything needed to optimize and check it.
enum ModelSchema {
    static let input = ObjectSchema(
        "ModelInput", "one input of the model, with the static shape to compile for",
        [
            Property("name", .text, required: true, "input name in the ONNX graph"),
            Property(
                "shape", .array(.positiveInteger, minItems: 1), required: true,
                "static shape, symbolic dimensions fixed (the static-shape optimization)"),
            Property("dtype", .oneOf(DType.words), default: "float32", "element type"),
            Property("layout", .oneOf(Layout.words), default: "NCHW", "axis order of image inputs"),
        ])

    static let resize = ObjectSchema(
        "Resize", "resize images to the input size",
        [
            Property("width", .positiveInteger, required: true, "target width in pixels"),
            Property("height", .positiveInteger, required: true, "target height in pixels"),
            Property("keepAspect", .boolean, default: "false", "letterbox instead of stretching"),
            Property(
                "upscale", .boolean, default: "true",
                "with keepAspect, false keeps an image that fits at its own size (only ever shrinks, as PP-OCR's text detector resizes)"
            ),
        ])

    static let crop = ObjectSchema(
        "Crop", "the centre of the resized image that becomes the input",
        [
            Property("width", .positiveInteger, required: true, "crop width in pixels (the input's width)"),
            Property("height", .positiveInteger, required: true, "crop height in pixels (the input's height)"),
        ])

    static let preprocess = ObjectSchema(
        "Preprocess", "how images become input tensors",
        [
            Property(
                "resize", .object(resize), "resize to the input size (with `crop`: to the size the crop is cut from)"),
            Property("crop", .object(crop), "centre crop after the resize, as torchvision's CenterCrop"),
            Property(
                "scale", .number(minimum: 0, maximum: nil), default: "1",
                "multiply pixel values first (1/255 = 0.00392156862745098)"),
            Property(
                "mean", .array(.number(minimum: nil, maximum: nil), minItems: 1),
                "per-channel mean, subtracted after scaling"),
            Property(
                "std", .array(.number(minimum: 0, maximum: nil), minItems: 1),
                "per-channel standard deviation, divided by"),
            Property("channelOrder", .oneOf(ChannelOrder.words), default: "rgb", "channel order the model expects"),
        ])

    static let calibration = ObjectSchema(
        "Calibration", "data INT8 ranges are measured on",
        [
            Property("data", .text(.path), required: true, "folder of images, .npy or .npz, relative to this file"),
            Property("samples", .positiveInteger, default: "200", "samples to use"),
            Property("method", .oneOf(CalibrationMethod.words), default: "minmax", "range estimator"),
            Property("percentile", .number(minimum: 50, maximum: 100), default: "99.99", "for `percentile`"),
        ])

    static let evaluation = ObjectSchema(
        "Evaluation", "how accuracy is checked against the float model",
        [
            Property("data", .text(.path), "folder of images, .npy or .npz (default: held-out calibration data)"),
            Property("samples", .positiveInteger, default: "500", "samples to use, disjoint from calibration"),
            Property("metric", .oneOf(Metric.words), "accuracy metric (default from `task`)"),
            Property(
                "labels", .text(.path),
                "labels file (TSV with a `file` column) for char-accuracy and top1; default: labels.tsv beside the images"
            ),
            Property(
                "tolerance", .number(minimum: 0, maximum: 1), default: "0.01",
                "largest accepted accuracy drop (0.01 = one point)"),
            Property(
                "scoreThreshold", .number(minimum: 0, maximum: 1), default: "0.3",
                "detection score the service counts from (box-f1, count-agreement)"),
            Property(
                "scoreMargin", .number(minimum: 0, maximum: 1), default: "0.05",
                "box-f1 forgives a score moving less than this across scoreThreshold (0: strict F1 at the threshold)"),
            Property(
                "confidence", .number(minimum: 0.5, maximum: 0.999),
                "the tolerance must hold at the low end of the score's bootstrap interval at this level, not just at the score (0.95: few evaluation samples cannot pass a variant by luck); default: the score alone"
            ),
        ])

    static let spec = ObjectSchema(
        "ModelSpec", "an ONNX model to optimize per device",
        [
            Property("source", .text(.path), required: true, "the ONNX file, relative to this file"),
            Property("sha256", .text(.sha256), required: true, "digest of the source file; lint checks it"),
            Property("format", .oneOf(["onnx"]), default: "onnx", "format of the source"),
            Property("task", .oneOf(ModelTask.words), default: "other", "what the model does"),
            Property("inputs", .array(.object(input), minItems: 1), "inputs with static shapes"),
            Property("preprocess", .object(preprocess), "image preprocessing"),
            Property("calibration", .object(calibration), "INT8 calibration data"),
            Property("evaluation", .object(evaluation), "accuracy check"),
            Property("latencyBudgetMs", .number(minimum: 0, maximum: nil), "slowest accepted inference on the device"),
            Property(
                "onAccuracyMiss", .oneOf(AccuracyMissAction.words), default: "fail",
                "when a quantized variant misses the tolerance: fail the build, or ship the float variant"),
            Property(
                "quantization", .oneOf(Quantization.words), default: "static",
                "how int8 is made: static (calibrated Q/DQ on every supported op), dynamic (MatMul and Gemm weights int8, activations quantized at run time: MatMul-heavy models, no calibration), weight-only (those weights stored int8, float compute)"
            ),
            Property(
                "fp16Interface", .boolean, default: "false",
                "the fp16 variant takes and returns float16 where the original has float32 (its callers feed float16); false: the original's types, Casts at the border"
            ),
        ])
}
