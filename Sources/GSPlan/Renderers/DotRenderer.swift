import GSSpec

/// Graphviz: one cluster per workflow, tasks left to right, edges from what is needed to
/// what needs it.
enum DotRenderer {
    static func render(_ plan: Plan) -> String {
        var out =
            "digraph plan {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", fontname=\"Helvetica\"];\n"
        for (number, workflow) in plan.workflows.enumerated() {
            out += "  subgraph cluster_\(number) {\n    label=\(quote("workflow " + workflow.name));\n"
            for level in workflow.levels {
                for task in level {
                    var label = "\(task.name)\\n\(task.uses)"
                    if let model = task.model { label += " · \(escape(model))" }
                    out += "    \(quote(workflow.name + "/" + task.name)) [label=\"\(escape(label))\"];\n"
                }
            }
            for level in workflow.levels {
                for task in level {
                    for need in task.needs {
                        out +=
                            "    \(quote(workflow.name + "/" + need)) -> \(quote(workflow.name + "/" + task.name));\n"
                    }
                }
            }
            out += "  }\n"
        }
        out += "}\n"
        return out
    }

    static func quote(_ text: String) -> String { "\"\(escape(text))\"" }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "\"" {
                out += "\\\""
            } else if character == "\n" {
                out += "\\n"
            } else {
                out.append(character)
            }
        }
        return out
    }
}
