/// Escaping for the HTML page. Plan text reaches the page from free-text fields
/// (descriptions, host roots and addresses, model source paths), so every piece of it goes
/// through here before it lands in an element or an attribute.
enum HTMLEscape {
    /// Text safe both between tags and inside a double- or single-quoted attribute:
    /// `&`, `<`, `>`, `"` and `'` become character references, nothing else changes.
    static func text(_ raw: String) -> String {
        var out = ""
        out.reserveCapacity(raw.utf8.count)
        for character in raw {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A label cut to at most `limit` characters (the last one an ellipsis), so long names
    /// keep a node's box its planned width; the full text goes in the node's tooltip.
    static func truncated(_ raw: String, to limit: Int) -> String {
        guard raw.count > limit, limit > 1 else { return raw }
        return String(raw.prefix(limit - 1)) + "…"
    }
}
