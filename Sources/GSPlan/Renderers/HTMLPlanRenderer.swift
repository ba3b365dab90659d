import GSCore

/// `gsctl plan --format html`: one self-contained page (inline style and script, no network)
/// with the plan's two views, the Graph view (task DAGs) and the Tree view (what lands on
/// which host, how it rolls out, what gets built). The same plan gives the same bytes: no
/// clock, no randomness, every list in the plan's sorted order.
enum HTMLPlanRenderer {
    /// The whole page.
    static func render(_ plan: Plan) -> String {
        var out = "<!doctype html>\n<html lang=\"en\" data-view=\"graph\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta name=\"generator\" content=\"gsctl \(HTMLEscape.text(GSVersion.current))\">\n"
        out += "<title>gsctl plan · \(count(plan.deployments.count, "deployment"))</title>\n"
        out += "<style>\n\(HTMLAssets.css)</style>\n"
        // Before the first paint, so the page never flashes its script-less layout.
        out += "<script>document.documentElement.classList.add('js')</script>\n</head>\n<body>\n"
        out += header(plan)
        out +=
            "<nav class=\"tabs\" aria-label=\"views\"><a class=\"tab on\" href=\"#graph-view\" data-view=\"graph\">Graph</a>"
        out += "<a class=\"tab\" href=\"#tree-view\" data-view=\"tree\">Tree</a></nav>\n<main>\n"
        out += HTMLGraphView.render(plan)
        out += HTMLTreeView.render(plan)
        out += "</main>\n<script>\n\(HTMLAssets.script)</script>\n</body>\n</html>\n"
        return out
    }

    /// The plan at a glance: the counts `gsctl plan` prints, and the version that planned it.
    static func header(_ plan: Plan) -> String {
        let stats = [
            (plan.deployments.count, "deployment"), (plan.workflows.count, "workflow"),
            (plan.workflows.reduce(0) { $0 + $1.taskCount }, "task"), (plan.steps.count, "optimize step"),
            (plan.bundles.count, "bundle"), (plan.hostCount, "host"),
        ]
        var out = "<header class=\"top\">\n<div class=\"brand\">gsctl <span>plan</span></div>\n<ul class=\"summary\">"
        for (number, noun) in stats {
            out += "<li class=\"stat\"><b>\(number)</b> \(noun)\(number == 1 ? "" : "s")</li>"
        }
        out += "</ul>\n<div class=\"version\">gsctl \(HTMLEscape.text(GSVersion.current))</div>\n</header>\n"
        return out
    }

    /// `1 host`, `5 hosts`: the page's counts read as words.
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
