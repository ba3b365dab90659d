import Foundation
import GSCore
import GSSpec
import Testing

@testable import GSPlan

/// The HTML page as text: the same plan gives the same bytes, hostile text stays text, the
/// page reaches for nothing outside itself, and every task, host and build step is on it.
@Suite struct HTMLRendererTests {
    /// Every start tag `<g class="node ...">` of the page, in order.
    static func nodeTags(_ html: String) -> [Substring] {
        html.split(separator: "<g class=\"node ", omittingEmptySubsequences: false).dropFirst().map {
            $0.prefix { $0 != ">" }
        }
    }

    @Test func samePlanSameBytes() {
        let examples = HTMLTestPlans.examples()
        #expect(HTMLPlanRenderer.render(examples) == HTMLPlanRenderer.render(examples))
        // A plan built again from the same specs renders the same page too.
        #expect(HTMLPlanRenderer.render(examples) == HTMLPlanRenderer.render(HTMLTestPlans.examples()))
        let generated = HTMLTestPlans.generated()
        #expect(HTMLPlanRenderer.render(generated) == HTMLPlanRenderer.render(generated))
        #expect(PlanFormat.html.render(generated) == HTMLPlanRenderer.render(generated))
    }

    @Test func hostileTextIsEscapedEverywhere() {
        let html = HTMLPlanRenderer.render(HTMLTestPlans.hostile())
        // Only the page's own two scripts.
        #expect(html.components(separatedBy: "<script").count - 1 == 2)
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("w<b>"), "a name became markup")
        #expect(!html.contains("alert('x')"), "single quotes must be escaped (attributes may be single-quoted)")
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;quoted&quot;"
        #expect(html.contains("desc \(escaped)"), "workflow description")
        #expect(html.contains("/srv/\(escaped)"), "host address")
        #expect(html.contains("/models/\(escaped).onnx"), "model source path")
        #expect(html.contains("data-name=\"src\(escaped)\""), "task name in an attribute")
        #expect(html.contains("model\(escaped)"), "model name")
        #expect(html.contains("keys/\(escaped).pub"), "trusted key")
        // An unknown kind draws as `command` and never reaches a class name.
        #expect(html.contains("<g class=\"node k-command\" data-i=\"1\""))
    }

    @Test func hostileSpecTextIsEscapedThroughLoaderAndPlanner() throws {
        let file = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/html/hostile.yaml").path)
        let loaded = SpecLoader.load(paths: [file])
        let plan = Planner.plan(loaded.specs)
        #expect(plan.workflows.map(\.name) == ["inspect"])
        let html = HTMLPlanRenderer.render(plan)
        #expect(html.components(separatedBy: "<script").count - 1 == 2)
        #expect(
            html.contains("frames -&gt; &lt;script&gt;alert(&quot;desc&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"))
        #expect(html.contains("/srv/&lt;script&gt;alert(&#39;root&#39;)&lt;/script&gt;"))
        #expect(html.contains("&lt;b&gt;detector&lt;/b&gt;&amp;&#39;x&#39;.onnx"))
        #expect(!html.contains("<b>detector"))
    }

    @Test func escapeCoversTheFiveCharacters() {
        #expect(HTMLEscape.text("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&#39;f")
        #expect(HTMLEscape.text("plain-name_1 · ü") == "plain-name_1 · ü")
        #expect(HTMLEscape.truncated("abcdef", to: 4) == "abc…")
        #expect(HTMLEscape.truncated("abc", to: 4) == "abc")
    }

    @Test func pageReachesForNothingOutsideItself() {
        for plan in [HTMLTestPlans.examples(), HTMLTestPlans.generated(), HTMLTestPlans.hostile()] {
            let html = HTMLPlanRenderer.render(plan)
            let allowed = ["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml"]
            for scheme in ["http://", "https://"] {
                var rest = html[...]
                while let found = rest.range(of: scheme) {
                    let reference = html[found.lowerBound...].prefix { !"\"' )<".contains($0) }
                    #expect(allowed.contains(String(reference)), "external reference: \(reference)")
                    rest = html[found.upperBound...]
                }
            }
            #expect(!html.contains("<link"))
            #expect(!html.contains("@import"))
            #expect(!html.contains(" src=\""))
            #expect(!html.contains("//fonts"))
            // `url(` only for the page's own markers.
            #expect(
                html.components(separatedBy: "url(").dropFirst().allSatisfy { $0.hasPrefix("#") || $0.hasPrefix("'#") })
        }
    }

    @Test func everyTaskOfThePlanIsANode() {
        for plan in [HTMLTestPlans.examples(), HTMLTestPlans.generated()] {
            let html = HTMLPlanRenderer.render(plan)
            let tags = Self.nodeTags(html)
            let tasks = plan.workflows.flatMap { $0.levels.flatMap { $0 } }
            #expect(tags.count == tasks.count)
            for workflow in plan.workflows {
                for task in workflow.levels.flatMap({ $0 }) {
                    #expect(
                        html.contains("data-name=\"\(HTMLEscape.text(task.name))\""), "\(workflow.name)/\(task.name)")
                }
            }
            let needs = tasks.reduce(0) { $0 + $1.needs.count }
            #expect(html.components(separatedBy: "<path class=\"edge\"").count - 1 == needs)
        }
        #expect(HTMLTestPlans.generated().workflows.first?.taskCount == 200)
    }

    @Test func nodesShowModelAndThePrecisionsItShipsAt() {
        let html = HTMLPlanRenderer.render(HTMLTestPlans.examples())
        // crowd-density is `auto` on the demo host (its candidates include the field's fp16).
        #expect(
            html.contains(
                "person-detector<tspan class=\"sep\"> · </tspan><tspan class=\"prec\">auto(fp16|fp32|int8-mixed)</tspan>"
            ))
        // vehicle-analysis is `auto`: the candidates its steps build.
        #expect(html.contains("<tspan class=\"prec\">auto(fp16|fp32|int8-mixed)</tspan>"))
        // ocr-service: fp32 on the Pi, auto (all three candidates, calibrated on text lines)
        // on the gateway.
        #expect(
            html.contains(
                "ocr-det<tspan class=\"sep\"> · </tspan><tspan class=\"prec\">fp32|auto(fp16|fp32|int8-mixed)</tspan>"))
    }

    @Test func treeViewListsDeploymentsTargetsBundlesAndSteps() {
        let plan = HTMLTestPlans.examples()
        let html = HTMLPlanRenderer.render(plan)
        let tree = html[(html.range(of: "<section id=\"tree-view\"")?.lowerBound ?? html.endIndex)...]
        #expect(!tree.isEmpty)
        for deployment in plan.deployments {
            #expect(tree.contains("<span class=\"dep-name\">\(deployment.name)</span>"))
            for target in deployment.targets {
                #expect(tree.contains("<span class=\"host\">\(target.host)</span>"))
                #expect(tree.contains("<span class=\"bundle-ref\">\(target.bundle)</span>"))
            }
            for batch in deployment.batches {
                #expect(
                    tree.contains(
                        "<span class=\"batch-label\">\(batch.kind == .canary ? "canary" : "batch") \(batch.number)</span>"
                    ))
            }
        }
        for step in plan.steps { #expect(tree.contains("<code>\(step.id)</code>"), "step \(step.id)") }
        #expect(tree.components(separatedBy: "<details").count - 1 > plan.deployments.count)
        #expect(html.contains("<li class=\"stat\"><b>\(plan.steps.count)</b> optimize steps</li>"))
        #expect(html.contains("gsctl \(GSVersion.current)"))
    }

    @Test func anEmptyPlanStillRendersAPage() {
        let html = HTMLPlanRenderer.render(Plan(deployments: [], steps: [], bundles: [], workflows: []))
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(html.contains("No workflow is planned"))
    }
}
