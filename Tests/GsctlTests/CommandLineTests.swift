import Foundation
import Testing

/// The command line as users and CI jobs meet it: exit codes, messages, suggestions.
@Suite struct CommandLineTests {
    static let device = """
        apiVersion: gs.ai/v1
        kind: Device
        metadata: {name: cpu-box}
        spec:
          arch: x86_64
          runtimes: [{name: onnxruntime, version: "1.20.1", format: onnx, precisions: [fp32]}]

        """

    @Test func versionAndHelp() throws {
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.out.hasPrefix("gsctl "))
        let help = try CLI.run(["help"])
        #expect(help.status == 0)
        #expect(help.out.contains("lint") && help.out.contains("plan") && help.out.contains("64"))
    }

    @Test func noArgumentsIsAUsageError() throws {
        let run = try CLI.run([])
        #expect(run.status == 64)
        #expect(run.err.contains("usage: gsctl COMMAND"))
    }

    @Test func unknownCommandSuggestsTheNearest() throws {
        let run = try CLI.run(["lnt"])
        #expect(run.status == 64)
        #expect(run.err == "error: unknown command `lnt`\nhint: did you mean `gsctl lint`?\n")
    }

    @Test func unknownFlagSuggestsTheNearest() throws {
        let run = try CLI.run(["lint", "--formt", "json"])
        #expect(run.status == 64)
        #expect(run.err.contains("unknown option `--formt`"))
        #expect(run.err.contains("did you mean `--format`?"))
    }

    @Test func badValueListsTheAllowedOnes() throws {
        let run = try CLI.run(["plan", "--format", "svg"])
        #expect(run.status == 64)
        #expect(run.err.contains("one of: text, json, dot, mermaid, html"))
        let missing = try CLI.run(["lint", "--format"])
        #expect(missing.status == 64)
        #expect(missing.err.contains("needs a value"))
    }

    @Test(arguments: [("--score-threshold", "1.5"), ("--score-margin", "-0.1")])
    func modelOptimizeRefusesAScoreOptionOutsideZeroToOne(option: String, value: String) throws {
        let out = CLI.temporaryDirectory() + "/cls.onnx"
        let run = try CLI.run([
            "model", "optimize", CLI.root + "/Specs/models/ppocr_cls.onnx", "--precision", "fp16", "--out", out,
            option, value,
        ])
        #expect(run.status == 64)
        #expect(run.err.contains("`\(option)` must be a number from 0 to 1, not `\(value)`"), "\(run.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func modelOptimizeRefusesFloat16InterfaceForOtherPrecisions() throws {
        let out = CLI.temporaryDirectory() + "/cls.onnx"
        let run = try CLI.run([
            "model", "optimize", CLI.root + "/Specs/models/ppocr_cls.onnx", "--precision", "int8", "--out", out,
            "--fp16-io",
        ])
        #expect(run.status == 64)
        #expect(run.err.contains("`--fp16-io` is for `--precision fp16`, not `int8`"), "\(run.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// `model optimize --metric top1` scores on the text lines' labels, as `gsctl build` does
    /// for a Model with `metric: top1`; without labels it says what it needs.
    @Test func modelOptimizeScoresOnLabelsWhereTheDataHasThem() throws {
        let out = CLI.temporaryDirectory() + "/cls.onnx"
        let common = [
            "model", "optimize", CLI.root + "/Specs/models/ppocr_cls.onnx", "--precision", "fp16", "--out", out,
            "--shape", "x=1x3x48x192", "--preprocess",
            "size=192x48;scale=0.00392156862745098;mean=0.5,0.5,0.5;std=0.5,0.5,0.5;bgr;nchw",
        ]
        let run = try CLI.run(common + ["--calib", CLI.root + "/Specs/data/text-lines", "--metric", "top1"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("top1-accuracy") && run.out.contains("labelled (original"), "\(run.out)")
        let unlabelled = try CLI.run(
            common + ["--calib", CLI.root + "/Specs/data/vtest-frames", "--metric", "char-accuracy"])
        #expect(unlabelled.status == 1)
        #expect(unlabelled.err.contains("`--metric char-accuracy` needs labelled evaluation data"), "\(unlabelled.err)")
    }

    /// `--eval` naming the calibration folder (spelled differently) scores on the same
    /// held-out split as `--calib` alone, never on the calibration samples themselves.
    @Test func modelOptimizeNeverEvaluatesOnItsCalibrationSamples() throws {
        let directory = CLI.temporaryDirectory()
        let lines = CLI.root + "/Specs/data/text-lines"
        func evaluated(_ extra: [String]) throws -> Int {
            let report = directory + "/report-\(extra.count).json"
            let run = try CLI.run(
                [
                    "model", "optimize", CLI.root + "/Specs/models/ppocr_cls.onnx", "--precision", "fp16",
                    "--out", directory + "/cls.onnx", "--report", report, "--shape", "x=1x3x48x192", "--preprocess",
                    "size=192x48;scale=0.00392156862745098;mean=0.5,0.5,0.5;std=0.5,0.5,0.5;bgr;nchw", "--calib", lines,
                ] + extra)
            #expect(run.status == 0, "\(run.err)")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report)))
            return ((object as? [String: Any])?["evaluationSamples"] as? Int) ?? -1
        }
        let images = try FileManager.default.contentsOfDirectory(atPath: lines).filter { $0.hasSuffix(".png") }.count
        let split = try evaluated([])
        #expect(split > 0 && split < images, "\(split) of \(images)")
        #expect(try evaluated(["--eval", CLI.root + "/Specs/data/../data/text-lines/"]) == split)
    }

    /// A variant that misses its tolerance exits 1 without a model, naming the most damaged
    /// tensors, and `--report` still gets what was measured.
    @Test func modelOptimizeWritesTheReportOfAMiss() throws {
        let directory = CLI.temporaryDirectory()
        let report = directory + "/miss.json"
        let run = try CLI.run([
            "model", "optimize", CLI.root + "/Specs/models/ppocr_cls.onnx", "--precision", "int8",
            "--out", directory + "/cls.onnx", "--report", report, "--shape", "x=1x3x48x192", "--preprocess",
            "size=192x48;scale=0.00392156862745098;mean=0.5,0.5,0.5;std=0.5,0.5,0.5;bgr;nchw",
            "--calib", CLI.root + "/Specs/data/text-lines", "--metric", "output-error", "--tolerance", "0.0001",
        ])
        #expect(run.status == 1, "\(run.out)\(run.err)")
        #expect(run.err.contains("most damaged: ") && run.err.contains("(report: \(report))"), "\(run.err)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/cls.onnx"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report)))
        let fields = try #require(object as? [String: Any])
        #expect(fields["met"] as? Bool == false)
        #expect(!((fields["damaged"] as? [String]) ?? []).isEmpty, "\(fields)")
    }

    /// `--confidence C` checks the tolerance at the low end of the score's interval, says
    /// so on the result line and in the report; a level outside 0.5-0.999 is a usage error.
    @Test func modelOptimizeChecksTheToleranceAtAConfidence() throws {
        let directory = CLI.temporaryDirectory()
        let common = [
            "model", "optimize", CLI.root + "/Specs/models/ppocr_cls.onnx", "--precision", "fp16",
            "--out", directory + "/cls.onnx", "--report", directory + "/cls.json", "--shape", "x=1x3x48x192",
            "--preprocess", "size=192x48;scale=0.00392156862745098;mean=0.5,0.5,0.5;std=0.5,0.5,0.5;bgr;nchw",
            "--calib", CLI.root + "/Specs/data/text-lines", "--metric", "top1-agreement",
        ]
        let run = try CLI.run(common + ["--confidence", "0.95"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("% at confidence 0.95)"), "\(run.out)")
        let object = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/cls.json")))
        #expect((object as? [String: Any])?["confidence"] as? Double == 0.95)
        let wrong = try CLI.run(common + ["--confidence", "95"])
        #expect(wrong.status == 64)
        #expect(wrong.err.contains("0.5 to 0.999"), "\(wrong.err)")
    }

    /// `--quantization dynamic` quantizes the recognizer's MatMul weights with no calibration
    /// data; a mode it does not know is a usage error naming the choices.
    @Test func modelOptimizeQuantizesDynamicallyWithoutCalibration() throws {
        let out = CLI.temporaryDirectory() + "/rec.onnx"
        let common = [
            "model", "optimize", CLI.root + "/Specs/models/ppocrv4_rec.onnx", "--precision", "int8", "--out", out,
            "--shape", "x=1x3x48x320", "--metric", "ctc-agreement", "--tolerance", "0.05",
        ]
        let run = try CLI.run(common + ["--quantization", "dynamic"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("dynamic int8: 9 of 9 MatMul/Gemm node(s) quantized"), "\(run.out)\(run.err)")
        let inspect = try CLI.run(["model", "inspect", out])
        #expect(inspect.out.contains("MatMulInteger"), "\(inspect.out)")
        let wrong = try CLI.run(common + ["--quantization", "fast"])
        #expect(wrong.status == 64)
        #expect(wrong.err.contains("dynamic") && wrong.err.contains("weight-only"), "\(wrong.err)")
    }

    @Test func flagsBeforeOrAfterArgumentsAndEqualsForm() throws {
        let directory = CLI.temporaryDirectory()
        try Data(Self.device.utf8).write(to: URL(fileURLWithPath: directory + "/d.yaml"))
        for arguments in [
            ["lint", directory, "--format", "json"], ["lint", "--format=json", directory],
            ["lint", "-f", "json", directory],
        ] {
            let run = try CLI.run(arguments)
            #expect(run.status == 0, "\(arguments): \(run.err)")
            #expect(run.out.contains("\"ok\": true"))
        }
    }

    @Test func lintExitCodes() throws {
        let directory = CLI.temporaryDirectory()
        try Data(Self.device.utf8).write(to: URL(fileURLWithPath: directory + "/clean.yaml"))
        #expect(try CLI.run(["lint", directory]).status == 0)
        // A warning passes, and fails with --strict.
        try Data(Self.device.replacingOccurrences(of: "name: cpu-box}", with: "name: cpu-box, labels: {eu: no}}").utf8)
            .write(to: URL(fileURLWithPath: directory + "/clean.yaml"))
        #expect(try CLI.run(["lint", directory]).status == 0)
        let strict = try CLI.run(["lint", "--strict", directory])
        #expect(strict.status == 1)
        #expect(strict.out.contains("warning[GS207]"))
        try Data("apiVersion: gs.ai/v1\nkind: Device\n".utf8).write(
            to: URL(fileURLWithPath: directory + "/broken.yaml"))
        let broken = try CLI.run(["lint", directory])
        #expect(broken.status == 1)
        #expect(broken.out.contains("broken.yaml:1:1: error[GS206]"))
    }

    @Test func dashReadsStandardInput() throws {
        let run = try CLI.run(
            ["lint", "-", "--no-files"], stdin: Self.device.replacingOccurrences(of: "x86_64", with: "x86-64"))
        #expect(run.status == 1)
        #expect(run.out.contains("<stdin>:5:9: error[GS204]"))
    }

    @Test func githubFormatForPullRequests() throws {
        let directory = CLI.temporaryDirectory()
        try Data("apiVersion: gs.ai/v1\nkind: Devise\nmetadata: {name: x}\nspec: {}\n".utf8)
            .write(to: URL(fileURLWithPath: directory + "/a.yaml"))
        let run = try CLI.run(["lint", "--format", "github", directory])
        #expect(run.status == 1)
        #expect(
            run.out.hasPrefix(
                "::error file=\(directory)/a.yaml,line=2,col=7,title=GS201 missing or unknown kind::unknown kind `Devise`%0Ahint: did you mean `Device`?"
            ))
    }

    @Test func planRefusesSpecsWithErrors() throws {
        let directory = CLI.temporaryDirectory()
        try Data(
            "apiVersion: gs.ai/v1\nkind: Host\nmetadata: {name: h}\nspec: {device: nowhere, transport: local, root: /tmp}\n"
                .utf8
        )
        .write(to: URL(fileURLWithPath: directory + "/h.yaml"))
        let run = try CLI.run(["plan", directory])
        #expect(run.status == 1)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("h.yaml:4:16: error[GS301]: no Device named `nowhere`"))
        #expect(run.err.contains("fix them before planning"))
    }

    @Test func planWritesItsOutputAtomically() throws {
        let directory = CLI.temporaryDirectory()
        let out = directory + "/plan.json"
        let run = try CLI.run([
            "plan", CLI.root + "/Specs", "--format", "json", "--out", out, "--only", "crowd-density-demo",
        ])
        #expect(run.status == 0, "\(run.err)")
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any]
        #expect((plan?["deployments"] as? [[String: Any]])?.map { $0["name"] as? String } == ["crowd-density-demo"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["plan.json"])
        let unknown = try CLI.run(["plan", CLI.root + "/Specs", "--only", "crowd-density-dmo"])
        #expect(unknown.status == 1)
        #expect(unknown.err.contains("did you mean `crowd-density-demo`?"))
    }

    /// `gsctl build --only` with a name no Deployment has fails before building anything
    /// (it used to build nothing and succeed).
    @Test func buildRefusesAnUnknownDeployment() throws {
        let out = CLI.temporaryDirectory() + "/Bundles"
        let run = try CLI.run(["build", CLI.root + "/Specs", "--out", out, "--only", "ocr-servce"])
        #expect(run.status == 1, "\(run.out)\(run.err)")
        #expect(run.err.contains("no deployment named `ocr-servce`"), "\(run.err)")
        #expect(run.err.contains("did you mean `ocr-service`?"), "\(run.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func schemaIsTheCommittedOne() throws {
        let run = try CLI.run(["schema"])
        #expect(run.status == 0)
        #expect(run.out == (try String(contentsOfFile: CLI.root + "/docs/gsctl.schema.json", encoding: .utf8)))
    }

    @Test func noColourWithoutATerminal() throws {
        let run = try CLI.run(["lint", CLI.root + "/Specs", "--no-files"])
        #expect(!run.out.contains("\u{1B}["))
    }

    /// Help text is part of the interface: snapshot it. Regenerate with GSCTL_UPDATE_GOLDEN=1.
    @Test(arguments: ["help", "lint", "plan", "schema"])
    func helpSnapshots(command: String) throws {
        let run = try CLI.run(command == "help" ? ["help"] : [command, "--help"])
        #expect(run.status == 0)
        let path = CLI.root + "/Tests/GsctlTests/Golden/help-\(command).txt"
        if ProcessInfo.processInfo.environment["GSCTL_UPDATE_GOLDEN"] == "1" {
            try Data(run.out.utf8).write(to: URL(fileURLWithPath: path))
        }
        #expect(run.out == (try String(contentsOfFile: path, encoding: .utf8)))
    }
}
