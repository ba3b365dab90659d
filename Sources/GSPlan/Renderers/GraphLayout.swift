/// A layered drawing of a DAG whose levels are already known (the plan gives them), left to
/// right: one column per level, nodes ordered within a column to cut edge crossings, edges
/// routed through the columns they skip. The HTML Graph view draws it as static SVG, so the
/// page needs no script to show the graph.
///
/// It follows Sugiyama's steps without the first one: long edges get a placeholder vertex in
/// every column they pass (so they run between nodes, never through them), barycenter sweeps
/// order each column (keeping the order with the fewest crossings seen), and each column's
/// vertical positions are the least-squares fit to its neighbours' centres that keeps the
/// column's order and gaps (pool-adjacent-violators, linear per column). Every step costs
/// about O((V + E) log V) per sweep, so a 200-task workflow lays out in milliseconds.
struct GraphLayout: Sendable, Hashable {
    /// A position in the drawing, in CSS pixels at zoom 1.
    struct Point: Sendable, Hashable {
        var x: Double
        var y: Double
    }

    /// How much room a node needs; the renderer measures its labels.
    struct Size: Sendable, Hashable {
        var width: Double
        var height: Double
    }

    /// Where a node is drawn: its top-left corner and size.
    struct Box: Sendable, Hashable {
        var x: Double
        var y: Double
        var width: Double
        var height: Double

        /// The right edge, where edges to dependents leave.
        var right: Double { x + width }
        /// The bottom edge, for overlap checks.
        var bottom: Double { y + height }
        /// The vertical centre, where ports spread from.
        var midY: Double { y + height / 2 }
    }

    /// One level's column: its left edge and width (the widest node in it).
    struct Column: Sendable, Hashable {
        var x: Double
        var width: Double
    }

    /// A dependency: `from` must finish (or start streaming) before `to`.
    struct Edge: Sendable, Hashable {
        var from: Int
        var to: Int
    }

    /// An edge's path: from the dependency's right side, through the columns it skips, to the
    /// dependent's left side. Consecutive points in one column share a `y` (a straight run).
    struct Route: Sendable, Hashable {
        var from: Int
        var to: Int
        var points: [Point]
    }

    /// Spacing and effort; the defaults suit 13-14 px labels.
    struct Options: Sendable, Hashable {
        /// Horizontal room between columns, where edges curve.
        var columnGap: Double = 96
        /// Vertical room between two nodes of one column.
        var rowGap: Double = 20
        /// Vertical room next to an edge passing through a column.
        var passGap: Double = 10
        /// Room around the drawing.
        var margin: Double = 24
        /// Room above the first node, for the level captions.
        var top: Double = 44
        /// Barycenter sweeps (each one down and one up); the best order seen is kept.
        var sweeps: Int = 8
        /// Vertical placement passes (each one down and one up).
        var placementPasses: Int = 6

        /// Default spacing.
        init() {}
    }

    /// One box per input node, indexed like `sizes`.
    var boxes: [Box]
    /// One column per level.
    var columns: [Column]
    /// One route per input edge that refers to known nodes, in input order.
    var routes: [Route]
    /// The real nodes of each level, top to bottom, after crossing reduction.
    var order: [[Int]]
    /// Edge crossings between adjacent columns in the final order (placeholders included).
    var crossings: Int
    /// The drawing's size.
    var width: Double
    /// The drawing's size.
    var height: Double
}

/// Building a layout from levels, sizes and edges.
extension GraphLayout {
    /// Lays out nodes `0..<sizes.count`, placed in `levels` (top to bottom as given, the
    /// starting order). Nodes missing from `levels` join level 0; edges naming unknown nodes
    /// are dropped; edges that do not go to a later level are drawn straight.
    init(levels: [[Int]], sizes: [Size], edges: [Edge], options: Options = Options()) {
        var graph = LayeredGraph(levels: levels, sizes: sizes, edges: edges, options: options)
        graph.reduceCrossings(sweeps: options.sweeps)
        graph.place(passes: options.placementPasses)
        self = graph.layout()
    }

