import GSCore
import GSSpec

/// `gsctl schema`: the spec language as JSON Schema, for editors and other checkers.
enum SchemaCommand {
    static let spec = CommandSpec(
        name: "schema",
        summary: "print the JSON Schema of the spec language (for editors' YAML completion)",
        discussion: """
            Save it and point the YAML language server at it with a first line such as
            `# yaml-language-server: $schema=gsctl.schema.json`.
            """,
        options: [
            .value(
                "format", short: "f", "FORMAT", "JSON Schema, or the field reference in Markdown",
                allowed: ["json", "markdown"]),
            .value("out", short: "o", "FILE", "write to FILE instead of standard output"),
        ],
        run: { arguments in
            let text =
                arguments.value("format") == "markdown"
                ? MarkdownReference.document() : JSONSchemaExport.document().pretty
            try Output.emit(text, to: arguments.value("out"))
            return .success
        })
}
