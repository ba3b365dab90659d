import GSSpec

/// The Graph view of the HTML page: each workflow's task DAG as static SVG, left to right by
/// level, nodes coloured by task kind and labelled with the model and the precisions the
/// plan ships it at. The layout is computed here (see `GraphLayout`), so the page shows the
/// graph without script; the page's script only adds zoom, pan and search on top.
enum HTMLGraphView {
    /// Label metrics in CSS pixels, estimated for DejaVu Sans (wide), so real fonts fit.
    enum Metrics {
        /// Text starts this far inside a node.
        static let padding = 12.0
        /// Average advance of a bold 14 px name character.
        static let nameAdvance = 8.9
        /// Average advance of a 12 px kind-line character.
        static let kindAdvance = 7.4
        /// Advance of a 12 px monospace character (the model line).
        static let monoAdvance = 7.3
        /// Narrowest and widest node; longer labels are cut with an ellipsis.
        static let minWidth = 150.0
        /// Widest node.
        static let maxWidth = 360.0
        /// Node height with two lines (name, kind).
        static let shortHeight = 48.0
        /// Node height with the model line.
        static let tallHeight = 66.0
    }

    /// The `<section>` with the workflow switcher, the zoom and find tools and one SVG per
    /// workflow (all shown one after the other without script).
    static func render(_ plan: Plan) -> String {
        var out = "<section id=\"graph-view\" class=\"view graph-view\" aria-label=\"Graph view\">\n"
        out += "<div class=\"toolbar\">\n<div class=\"wf-tabs\" role=\"tablist\" aria-label=\"workflows\">"
        for (index, workflow) in plan.workflows.enumerated() {
            out += "<a class=\"wf-tab\" role=\"tab\" href=\"#wf-\(index)\" data-wf=\"\(index)\">"
            out += "\(HTMLEscape.text(workflow.name)) <span class=\"count\">\(workflow.taskCount)</span></a>"
        }
        out += "</div>\n<div class=\"tools\">"
        out +=
            "<input id=\"find\" type=\"search\" placeholder=\"find a task…\" aria-label=\"find a task\" autocomplete=\"off\">"
        out += "<span id=\"find-count\" class=\"find-count\" aria-live=\"polite\"></span>"
        out += "<button type=\"button\" data-zoom=\"out\" title=\"zoom out\">−</button>"
        out += "<button type=\"button\" data-zoom=\"in\" title=\"zoom in\">+</button>"
        out += "<button type=\"button\" data-zoom=\"fit\" title=\"fit the workflow in the window\">Fit</button>"
        out += "<button type=\"button\" data-zoom=\"one\" title=\"actual size\">1:1</button>"
        out += "</div>\n</div>\n" + legend() + "\n"
        if plan.workflows.isEmpty {
            out += "<p class=\"empty\">No workflow is planned: no deployment resolved to a workflow.</p>\n"
        }
        let precisions = modelPrecisions(plan)
        for (index, workflow) in plan.workflows.enumerated() {
            let deployments = plan.deployments.filter { $0.workflow == workflow.name }.map(\.name)
            out += section(
                workflow, index: index, precisions: precisions[workflow.name] ?? [:], deployments: deployments)
        }
        return out + "</section>\n"
    }

    /// The kinds and their colours, so the colour code needs no guessing.
    static func legend() -> String {
        var out = "<div class=\"legend\" aria-label=\"task kinds\">"
        for kind in HTMLPalette.kinds {
            out += "<span class=\"kind-chip\" style=\"background:\(kind.fill);border-color:\(kind.accent)\">"
            out += "<i style=\"background:\(kind.accent)\"></i>\(kind.name)</span>"
        }
        return out + "<span class=\"hint\">drag to pan · wheel to zoom · click a task to follow its edges</span></div>"
    }

