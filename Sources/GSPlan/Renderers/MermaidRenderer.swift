import GSSpec

/// Mermaid flowcharts (GitHub renders them in Markdown): one subgraph per workflow.
enum MermaidRenderer {
    static func render(_ plan: Plan) -> String {
        var out = "flowchart LR\n"
        for (w, workflow) in plan.workflows.enumerated() {
            out += "  subgraph w\(w)[\"workflow \(escape(workflow.name))\"]\n"
            var ids: [String: String] = [:]
            var next = 0
            for level in workflow.levels {
                for task in level {
                    let id = "w\(w)t\(next)"
                    next += 1
                    ids[task.name] = id
                    var label = "\(escape(task.name))<br/><small>\(task.uses)"
                    if let model = task.model { label += " · \(escape(model))" }
                    out += "    \(id)[\"\(label)</small>\"]\n"
                }
            }
            for level in workflow.levels {
                for task in level {
                    for need in task.needs {
                        if let from = ids[need], let to = ids[task.name] { out += "    \(from) --> \(to)\n" }
                    }
                }
            }
            out += "  end\n"
        }
        return out
    }

    /// Mermaid labels are quoted; quotes and angle brackets become entities.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\"": out += "#quot;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            default: out.append(character)
            }
        }
        return out
    }
}
