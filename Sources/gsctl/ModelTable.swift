import GSAgent
import GSCore

/// The per-host model table `precision: auto` measured (VariantBench), in the shape of the
/// talk's per-device table: variant, runtime, load s, ms/frame (p50, p95), FPS, memory,
/// accuracy (the compiler's score against fp32, and the device's agreement with the built
/// outputs), and which variant runs.
enum ModelTable {
    static func render(host: String, tables: [JSONValue]) -> String {
        guard !tables.isEmpty else { return "\(host): no measured variants (precision: auto measures at activation)\n" }
        var text = ""
        for value in tables {
            guard let table = VariantBench.Table(json: value) else { continue }
            text += "\(host) / \(table.model)"
            text += table.task.map { " (task \($0))" } ?? ""
            text += ": runs \(table.chosen), measured \(Age.text(since: table.measuredAt)); \(table.reason)\n"
            var rows = [
                ["", "VARIANT", "RUNTIME", "LOAD S", "MS/FRAME", "P95 MS", "FPS", "MEMORY", "ACCURACY", "ON DEVICE"]
            ]
            for row in table.rows {
                rows.append([
                    row.variant == table.chosen ? "*" : "", row.variant, row.runtime,
                    row.loadSeconds.map { DecimalText.fixed($0, digits: 2) } ?? "-",
                    row.p50Ms.map { DecimalText.fixed($0, digits: 2) } ?? "-",
                    row.p95Ms.map { DecimalText.fixed($0, digits: 2) } ?? "-",
                    row.fps.map { DecimalText.fixed($0, digits: 1) } ?? "-",
                    row.peakMemoryMB.map { (DecimalText.fixed($0, digits: 0) + " MB") } ?? "-",
                    row.buildScore.map { (DecimalText.fixed($0 * 100, digits: 2) + "%") + " " + (row.metric ?? "") }
                        ?? "-",
                    row.deviceScore.map { (DecimalText.fixed($0 * 100, digits: 2) + "%") } ?? "-",
                ])
            }
            text += Table.render(rows)
            for row in table.rows {
                if let problem = row.problem { text += "  \(row.variant): \(problem)\n" }
            }
            for (variant, why) in table.leftOut.sorted(by: { $0.key < $1.key }) {
                text += "  \(variant): left out at build: \(why)\n"
            }
        }
        return text
    }

    static func html(_ tables: [JSONValue]) -> String {
        var body = ""
        for value in tables {
            guard let table = VariantBench.Table(json: value) else { continue }
            body +=
                "<li>model \(FleetHTML.escape(table.model)): runs <b>\(FleetHTML.escape(table.chosen))</b>"
                + " <small>\(FleetHTML.escape(table.reason))</small><table><tr><th>variant<th>runtime<th>load s"
                + "<th>ms/frame<th>p95 ms<th>FPS<th>memory<th>accuracy<th>on device</tr>"
            for row in table.rows {
                let mark = row.variant == table.chosen ? " class=chosen" : ""
                body +=
                    "<tr\(mark)><td>\(FleetHTML.escape(row.variant))<td>\(FleetHTML.escape(row.runtime))"
                    + "<td>\(row.loadSeconds.map { DecimalText.fixed($0, digits: 2) } ?? "-")"
                    + "<td>\(row.p50Ms.map { DecimalText.fixed($0, digits: 2) } ?? "-")"
                    + "<td>\(row.p95Ms.map { DecimalText.fixed($0, digits: 2) } ?? "-")"
                    + "<td>\(row.fps.map { DecimalText.fixed($0, digits: 1) } ?? "-")"
                    + "<td>\(row.peakMemoryMB.map { (DecimalText.fixed($0, digits: 0) + " MB") } ?? "-")"
                    + "<td>\(row.buildScore.map { (DecimalText.fixed($0 * 100, digits: 2) + "%") } ?? "-")"
                    + "<td>\(row.deviceScore.map { (DecimalText.fixed($0 * 100, digits: 2) + "%") } ?? "-")"
                    + (row.problem.map { "<td class=warn>\(FleetHTML.escape($0))" } ?? "") + "</tr>"
            }
            body += "</table></li>"
        }
        return body
    }
}