    /// One workflow: a heading with its description and deployments, then its drawing.
    static func section(
        _ workflow: WorkflowPlan, index: Int, precisions: [String: String], deployments: [String]
    ) -> String {
        var out =
            "<article class=\"workflow\" id=\"wf-\(index)\" data-wf=\"\(index)\" data-name=\"\(HTMLEscape.text(workflow.name))\">\n"
        out +=
            "<header class=\"wf-head\"><h2>workflow <span class=\"name\">\(HTMLEscape.text(workflow.name))</span></h2>"
        if let description = workflow.description, !description.isEmpty {
            out += "<p class=\"desc\">\(HTMLEscape.text(description))</p>"
        }
        var meta =
            "\(HTMLPlanRenderer.count(workflow.taskCount, "task")) in \(HTMLPlanRenderer.count(workflow.levels.count, "level"))"
        if !deployments.isEmpty {
            meta += " · deployed by " + deployments.map { "<b>\(HTMLEscape.text($0))</b>" }.joined(separator: ", ")
        }
        out += "<p class=\"meta\">\(meta)</p></header>\n"
        out +=
            "<div class=\"canvas\" tabindex=\"0\">\n" + svg(workflow, index: index, precisions: precisions) + "</div>\n"
        return out + "</article>\n"
    }

    /// What one node says: its lines (already cut to fit) and its tooltip.
    struct NodeLabel: Sendable, Hashable {
        /// The task name.
        var name: String
        /// The kind, then the mode when it is not the usual `service`, then the port.
        var kind: String
        /// Extra words after the kind, drawn in grey.
        var detail: String
        /// The model name, when the task runs one.
        var model: String?
        /// The precisions the model ships at, when any deployment runs the workflow.
        var precision: String?
        /// Everything above, uncut, plus the task's needs and output.
        var title: String
    }

    /// The label of one task.
    static func label(_ task: PlannedTask, precisions: [String: String]) -> NodeLabel {
        var details: [String] = []
        if task.mode != "service" { details.append(task.mode) }
        if let port = task.port { details.append(":\(port)") }
        var title = "\(task.name)\nuses \(task.uses) · \(task.mode)"
        if !task.needs.isEmpty { title += "\nneeds \(task.needs.joined(separator: ", "))" }
        let precision = task.model.flatMap { precisions[$0] }
        if let model = task.model { title += "\nmodel \(model)" + (precision.map { " · \($0)" } ?? "") }
        if let port = task.port { title += "\nport \(port)" }
        title += "\noutput \(task.output)"
        return NodeLabel(
            name: task.name, kind: task.uses, detail: details.isEmpty ? "" : " · " + details.joined(separator: " · "),
            model: task.model, precision: precision, title: title)
    }

    /// The room a label needs, before columns even out their widths.
    static func size(_ label: NodeLabel) -> GraphLayout.Size {
        let name = Double(label.name.count) * Metrics.nameAdvance
        let kind = Double(label.kind.count + label.detail.count) * Metrics.kindAdvance + 14
        var model = 0.0
        if let text = label.model {
            model = Double(text.count + (label.precision.map { $0.count + 3 } ?? 0)) * Metrics.monoAdvance
        }
        let width = min(max(max(name, kind, model) + 2 * Metrics.padding, Metrics.minWidth), Metrics.maxWidth)
        return GraphLayout.Size(
            width: width.rounded(.up), height: label.model == nil ? Metrics.shortHeight : Metrics.tallHeight)
    }