    /// Crossings of `levels` in the order given (long edges pass in the order they are
    /// listed): what the sweeps start from, for tests and reports.
    static func crossings(levels: [[Int]], nodeCount: Int, edges: [Edge]) -> Int {
        let sizes = Array(repeating: Size(width: 1, height: 1), count: nodeCount)
        return LayeredGraph(levels: levels, sizes: sizes, edges: edges, options: Options()).countCrossings()
    }
}

/// The working state: real nodes plus one placeholder per column a long edge skips.
private struct LayeredGraph {
    /// Spacing and effort.
    let options: GraphLayout.Options
    /// Real nodes are vertices `0..<nodeCount`.
    let nodeCount: Int
    /// The real nodes' sizes.
    let sizes: [GraphLayout.Size]
    /// Column of each vertex (real nodes first, then placeholders).
    var level: [Int] = []
    /// Height of each vertex (0 for placeholders).
    var height: [Double] = []
    /// Neighbours of each vertex in the column before it.
    var up: [[Int]] = []
    /// Neighbours of each vertex in the column after it.
    var down: [[Int]] = []
    /// Vertices of each column, top to bottom.
    var layers: [[Int]] = []
    /// Index of each vertex within its column.
    var position: [Int] = []
    /// Vertical centre of each vertex.
    var center: [Double] = []
    /// Per kept edge: its vertices from dependency to dependent.
    var chains: [(edge: GraphLayout.Edge, vertices: [Int])] = []

    /// Columns from `levels`, placeholders for long edges, the starting order as given.
    init(levels: [[Int]], sizes: [GraphLayout.Size], edges: [GraphLayout.Edge], options: GraphLayout.Options) {
        self.options = options
        self.sizes = sizes
        nodeCount = sizes.count
        level = Array(repeating: -1, count: nodeCount)
        height = sizes.map(\.height)
        layers = Array(repeating: [], count: max(levels.count, 1))
        for (number, members) in levels.enumerated() {
            for node in members where node >= 0 && node < nodeCount && level[node] < 0 {
                level[node] = number
                layers[number].append(node)
            }
        }
        for node in 0..<nodeCount where level[node] < 0 {
            level[node] = 0
            layers[0].append(node)
        }
        up = Array(repeating: [], count: nodeCount)
        down = Array(repeating: [], count: nodeCount)
        for edge in edges where edge.from >= 0 && edge.from < nodeCount && edge.to >= 0 && edge.to < nodeCount {
            var vertices = [edge.from]
            if level[edge.to] > level[edge.from] {
                for column in (level[edge.from] + 1)..<level[edge.to] {
                    let placeholder = level.count
                    level.append(column)
                    height.append(0)
                    up.append([])
                    down.append([])
                    layers[column].append(placeholder)
                    vertices.append(placeholder)
                }
                vertices.append(edge.to)
                for (a, b) in zip(vertices, vertices.dropFirst()) {
                    down[a].append(b)
                    up[b].append(a)
                }
            } else {
                vertices.append(edge.to)
            }
            chains.append((edge, vertices))
        }
        position = Array(repeating: 0, count: level.count)
        center = Array(repeating: 0, count: level.count)
        updatePositions()
    }

    /// Placeholders are numbered after the real nodes.
    func isPlaceholder(_ vertex: Int) -> Bool { vertex >= nodeCount }

    /// Refreshes `position` after columns were reordered.
    mutating func updatePositions() {
        for layer in layers {
            for (index, vertex) in layer.enumerated() { position[vertex] = index }
        }
    }

    // MARK: Ordering

    /// Barycenter sweeps: each column sorted by the mean position of its neighbours in the
    /// column just handled; vertices without such neighbours keep their place.
    mutating func reduceCrossings(sweeps: Int) {
        var best = layers
        var fewest = countCrossings()
        guard layers.count > 1, fewest > 0 else { return }
        for _ in 0..<sweeps {
            for column in 1..<layers.count { sortColumn(column, by: up) }
            for column in stride(from: layers.count - 2, through: 0, by: -1) { sortColumn(column, by: down) }
            let count = countCrossings()
            if count < fewest {
                fewest = count
                best = layers
                if count == 0 { break }
            }
        }
        layers = best
        updatePositions()
    }

