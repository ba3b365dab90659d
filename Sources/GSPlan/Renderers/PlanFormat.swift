import GSCore

/// The output formats of `gsctl plan`.
public enum PlanFormat: String, CaseIterable, Sendable {
    case text, json, dot, mermaid, html

    public func render(_ plan: Plan, color: Bool = false) -> String {
        switch self {
        case .text: TextPlanRenderer(color: color).render(plan)
        case .json: PlanJSON.encode(plan).pretty
        case .dot: DotRenderer.render(plan)
        case .mermaid: MermaidRenderer.render(plan)
        case .html: HTMLPlanRenderer.render(plan)
        }
    }
}