    /// The static SVG of one workflow: level lanes with captions, edges, nodes.
    static func svg(_ workflow: WorkflowPlan, index: Int, precisions: [String: String]) -> String {
        let tasks = workflow.levels.flatMap { $0 }
        var numbers: [String: Int] = [:]
        for (number, task) in tasks.enumerated() where numbers[task.name] == nil { numbers[task.name] = number }
        var levels: [[Int]] = []
        var levelOf: [Int] = []
        for (number, level) in workflow.levels.enumerated() {
            levels.append(Array(levelOf.count..<(levelOf.count + level.count)))
            levelOf += Array(repeating: number, count: level.count)
        }
        let labels = tasks.map { label($0, precisions: precisions) }
        var sizes = labels.map(size)
        for level in levels {
            let widest = level.map { sizes[$0].width }.max() ?? Metrics.minWidth
            for node in level { sizes[node].width = widest }
        }
        var edges: [GraphLayout.Edge] = []
        for (number, task) in tasks.enumerated() {
            for need in task.needs {
                if let from = numbers[need] { edges.append(GraphLayout.Edge(from: from, to: number)) }
            }
        }
        let layout = GraphLayout(levels: levels, sizes: sizes, edges: edges)
        let width = format(layout.width)
        let height = format(layout.height)
        var out =
            "<svg class=\"graph\" id=\"svg-\(index)\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\""
        out += " data-w=\"\(width)\" data-h=\"\(height)\" role=\"img\""
        out += " aria-label=\"task graph of workflow \(HTMLEscape.text(workflow.name))\">\n"
        out += "<defs>" + marker("arrow-\(index)", color: "#8d96a5") + marker("arrow-on-\(index)", color: "#1f6feb")
        out += "</defs>\n<g id=\"content-\(index)\">\n<g class=\"lanes\">"
        for (number, column) in layout.columns.enumerated() {
            let count = levels.indices.contains(number) ? levels[number].count : 0
            out += "<rect x=\"\(format(column.x - 14))\" y=\"8\" width=\"\(format(column.width + 28))\""
            out += " height=\"\(format(layout.height - 16))\" rx=\"10\" fill=\"#f4f6f9\"/>"
            out +=
                "<text class=\"lane-caption\" x=\"\(format(column.x + column.width / 2))\" y=\"28\" text-anchor=\"middle\">"
            out += "level \(number)" + (count > 1 ? " · \(count) tasks" : "") + "</text>"
        }
        out += "</g>\n<g class=\"edges\">\n"
        for route in layout.routes {
            out +=
                "<path class=\"edge\" data-from=\"\(route.from)\" data-to=\"\(route.to)\" d=\"\(path(route.points))\""
            out += " fill=\"none\" stroke=\"#98a2b2\" stroke-width=\"1.4\" marker-end=\"url(#arrow-\(index))\"/>\n"
        }
        out += "</g>\n<g class=\"nodes\">\n"
        for (number, label) in labels.enumerated() {
            out += node(label, number: number, box: layout.boxes[number], level: levelOf[number])
        }
        return out + "</g>\n</g>\n</svg>\n"
    }

    /// An arrowhead; the page has one SVG per workflow, so ids carry the workflow's index.
    static func marker(_ id: String, color: String) -> String {
        "<marker id=\"\(id)\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\""
            + " markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,1 L10,5 L0,9 z\" fill=\"\(color)\"/></marker>"
    }