    /// One barycenter step for one column; ties keep the current order (deterministic).
    mutating func sortColumn(_ column: Int, by neighbours: [[Int]]) {
        let keyed = layers[column].map { vertex -> (key: Double, index: Int, vertex: Int) in
            let around = neighbours[vertex]
            let key =
                around.isEmpty
                ? Double(position[vertex])
                : Double(around.reduce(0) { $0 + position[$1] }) / Double(around.count)
            return (key, position[vertex], vertex)
        }
        layers[column] = keyed.sorted { ($0.key, $0.index) < ($1.key, $1.index) }.map(\.vertex)
        for (index, vertex) in layers[column].enumerated() { position[vertex] = index }
    }

    /// Crossings between every pair of adjacent columns: edges sorted by their upper end,
    /// then inversions among their lower ends counted with a Fenwick tree.
    func countCrossings() -> Int {
        var total = 0
        for column in 0..<max(layers.count - 1, 0) {
            var pairs: [(Int, Int)] = []
            for vertex in layers[column] {
                for next in down[vertex] { pairs.append((position[vertex], position[next])) }
            }
            pairs.sort { $0 < $1 }
            let size = layers[column + 1].count
            var tree = Array(repeating: 0, count: size + 1)
            var seen = 0
            for (_, lower) in pairs {
                // Earlier edges whose lower end sits below this one cross it.
                var index = lower + 1
                var atOrAbove = 0
                while index > 0 {
                    atOrAbove += tree[index]
                    index -= index & -index
                }
                total += seen - atOrAbove
                index = lower + 1
                while index <= size {
                    tree[index] += 1
                    index += index & -index
                }
                seen += 1
            }
        }
        return total
    }

    // MARK: Vertical placement

    /// Stacks each column, then moves every column towards its neighbours' centres, one
    /// column at a time, down and up; a last pass uses neighbours on both sides.
    mutating func place(passes: Int) {
        for column in layers.indices {
            var y = 0.0
            for (index, vertex) in layers[column].enumerated() {
                if index > 0 { y += separation(layers[column][index - 1], vertex) }
                center[vertex] = y
            }
        }
        guard layers.count > 1 else { return }
        let both = zip(up, down).map { $0 + $1 }
        for _ in 0..<passes {
            for column in 1..<layers.count { fit(column, towards: up) }
            for column in stride(from: layers.count - 2, through: 0, by: -1) { fit(column, towards: down) }
        }
        for column in layers.indices { fit(column, towards: both) }
    }

    /// Centre-to-centre distance two neighbours in a column need.
    func separation(_ a: Int, _ b: Int) -> Double {
        let gap = isPlaceholder(a) || isPlaceholder(b) ? options.passGap : options.rowGap
        return height[a] / 2 + height[b] / 2 + gap
    }

    /// Least-squares positions closest to the neighbours' mean centres that keep the order
    /// and the gaps: subtract each vertex's minimal offset, fit a non-decreasing sequence by
    /// pooling adjacent violators, add the offsets back.
    mutating func fit(_ column: Int, towards neighbours: [[Int]]) {
        let members = layers[column]
        guard !members.isEmpty else { return }
        var offsets = [0.0]
        for index in 1..<members.count {
            offsets.append(offsets[index - 1] + separation(members[index - 1], members[index]))
        }
        var blocks: [(sum: Double, count: Int)] = []
        for (index, vertex) in members.enumerated() {
            let around = neighbours[vertex]
            let target = around.isEmpty ? center[vertex] : around.reduce(0) { $0 + center[$1] } / Double(around.count)
            blocks.append((target - offsets[index], 1))
            while blocks.count > 1 {
                let last = blocks[blocks.count - 1]
                let previous = blocks[blocks.count - 2]
                guard previous.sum / Double(previous.count) > last.sum / Double(last.count) else { break }
                blocks.removeLast(2)
                blocks.append((previous.sum + last.sum, previous.count + last.count))
            }
        }
        var index = 0
        for block in blocks {
            let value = block.sum / Double(block.count)
            for _ in 0..<block.count {
                center[members[index]] = value + offsets[index]
                index += 1
            }
        }
    }

