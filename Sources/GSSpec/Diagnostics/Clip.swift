/// User text quoted in a message, cut to 60 characters: a finding must stay one readable
/// line, and a hostile file (a 30 KB key repeated by aliases) must not multiply its size
/// into the report.
func clip(_ text: String) -> String {
    guard text.utf8.count > 60 else { return text }
    var count = 0
    var end = text.startIndex
    for index in text.indices {
        if count == 57 {
            end = index
            break
        }
        count += 1
    }
    return String(text[..<end]) + "…"
}