    /// One node: box in the kind's colours, name, kind line, model line, tooltip.
    static func node(_ label: NodeLabel, number: Int, box: GraphLayout.Box, level: Int) -> String {
        let kind = HTMLPalette.kind(label.kind)
        let inner = box.width - 2 * Metrics.padding
        var out = "<g class=\"node k-\(kind.name)\" data-i=\"\(number)\" data-name=\"\(HTMLEscape.text(label.name))\""
        out += " data-level=\"\(level)\" data-cx=\"\(format(box.x + box.width / 2))\" data-cy=\"\(format(box.midY))\""
        out += " transform=\"translate(\(format(box.x)),\(format(box.y)))\">"
        out += "<title>\(HTMLEscape.text(label.title))</title>"
        out += "<rect class=\"box\" width=\"\(format(box.width))\" height=\"\(format(box.height))\" rx=\"8\""
        out += " fill=\"\(kind.fill)\" stroke=\"\(kind.accent)\" stroke-width=\"1.2\"/>"
        let name = HTMLEscape.truncated(label.name, to: Int(inner / Metrics.nameAdvance))
        out += "<text class=\"name\" x=\"\(format(Metrics.padding))\" y=\"21\">\(HTMLEscape.text(name))</text>"
        out += "<circle cx=\"\(format(Metrics.padding + 4))\" cy=\"35\" r=\"4\" fill=\"\(kind.accent)\"/>"
        let kindText = HTMLEscape.truncated(label.kind + label.detail, to: Int((inner - 14) / Metrics.kindAdvance))
        let kindWord = String(kindText.prefix(label.kind.count))
        let detail = String(kindText.dropFirst(label.kind.count))
        out += "<text class=\"kind\" x=\"\(format(Metrics.padding + 14))\" y=\"39\" fill=\"\(kind.accent)\">"
        out += HTMLEscape.text(kindWord)
        if !detail.isEmpty { out += "<tspan class=\"detail\">\(HTMLEscape.text(detail))</tspan>" }
        out += "</text>"
        if let model = label.model {
            let room = Int(inner / Metrics.monoAdvance)
            out += "<text class=\"model\" x=\"\(format(Metrics.padding))\" y=\"57\">"
            if let precision = label.precision {
                let kept = HTMLEscape.truncated(model, to: max(room - precision.count - 3, 4))
                out += "\(HTMLEscape.text(kept))<tspan class=\"sep\"> · </tspan>"
                out +=
                    "<tspan class=\"prec\">\(HTMLEscape.text(HTMLEscape.truncated(precision, to: max(room - kept.count - 3, 4))))</tspan>"
            } else {
                out += HTMLEscape.text(HTMLEscape.truncated(model, to: room))
            }
            out += "</text>"
        }
        return out + "</g>\n"
    }

    /// An edge as SVG path data: a horizontal S-curve between columns and a straight run
    /// through every column it skips (its points alternate curve ends and run ends).
    static func path(_ points: [GraphLayout.Point]) -> String {
        guard let first = points.first else { return "" }
        var out = "M\(format(first.x)),\(format(first.y))"
        for (number, (a, b)) in zip(points, points.dropFirst()).enumerated() {
            if number % 2 == 1 {
                out += " L\(format(b.x)),\(format(b.y))"
            } else {
                let bend = max((b.x - a.x) / 2, 24)
                out +=
                    " C\(format(a.x + bend)),\(format(a.y)) \(format(b.x - bend)),\(format(b.y)) \(format(b.x)),\(format(b.y))"
            }
        }
        return out
    }

    /// For each workflow, each model's precisions over every target of every deployment
    /// that runs it: `fp16|int8-mixed`, with `auto` choices as `auto(fp16|fp32)` (the
    /// candidates its build steps make).
    static func modelPrecisions(_ plan: Plan) -> [String: [String: String]] {
        let bundles = Dictionary(plan.bundles.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let steps = Dictionary(plan.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var fixed: [String: [String: Set<String>]] = [:]
        var automatic: [String: [String: Set<String>]] = [:]
        for deployment in plan.deployments {
            for target in deployment.targets {
                for model in bundles[target.bundle]?.models ?? [] {
                    if model.precision == .auto {
                        let candidates = model.steps.compactMap { steps[$0]?.precision.rawValue }
                        automatic[deployment.workflow, default: [:]][model.model, default: []].formUnion(candidates)
                    } else {
                        fixed[deployment.workflow, default: [:]][model.model, default: []].insert(
                            model.precision.rawValue)
                    }
                }
            }
        }
        var result: [String: [String: String]] = [:]
        for workflow in Set(fixed.keys).union(automatic.keys) {
            let models = Set((fixed[workflow] ?? [:]).keys).union((automatic[workflow] ?? [:]).keys)
            for model in models {
                var parts = (fixed[workflow]?[model] ?? []).sorted()
                if let candidates = automatic[workflow]?[model] {
                    parts.append("auto(" + candidates.sorted().joined(separator: "|") + ")")
                }
                result[workflow, default: [:]][model] = parts.joined(separator: "|")
            }
        }
        return result
    }

    /// A coordinate as short, stable text: `12`, `12.5`.
    static func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        let whole = Int(tenths / 10)
        let rest = Int(abs(tenths.truncatingRemainder(dividingBy: 10)))
        if rest == 0 { return "\(whole)" }
        return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(rest)"
    }
}
