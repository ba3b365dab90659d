import GSCore

/// One option of a command: `--format json`, `--strict`, `-o FILE`.
struct OptionSpec: Sendable {
    var long: String
    var short: Character?
    /// Name of the value in help (`FORMAT`); nil for a flag.
    var value: String?
    var help: String
    /// Allowed values, checked while parsing so typos get a suggestion.
    var allowed: [String]?
    var repeatable = false

    static func flag(_ long: String, short: Character? = nil, _ help: String) -> OptionSpec {
        OptionSpec(long: long, short: short, value: nil, help: help)
    }

    static func value(
        _ long: String, short: Character? = nil, _ value: String, _ help: String, allowed: [String]? = nil,
        repeatable: Bool = false
    ) -> OptionSpec {
        OptionSpec(long: long, short: short, value: value, help: help, allowed: allowed, repeatable: repeatable)
    }
}

/// A positional argument.
struct ArgumentSpec: Sendable {
    var name: String
    var help: String
    var variadic = false
    var optional = true
}

/// A command of the table: its name, what it takes, and the function that runs it.
struct CommandSpec: Sendable {
    var name: String
    var summary: String
    var discussion: String = ""
    var arguments: [ArgumentSpec] = []
    var options: [OptionSpec] = []
    var run: @Sendable (ParsedArguments) throws -> ExitCode

    var allOptions: [OptionSpec] { options + [.flag("help", short: "h", "show this help")] }
}

/// What the parser found.
struct ParsedArguments: Sendable {
    var positionals: [String] = []
    var values: [String: [String]] = [:]
    var flags: Set<String> = []

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
}

/// A mistake on the command line: exit 64, with the way out.
struct UsageError: Error {
    var message: String
    var hint: String?
}

/// The tokenizer and matcher: `--x=y`, `--x y`, `-x y`, `-abc` for short flags, `--` to end
/// options, flags before or after positionals, `-` as a positional (standard input).
enum ArgumentParser {
    static func parse(_ arguments: [String], for command: CommandSpec) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        let options = command.allOptions
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let token = arguments[index]
            index += 1
            if onlyPositionals || token == "-" || !token.hasPrefix("-") {
                parsed.positionals.append(token)
                continue
            }
            if token == "--" {
                onlyPositionals = true
                continue
            }
            var pending: [(OptionSpec, String, String?)] = []
            if token.hasPrefix("--") {
                let body = token.dropFirst(2)
                let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0])
                guard let option = options.first(where: { $0.long == name }) else {
                    throw unknown("--\(name)", command)
                }
                pending.append((option, "--\(name)", parts.count > 1 ? String(parts[1]) : nil))
            } else {
                // -abc: short flags; the last may take a value (-o FILE or -oFILE).
                var letters = Substring(token.dropFirst())
                while let letter = letters.first {
                    letters = letters.dropFirst()
                    guard let option = options.first(where: { $0.short == letter }) else {
                        throw unknown("-\(letter)", command)
                    }
                    if option.value != nil, !letters.isEmpty {
                        pending.append((option, "-\(letter)", String(letters)))
                        letters = ""
                    } else {
                        pending.append((option, "-\(letter)", nil))
                    }
                }
            }
            for (option, spelled, inline) in pending {
                guard let valueName = option.value else {
                    if inline != nil {
                        throw UsageError(message: "`\(spelled)` takes no value", hint: "write `\(spelled)` alone")
                    }
                    parsed.flags.insert(option.long)
                    continue
                }
                var value = inline
                if value == nil {
                    guard index < arguments.count else {
                        throw UsageError(
                            message: "`\(spelled)` needs a value (\(valueName))",
                            hint: option.allowed.map { "one of: \($0.joined(separator: ", "))" })
                    }
                    value = arguments[index]
                    index += 1
                }
                guard let value else { continue }
                if let allowed = option.allowed, !allowed.contains(value) {
                    let nearest = Suggest.nearest(to: value, in: allowed)
                    throw UsageError(
                        message: "`\(spelled)` cannot be `\(value)`",
                        hint: (nearest.map { "did you mean `\($0)`? " } ?? "")
                            + "one of: \(allowed.joined(separator: ", "))")
                }
                if !option.repeatable, parsed.values[option.long] != nil {
                    throw UsageError(message: "`\(spelled)` given twice", hint: "give it once")
                }
                parsed.values[option.long, default: []].append(value)
            }
        }
        if parsed.flag("help") { return parsed }
        let required = command.arguments.filter { !$0.optional }
        if parsed.positionals.count < required.count {
            let missing = required[parsed.positionals.count]
            throw UsageError(message: "missing \(missing.name)", hint: "run `gsctl \(command.name) --help`")
        }
        if !command.arguments.contains(where: \.variadic), parsed.positionals.count > command.arguments.count {
            throw UsageError(
                message: "unexpected argument `\(parsed.positionals[command.arguments.count])`",
                hint: "run `gsctl \(command.name) --help`")
        }
        return parsed
    }

    static func unknown(_ spelled: String, _ command: CommandSpec) -> UsageError {
        let names = command.allOptions.map { "--\($0.long)" }
        let nearest = Suggest.nearest(to: spelled, in: names)
        return UsageError(
            message: "unknown option `\(spelled)` for `gsctl \(command.name)`",
            hint: nearest.map { "did you mean `\($0)`?" } ?? "run `gsctl \(command.name) --help`")
    }
}
