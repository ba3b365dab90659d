import GSCore
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
            run: inspect)
    ]

    /// The entry of the command table.
    static let spec = CommandSpec(
        name: "model",
        summary: "inspect ONNX models",
        discussion: """
            subcommands:
            \(subcommands.map { "  \($0.name)  \($0.summary)" }.joined(separator: "\n"))

            `gsctl model inspect MODEL` reads the file with gsctl's own ONNX reader (external data
            is not loaded; its size comes from the references). Exit 1 when the file is not a valid
            ONNX model, with the byte offset where reading failed.
            """,
        arguments: [
            ArgumentSpec(name: "SUBCOMMAND", help: "inspect", optional: false),
            ArgumentSpec(name: "MODEL", help: "an .onnx file", optional: false),
        ],
        options: [
            .value("format", short: "f", "FORMAT", "output format", allowed: ["text", "json"])
        ],
        run: run)

    /// Finds the subcommand and runs it.
    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
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
        Terminal.write(arguments.value("format") == "json" ? summary.json.pretty : summary.text)
        return .success
    }
}
