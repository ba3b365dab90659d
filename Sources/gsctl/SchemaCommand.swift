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
        options: [.value("out", short: "o", "FILE", "write to FILE instead of standard output")],
        run: { arguments in
            try Output.emit(JSONSchemaExport.document().pretty, to: arguments.value("out"))
            return .success
        })
}
