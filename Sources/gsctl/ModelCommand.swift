import GSBuild
import GSCore
import GSData
import GSExec
import GSOptimize
import ONNX

/// `gsctl model SUBCOMMAND MODEL`: work on ONNX model files. `inspect` is the first
/// subcommand; `optimize` joins the `subcommands` table the same way, with its own options
/// added to `spec` and checked in its function.
enum ModelCommand {
    /// One subcommand: its name, its line in the help, and the function that runs it with the
    /// operands after the subcommand's name.
    struct Subcommand: Sendable {
        var name: String
        var summary: String
        var run: @Sendable (_ operands: [String], _ arguments: ParsedArguments) throws -> ExitCode
    }

    /// The subcommands, in help order.
    static let subcommands: [Subcommand] = [
        Subcommand(
            name: "inspect",
            summary: "IR version, producer, opsets, typed inputs and outputs, op histogram, node and parameter counts",
            run: inspect),
        Subcommand(
            name: "optimize",
            summary: "compile one model to a precision with the compiler `gsctl build` uses",
            run: optimize),
    ]

    /// The entry of the command table.
    static let spec = CommandSpec(
        name: "model",
        summary: "inspect and optimize ONNX models",
        discussion: """
            subcommands:
            \(subcommands.map { "  \($0.name)  \($0.summary)" }.joined(separator: "\n"))

            `gsctl model inspect MODEL` reads the file with gsctl's own ONNX reader (external data
            is not loaded; its size comes from the references). Exit 1 when the file is not a valid
            ONNX model, with the byte offset where reading failed. FLOPs (2 per multiply-add of
            Conv, ConvTranspose, Gemm and MatMul) come from one run of the model on zeros with
            gsctl's executor, at the declared input shapes or those given with --shape.

            `gsctl model optimize MODEL --precision P --out FILE` runs the FP32 graph passes, then
            FP16 or INT8 (calibrated on --calib; int8-mixed keeps the most damaged tensors in
            float until --tolerance is met on --eval, else on held-out --calib samples), and
            writes the model and, with --report, what it measured. `--metric char-accuracy`,
            `--metric top1` and `--metric text-box-f1` score on labels (`labels.tsv` beside the
            images, or --labels: columns file and text, file and label, or file and box): the
            tolerance bounds the drop from the original model's accuracy on them.
            """,
        arguments: [
            ArgumentSpec(name: "SUBCOMMAND", help: "inspect", optional: false),
            ArgumentSpec(name: "MODEL", help: "an .onnx file", optional: false),
        ],
        options: [
            .value("format", short: "f", "FORMAT", "inspect: output format", allowed: ["text", "json"]),
            .value("precision", "P", "optimize: target precision", allowed: TargetPrecision.allCases.map(\.rawValue)),
            .value("out", short: "o", "FILE", "optimize: where the optimized model goes"),
            .value(
                "report", "FILE",
                "optimize: write the measurements as JSON (also when the variant misses its tolerance)"),
            .value("shape", "NAME=1x3xHxW", "inspect, optimize: static shape of an input", repeatable: true),
            .value("calib", "DATA", "optimize: calibration data (folder of images, .npy or .npz)"),
            .value("eval", "DATA", "optimize: evaluation data (default: held-out calibration samples)"),
            .value(
                "preprocess", "SPEC",
                "optimize: size=WxH;crop=WxH;scale=S;mean=A,B,C;std=A,B,C;rgb|bgr;nchw|nhwc;keep-aspect|no-upscale;uint8"
            ),
            .value(
                "metric", "METRIC", "optimize: accuracy metric (char-accuracy, top1 and text-box-f1 score on labels)",
                allowed: AccuracyMetric.allCases.map(\.rawValue) + LabelledMetric.allCases.map(\.rawValue)),
            .value(
                "labels", "FILE",
                "optimize: labels for char-accuracy / top1 / text-box-f1 (default: labels.tsv beside the images)"),
            .value("tolerance", "T", "optimize: largest accepted metric drop (default 0.01)"),
            .value(
                "confidence", "C",
                "optimize: the tolerance must hold at the low end of the score's interval at level C (0.5-0.999; a Model's evaluation.confidence)"
            ),
            .value(
                "score-threshold", "S",
                "optimize: detection metrics count boxes scoring S or more (default 0.3; a Model's evaluation.scoreThreshold)"
            ),
            .value(
                "score-margin", "M",
                "optimize: box-f1 forgives a score moving less than M across the threshold (default 0.05; 0: strict)"),
            .value("method", "METHOD", "optimize: calibration", allowed: ["minmax", "percentile", "entropy"]),
            .value(
                "quantization", "MODE",
                "optimize: how int8 is made: static (calibrated QDQ, default), dynamic or weight-only (MatMul/Gemm weights, no calibration)",
                allowed: QuantizationMode.allCases.map(\.rawValue)),
            .value("device", "FILE[:NAME]", "optimize: a Device spec choosing the QDQ form (TensorRT, reduce_range)"),
            .flag("ship-float", "optimize: on an accuracy miss write the fp32 variant instead of failing"),
            .flag("fp16-io", "optimize: the fp16 model takes and returns float16 (default: float32, Casts inside)"),
        ],
        run: run)