    // MARK: Result

    /// Columns, boxes and routes in drawing coordinates (rounded to 0.1 px, so the SVG text
    /// is short and the same on every machine).
    func layout() -> GraphLayout {
        var columns: [GraphLayout.Column] = []
        var x = options.margin
        for layer in layers {
            let widest = layer.filter { !isPlaceholder($0) }.map { sizes[$0].width }.max() ?? 40
            columns.append(GraphLayout.Column(x: tidy(x), width: tidy(widest)))
            x += widest + options.columnGap
        }
        let tops = center.indices.map { center[$0] - height[$0] / 2 }
        let shift = options.top - (tops.min() ?? 0)
        var boxes = Array(repeating: GraphLayout.Box(x: 0, y: 0, width: 0, height: 0), count: nodeCount)
        for node in 0..<nodeCount {
            let column = columns[level[node]]
            boxes[node] = GraphLayout.Box(
                x: tidy(column.x + (column.width - sizes[node].width) / 2), y: tidy(tops[node] + shift),
                width: tidy(sizes[node].width), height: tidy(sizes[node].height))
        }
        let bottom = center.indices.map { center[$0] + height[$0] / 2 + shift }.max() ?? options.top
        let ports = portOffsets(boxes: boxes, shift: shift)
        var routes: [GraphLayout.Route] = []
        for (number, chain) in chains.enumerated() {
            let from = boxes[chain.edge.from]
            let to = boxes[chain.edge.to]
            var points = [GraphLayout.Point(x: from.right, y: tidy(from.midY + ports.out[number]))]
            for vertex in chain.vertices.dropFirst().dropLast() {
                let column = columns[level[vertex]]
                let y = tidy(center[vertex] + shift)
                points.append(GraphLayout.Point(x: column.x, y: y))
                points.append(GraphLayout.Point(x: column.x + column.width, y: y))
            }
            points.append(GraphLayout.Point(x: to.x, y: tidy(to.midY + ports.in[number])))
            routes.append(GraphLayout.Route(from: chain.edge.from, to: chain.edge.to, points: points))
        }
        return GraphLayout(
            boxes: boxes, columns: columns, routes: routes,
            order: layers.map { $0.filter { !isPlaceholder($0) } }, crossings: countCrossings(),
            width: tidy(max(x - options.columnGap + options.margin, options.margin * 2)),
            height: tidy(bottom + options.margin))
    }

    /// Where each edge leaves and enters its boxes, relative to their centres: a node's edges
    /// spread over the middle of its side in the order of where they go, so they fan out
    /// instead of meeting in one point.
    func portOffsets(boxes: [GraphLayout.Box], shift: Double) -> (out: [Double], in: [Double]) {
        var outgoing: [Int: [(y: Double, edge: Int)]] = [:]
        var incoming: [Int: [(y: Double, edge: Int)]] = [:]
        for (number, chain) in chains.enumerated() {
            let next = chain.vertices.count > 2 ? center[chain.vertices[1]] + shift : boxes[chain.edge.to].midY
            let previous =
                chain.vertices.count > 2
                ? center[chain.vertices[chain.vertices.count - 2]] + shift
                : boxes[chain.edge.from].midY
            outgoing[chain.edge.from, default: []].append((next, number))
            incoming[chain.edge.to, default: []].append((previous, number))
        }
        var out = Array(repeating: 0.0, count: chains.count)
        var into = Array(repeating: 0.0, count: chains.count)
        /// Spreads the ends of each node with more than one.
        func spread(_ ends: [Int: [(y: Double, edge: Int)]], into result: inout [Double]) {
            for (node, list) in ends where list.count > 1 {
                let sorted = list.sorted { ($0.y, $0.edge) < ($1.y, $1.edge) }
                let step = min(8, boxes[node].height * 0.6 / Double(sorted.count - 1))
                for (index, end) in sorted.enumerated() {
                    result[end.edge] = (Double(index) - Double(sorted.count - 1) / 2) * step
                }
            }
        }
        spread(outgoing, into: &out)
        spread(incoming, into: &into)
        return (out, into)
    }

    /// Rounds to 0.1 px.
    func tidy(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
