import GSCore

/// Help text generated from the command table, so it can never drift from the parser.
enum Help {
    static func command(_ command: CommandSpec) -> String {
        var usage = "gsctl \(command.name)"
        if !command.options.isEmpty { usage += " [OPTIONS]" }
        for argument in command.arguments {
            var word = argument.name + (argument.variadic ? "..." : "")
            if argument.optional { word = "[\(word)]" }
            usage += " " + word
        }
        var out = "\(command.summary)\n\nusage: \(usage)\n"
        if !command.discussion.isEmpty { out += "\n\(command.discussion)\n" }
        if !command.arguments.isEmpty {
            out += "\narguments:\n"
            for argument in command.arguments {
                out += pad("  \(argument.name)", 26) + argument.help + "\n"
            }
        }
        out += "\noptions:\n"
        for option in command.allOptions {
            var left = "  "
            left += option.short.map { "-\($0), " } ?? "    "
            left += "--\(option.long)"
            if let value = option.value { left += " \(value)" }
            var help = option.help
            if let allowed = option.allowed { help += " (\(allowed.joined(separator: "|")))" }
            out += pad(left, 26) + help + "\n"
        }
        return out
    }

    static func overview(_ commands: [CommandSpec]) -> String {
        var out = """
            gsctl: edge-AI services from YAML specs in git to optimized models running on edge devices

            usage: gsctl COMMAND [OPTIONS] [ARGUMENTS]

            commands:

            """
        for command in commands { out += pad("  \(command.name)", 16) + command.summary + "\n" }
        out += "\nRun `gsctl COMMAND --help` for a command's options.\n\nexit codes:\n"
        for code in ExitCode.allCases { out += pad("  \(code.rawValue)", 8) + code.meaning + "\n" }
        return out
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + "  " : text + String(repeating: " ", count: width - text.count)
    }
}