    /// Finds the subcommand and runs it.
    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        AllocatorTuning.keepFreedMemoryForReuse()
        let name = arguments.positionals[0]
        guard let subcommand = subcommands.first(where: { $0.name == name }) else {
            let nearest = Suggest.nearest(to: name, in: subcommands.map(\.name))
            throw UsageError(
                message: "unknown subcommand `\(name)` for `gsctl model`",
                hint: nearest.map { "did you mean `gsctl model \($0)`?" } ?? "run `gsctl model --help`")
        }
        return try subcommand.run(Array(arguments.positionals.dropFirst()), arguments)
    }

    /// `gsctl model inspect MODEL [--format text|json]`.
    static func inspect(_ operands: [String], _ arguments: ParsedArguments) throws -> ExitCode {
        guard operands.count == 1 else {
            throw UsageError(message: "`gsctl model inspect` takes one MODEL", hint: "run `gsctl model --help`")
        }
        let path = operands[0]
        let model: ModelProto
        let size: Int
        do {
            model = try ModelFile.load(path, loadExternalData: false)
            size = try ReadOnlyFile(path: path).size()
        } catch let error as ONNXError {
            throw error.gsError
        }
        let summary = ModelSummary(model, file: path, fileSize: size)
        // FLOPs need a run of the model; a model the executor cannot run still inspects.
        let inputShapes = try shapes(arguments)
        let flops = Result<FLOPCount, Error>(catching: { try FLOPCount.measure(model, shapes: inputShapes) })
        if arguments.value("format") == "json" {
            var json = summary.json
            if case .object(var fields) = json {
                switch flops {
                case .success(let count):
                    fields["flops"] = [
                        "total": .double(count.total),
                        "byOp": .object(count.byOp.mapValues { .double($0) }),
                        "integer": .double(count.integer),
                        "inputShapes": .object(count.inputShapes.mapValues { .array($0.map { .int($0) }) }),
                    ]
                case .failure(let error):
                    fields["flops"] = ["error": .string(Self.message(error))]
                }
                json = .object(fields)
            }
            Terminal.write(json.pretty)
        } else {
            var text = summary.text
            switch flops {
            case .success(let count):
                let parts = count.byOp.sorted { $0.value > $1.value }.map { "\($0.key) \(Self.giga($0.value))" }
                let at = count.inputShapes.sorted { $0.key < $1.key }
                    .map { "\($0.key)=\($0.value.map(String.init).joined(separator: "x"))" }.joined(separator: ", ")
                text +=
                    "flops \(Self.giga(count.total)) at \(at)"
                    + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
                text += "\n"
                if count.integer > 0 {
                    let rest = count.integer < count.total ? "; the rest in float" : ""
                    text +=
                        "int8 \(Self.giga(count.integer)) (\(DecimalText.fixed(count.integerShare * 100, digits: 1))% of the FLOPs\(rest))\n"
                }
            case .failure(let error):
                text += "flops not computed: \(Self.message(error))\n"
            }
            Terminal.write(text)
        }
        return .success
    }

    /// `1.63 GFLOPs`, `12.4 MFLOPs`.
    static func giga(_ flops: Double) -> String {
        if flops >= 1e9 { return (DecimalText.fixed(flops / 1e9, digits: 2) + " GFLOPs") }
        if flops >= 1e6 { return (DecimalText.fixed(flops / 1e6, digits: 1) + " MFLOPs") }
        return (DecimalText.fixed(flops / 1e3, digits: 1) + " kFLOPs")
    }

    static func message(_ error: Error) -> String {
        if let error = error as? ExecError { return error.message }
        return String(describing: error)
    }

    /// `--shape NAME=1x3x224x224`, repeatable.
    static func shapes(_ arguments: ParsedArguments) throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for item in arguments.all("shape") {
            let parts = item.split(separator: "=", maxSplits: 1)
            let dims = parts.count == 2 ? parts[1].split(separator: "x").compactMap { Int($0) } : []
            guard parts.count == 2, !dims.isEmpty, dims.allSatisfy({ $0 > 0 }) else {
                throw UsageError(message: "cannot read `--shape \(item)`", hint: "write NAME=1x3x224x224")
            }
            shapes[String(parts[0])] = dims
        }
        return shapes
    }

    /// `gsctl model optimize MODEL --precision P --out FILE [...]`.
    static func optimize(_ operands: [String], _ arguments: ParsedArguments) throws -> ExitCode {
        guard operands.count == 1 else {
            throw UsageError(message: "`gsctl model optimize` takes one MODEL", hint: "run `gsctl model --help`")
        }
        guard let precisionText = arguments.value("precision"), let precision = TargetPrecision(rawValue: precisionText)
        else {
            throw UsageError(
                message: "`gsctl model optimize` needs `--precision`", hint: "fp32, fp16, int8 or int8-mixed")
        }
        guard let out = arguments.value("out") else {
            throw UsageError(message: "`gsctl model optimize` needs `--out FILE`")
        }
        var options = SingleModel.Options(model: operands[0], precision: precision)
        options.shapes = try shapes(arguments)
        options.calibration = arguments.value("calib")
        options.evaluation = arguments.value("eval")
        if let text = arguments.value("preprocess") { options.preprocessing = try PreprocessOption.parse(text) }
        if let metric = arguments.value("metric").flatMap(AccuracyMetric.init(rawValue:)) { options.metric = metric }
        options.labelled = arguments.value("metric").flatMap(LabelledMetric.init(rawValue:))
        options.labels = arguments.value("labels")
        if let tolerance = arguments.value("tolerance") {
            guard let value = Double(tolerance), value >= 0, value <= 1 else {
                throw UsageError(message: "`--tolerance` must be a number from 0 to 1, not `\(tolerance)`")
            }
            options.tolerance = value
        }
        if let text = arguments.value("score-threshold") {
            guard let value = Float(text), value >= 0, value <= 1 else {
                throw UsageError(message: "`--score-threshold` must be a number from 0 to 1, not `\(text)`")
            }
            options.scoreThreshold = value
        }
        if let text = arguments.value("score-margin") {
            guard let value = Float(text), value >= 0, value <= 1 else {
                throw UsageError(message: "`--score-margin` must be a number from 0 to 1, not `\(text)`")
            }
            options.scoreMargin = value
        }
        if let text = arguments.value("confidence") {
            guard let value = Double(text), value >= 0.5, value <= 0.999 else {
                throw UsageError(message: "`--confidence` must be a number from 0.5 to 0.999, not `\(text)`")
            }
            options.confidence = value
        }
        if let mode = arguments.value("quantization").flatMap(QuantizationMode.init(rawValue:)) {
            options.quantization = mode
        }
        switch arguments.value("method") {
        case "percentile"?: options.method = .percentile(99.99)
        case "entropy"?: options.method = .entropy
        default: break
        }
        options.device = arguments.value("device")
        if arguments.flag("ship-float") { options.onMiss = .shipFloat }
        if arguments.flag("fp16-io") {
            guard precision == .fp16 else {
                throw UsageError(message: "`--fp16-io` is for `--precision fp16`, not `\(precision.rawValue)`")
            }
            options.fp16Interface = true
        }
        options.missReport = arguments.value("report")
        let variant = try SingleModel.optimize(options)
        // `do throws(...)`: a `catch let error as ONNXError` here crashed Swift 6.3.1.
        let dataFile: String?
        do throws(ONNXError) {
            dataFile = try ModelFile.saveSplittingIfLarge(variant.model, to: out)
        } catch {
            throw error.gsError
        }
        if let path = arguments.value("report") { try FileSystem.writeAtomically(variant.report.json.pretty, to: path) }
        let report = variant.report
        var text =
            "\(operands[0]) -> \(out): \(report.shipped.rawValue), nodes \(report.nodesBefore) -> \(report.nodesAfter), "
        text +=
            DecimalText.fixed(Double(report.bytesBefore) / 1e6, digits: 2) + " -> "
            + DecimalText.fixed(Double(report.bytesAfter) / 1e6, digits: 2) + " MB"
        if let accuracy = report.labelledAccuracy, let labelled = report.labelled {
            text +=
                ", \(labelled.metric) \(DecimalText.fixed(accuracy * 100, digits: 2))% on \(labelled.samples) labelled (original \(DecimalText.fixed(labelled.referenceAccuracy * 100, digits: 2))%)"
        } else if let score = report.score {
            text += ", \(report.metric.rawValue) \(DecimalText.fixed(score * 100, digits: 2))%"
            // With --confidence the tolerance was checked at the interval's low end: show it.
            if let level = report.confidence, let low = report.scoreInterval?.low {
                text +=
                    " (at least \(DecimalText.fixed(low * 100, digits: 2))% at confidence \(DecimalText.fixed(level, digits: 2)))"
            }
        }
        text += ", \(DecimalText.fixed(report.seconds, digits: 1)) s\n"
        if let dataFile {
            text +=
                "note: over protobuf's 2 GiB: the weights are in \(dataFile) beside the model (keep the two together)\n"
        }
        for note in report.notes { text += "note: \(note)\n" }
        Terminal.write(text)
        return .success
    }
}
