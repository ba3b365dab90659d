/// The colours of the HTML page in one place: the Graph view fills nodes by task kind, the
/// stylesheet colours the legend and the Tree view's badges from the same table, and the
/// screenshot tests count these exact pixels to see that nodes were drawn.
enum HTMLPalette {
    /// How one task kind is drawn: a light fill (the node body) and a strong accent (its
    /// outline, dot and label).
    struct Kind: Sendable, Hashable {
        /// The `uses` word.
        var name: String
        /// Node body, `#rrggbb`.
        var fill: String
        /// Outline and label, `#rrggbb`.
        var accent: String
    }

    /// Every task kind in the order the legend lists them (the data flows this way).
    static let kinds: [Kind] = [
        Kind(name: "source", fill: "#e4eeff", accent: "#2f6fdd"),
        Kind(name: "detect", fill: "#ffe8df", accent: "#d9512c"),
        Kind(name: "classify", fill: "#f1e6ff", accent: "#8347d1"),
        Kind(name: "track", fill: "#ddf5f0", accent: "#14957f"),
        Kind(name: "analyze", fill: "#fff2cf", accent: "#b47a00"),
        Kind(name: "serve", fill: "#e2f5e2", accent: "#2c8f39"),
        Kind(name: "command", fill: "#e3e7ee", accent: "#5f6b7a"),
    ]

    /// The style of a `uses` word; unknown words draw as `command`, the generic kind.
    static func kind(_ uses: String) -> Kind {
        kinds.first { $0.name == uses } ?? kinds[kinds.count - 1]
    }

    /// The Tree view's deployment header background: distinct from every node fill, so a
    /// screenshot tells the two views apart.
    static let deploymentHeader = "#e9effb"

    /// Badge colours per precision (`text` on `background`): float greys and blues, integer
    /// ambers, `auto` purple.
    static let precisions: [(name: String, background: String, text: String)] = [
        ("fp32", "#eceff3", "#3d4652"),
        ("fp16", "#dcebff", "#1d4f9c"),
        ("int8", "#ffe9c7", "#8a4b00"),
        ("int8-mixed", "#fff0cc", "#7a5300"),
        ("auto", "#efe4ff", "#5b2ea6"),
    ]
}
