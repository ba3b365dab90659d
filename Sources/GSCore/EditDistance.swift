/// Suggestions for misspelt names ("did you mean `precision`?").
public enum Suggest {
    /// Edit distance over bytes where swapping two neighbours counts as one edit (optimal
    /// string alignment), so `prot` is one edit from `port`. Exits early above `limit`.
    public static func distance(_ a: String, _ b: String, limit: Int = .max) -> Int {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        if abs(x.count - y.count) > limit { return limit + 1 }
        var beforePrevious = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var value = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    value = Swift.min(value, beforePrevious[j - 2] + 1)
                }
                current[j] = value
                rowMinimum = Swift.min(rowMinimum, value)
            }
            if rowMinimum > limit { return limit + 1 }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[y.count]
    }

    /// The closest candidate when it is close enough to be a likely typo, else nil.
    /// Case differences count as near misses (`Precision` -> `precision`).
    public static func nearest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        let limit = Swift.max(1, Swift.min(3, word.utf8.count / 3))
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            if candidate == word { continue }
            let d =
                candidate.lowercased() == lowered
                ? 0 : distance(lowered, candidate.lowercased(), limit: limit)
            guard d <= limit else { continue }
            if let current = best, (current.distance, current.name) <= (d, candidate) { continue }
            best = (candidate, d)
        }
        return best?.name
    }
}
