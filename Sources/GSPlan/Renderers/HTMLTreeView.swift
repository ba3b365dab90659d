import GSSpec

/// The Tree view of the HTML page: what lands where. Deployments hold their targets (host,
/// device, address, bundle), each target its bundle, each bundle its models with precision
/// and build steps; then the rollout batches, and the optimize steps every bundle shares.
/// Branches are `<details>`, so they fold without script.
enum HTMLTreeView {
    /// Deployments with more targets than this start with their targets folded, so a large
    /// fleet does not bury the next deployment.
    static let openTargetsUpTo = 6

    /// The `<section>` of the Tree view.
    static func render(_ plan: Plan) -> String {
        let bundles = Dictionary(plan.bundles.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var out = "<section id=\"tree-view\" class=\"view tree-view\" aria-label=\"Tree view\">\n"
        out += "<h2 class=\"section-title\">Deployments</h2>\n"
        if plan.deployments.isEmpty { out += "<p class=\"empty\">No deployment is planned.</p>\n" }
        for deployment in plan.deployments {
            out += self.deployment(deployment, bundles: bundles)
        }
        out += steps(plan.steps)
        out += bundleTable(plan.bundles)
        return out + "</section>\n"
    }

    /// One deployment: summary line, rollout, targets, trusted keys.
    static func deployment(_ deployment: DeploymentPlan, bundles: [String: BundlePlan]) -> String {
        let used = Set(deployment.targets.map(\.bundle)).count
        var out =
            "<details class=\"deployment\" open>\n<summary><span class=\"dep-name\">\(HTMLEscape.text(deployment.name))</span>"
        out += "<span class=\"dep-meta\">workflow <b>\(HTMLEscape.text(deployment.workflow))</b> · "
        out +=
            "\(HTMLPlanRenderer.count(deployment.targets.count, "host")) · \(HTMLPlanRenderer.count(used, "bundle"))</span></summary>\n"
        out += "<div class=\"dep-body\">\n" + rollout(deployment)
        out += "<h3>Targets</h3>\n<ul class=\"targets\">\n"
        let open = deployment.targets.count <= openTargetsUpTo ? " open" : ""
        for target in deployment.targets {
            out += "<li><details class=\"target\"\(open)><summary>"
            out += "<span class=\"host\">\(HTMLEscape.text(target.host))</span>"
            out += "<span class=\"device\">\(HTMLEscape.text(target.device))</span>"
            out += "<code class=\"addr\">\(HTMLEscape.text(target.address))</code>"
            out += "<span class=\"transport\">\(HTMLEscape.text(target.transport.rawValue))</span>"
            out +=
                "<span class=\"to\">→</span><span class=\"bundle-ref\">\(HTMLEscape.text(target.bundle))</span></summary>\n"
            if let bundle = bundles[target.bundle] {
                out += self.bundle(bundle)
            } else {
                out += "<p class=\"empty\">bundle not planned</p>\n"
            }
            out += "</details></li>\n"
        }
        out += "</ul>\n"
        if !deployment.trust.isEmpty {
            out += "<p class=\"trust\">trusts "
            out += deployment.trust.map { "<code>\(HTMLEscape.text($0))</code>" }.joined(separator: ", ") + "</p>\n"
        }
        return out + "</div>\n</details>\n"
    }

    /// The rollout policy in words and its batches in order.
    static func rollout(_ deployment: DeploymentPlan) -> String {
        var out = "<div class=\"rollout\"><h3>Rollout</h3>"
        out +=
            "<p class=\"policy\">\(HTMLEscape.text(TextPlanRenderer(color: false).rolloutSummary(deployment.rollout)))</p>"
        out += "<ol class=\"batches\">"
        for batch in deployment.batches {
            let label = batch.kind == .canary ? "canary \(batch.number)" : "batch \(batch.number)"
            out += "<li class=\"batch \(batch.kind.rawValue)\"><span class=\"batch-label\">\(label)</span>"
            out += batch.hosts.map { "<span class=\"batch-host\">\(HTMLEscape.text($0))</span>" }.joined()
            out += "</li>"
        }
        if deployment.batches.isEmpty { out += "<li class=\"batch empty\">no hosts</li>" }
        return out + "</ol></div>\n"
    }

    /// A bundle under a target: its models with precision badges and build steps.
    static func bundle(_ bundle: BundlePlan) -> String {
        var out = "<details class=\"bundle\" open><summary>bundle <code>\(HTMLEscape.text(bundle.id))</code>"
        out +=
            "<span class=\"muted\">\(HTMLEscape.text(bundle.device)) · \(HTMLPlanRenderer.count(bundle.models.count, "model"))</span></summary>\n"
        if bundle.models.isEmpty {
            return out + "<p class=\"empty\">no models: the workflow runs none</p></details>\n"
        }
        out += "<ul class=\"models\">\n"
        for model in bundle.models {
            out += "<li><span class=\"model\">\(HTMLEscape.text(model.model))</span>"
            out += badge(model.precision.rawValue)
            out += "<span class=\"steps-list\">"
            out += model.steps.map { "<code>\(HTMLEscape.text($0))</code>" }.joined(separator: " ")
            out += "</span></li>\n"
        }
        return out + "</ul></details>\n"
    }

    /// The build matrix: one row per model x device x precision, with who uses it.
    static func steps(_ steps: [BuildStep]) -> String {
        var out = "<h2 class=\"section-title\">Optimize steps <span class=\"muted\">\(steps.count)</span></h2>\n"
        guard !steps.isEmpty else { return out + "<p class=\"empty\">Nothing to optimize.</p>\n" }
        out += "<div class=\"table-wrap\"><table class=\"steps\">\n<thead><tr><th>model</th><th>device</th>"
        out += "<th>precision</th><th>bundles</th><th>deployments</th><th>source</th></tr></thead>\n<tbody>\n"
        for step in steps {
            out += "<tr><td class=\"model\">\(HTMLEscape.text(step.model))</td>"
            out += "<td>\(HTMLEscape.text(step.device))</td><td>\(badge(step.precision.rawValue))</td>"
            out +=
                "<td>" + step.bundles.map { "<code>\(HTMLEscape.text($0))</code>" }.joined(separator: "<br>") + "</td>"
            out += "<td>" + step.deployments.map(HTMLEscape.text).joined(separator: "<br>") + "</td>"
            out +=
                "<td><code title=\"sha256 \(HTMLEscape.text(step.sha256))\">\(HTMLEscape.text(step.source))</code></td></tr>\n"
        }
        return out + "</tbody></table></div>\n"
    }

    /// Every bundle once: what it holds and which hosts receive it.
    static func bundleTable(_ bundles: [BundlePlan]) -> String {
        var out = "<h2 class=\"section-title\">Bundles <span class=\"muted\">\(bundles.count)</span></h2>\n"
        guard !bundles.isEmpty else { return out + "<p class=\"empty\">No bundles.</p>\n" }
        out += "<div class=\"table-wrap\"><table class=\"bundles\">\n<thead><tr><th>bundle</th><th>workflow</th>"
        out += "<th>device</th><th>models</th><th>hosts</th></tr></thead>\n<tbody>\n"
        for bundle in bundles {
            out += "<tr><td><code>\(HTMLEscape.text(bundle.id))</code></td><td>\(HTMLEscape.text(bundle.workflow))</td>"
            out += "<td>\(HTMLEscape.text(bundle.device))</td><td>"
            out += bundle.models.map { "\(HTMLEscape.text($0.model)) \(badge($0.precision.rawValue))" }.joined(
                separator: "<br>")
            out += "</td><td>" + bundle.hosts.map(HTMLEscape.text).joined(separator: ", ") + "</td></tr>\n"
        }
        return out + "</tbody></table></div>\n"
    }

    /// A precision badge, coloured by `HTMLPalette.precisions`.
    static func badge(_ precision: String) -> String {
        let known = HTMLPalette.precisions.contains { $0.name == precision }
        return "<span class=\"prec p-\(known ? precision : "other")\">\(HTMLEscape.text(precision))</span>"
    }
}
