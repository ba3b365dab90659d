import GSCore

/// Placeholder until the Graph and Tree views land: the JSON plan in a page.
enum HTMLPlanRenderer {
    static func render(_ plan: Plan) -> String {
        "<!doctype html><meta charset=utf-8><title>gsctl plan</title><pre>\(PlanJSON.encode(plan).pretty)</pre>\n"
    }
}
