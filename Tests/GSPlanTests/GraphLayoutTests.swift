import Testing

@testable import GSPlan

/// The layered layout behind the Graph view: columns follow levels, nothing overlaps,
/// crossings only go down, long edges run between nodes.
@Suite struct GraphLayoutTests {
    /// Boxes of one size, so the tests read as graphs, not as geometry.
    static func sizes(_ count: Int) -> [GraphLayout.Size] {
        Array(repeating: GraphLayout.Size(width: 160, height: 48), count: count)
    }

    /// Edges from `(from, to)` pairs.
    static func edges(_ pairs: [(Int, Int)]) -> [GraphLayout.Edge] {
        pairs.map { GraphLayout.Edge(from: $0.0, to: $0.1) }
    }

    /// The generated 200-task workflow as layout input, with the renderer's node sizes.
    static func generatedInput() -> (levels: [[Int]], sizes: [GraphLayout.Size], edges: [GraphLayout.Edge]) {
        let workflow = HTMLTestPlans.generatedWorkflow()
        let tasks = workflow.levels.flatMap { $0 }
        var numbers: [String: Int] = [:]
        for (number, task) in tasks.enumerated() { numbers[task.name] = number }
        var levels: [[Int]] = []
        for level in workflow.levels { levels.append(level.compactMap { numbers[$0.name] }) }
        var edges: [GraphLayout.Edge] = []
        for (number, task) in tasks.enumerated() {
            for need in task.needs {
                if let from = numbers[need] { edges.append(GraphLayout.Edge(from: from, to: number)) }
            }
        }
        let sizes = tasks.map { HTMLGraphView.size(HTMLGraphView.label($0, precisions: [:])) }
        return (levels, sizes, edges)
    }

    /// Two boxes overlap when their rectangles share interior points.
    static func overlap(_ a: GraphLayout.Box, _ b: GraphLayout.Box) -> Bool {
        a.x < b.right && b.x < a.right && a.y < b.bottom && b.y < a.bottom
    }

    @Test func levelsMapToColumnsLeftToRight() {
        // a -> b -> d, a -> c -> d: levels [a] [b c] [d].
        let layout = GraphLayout(
            levels: [[0], [1, 2], [3]], sizes: Self.sizes(4), edges: Self.edges([(0, 1), (0, 2), (1, 3), (2, 3)]))
        #expect(layout.columns.count == 3)
        for (level, members) in [[0], [1, 2], [3]].enumerated() {
            let column = layout.columns[level]
            for node in members {
                #expect(layout.boxes[node].x >= column.x && layout.boxes[node].right <= column.x + column.width)
            }
        }
        for (left, right) in zip(layout.columns, layout.columns.dropFirst()) {
            #expect(left.x + left.width < right.x, "columns must not touch: edges curve between them")
        }
        #expect(layout.order.map { Set($0) } == [[0], [1, 2], [3]])
        // Every route leaves its dependency's right side and enters the dependent's left side.
        for route in layout.routes {
            #expect(route.points.first?.x == layout.boxes[route.from].right)
            #expect(route.points.last?.x == layout.boxes[route.to].x)
        }
    }

    @Test func noTwoNodesOverlapInAGenerated200TaskWorkflow() {
        let input = Self.generatedInput()
        #expect(input.sizes.count == 200)
        let layout = GraphLayout(levels: input.levels, sizes: input.sizes, edges: input.edges)
        #expect(layout.boxes.count == 200)
        #expect(layout.routes.count == input.edges.count)
        // Sorting per column by top makes the check linear after the sort.
        for members in layout.order {
            let boxes = members.map { layout.boxes[$0] }.sorted { $0.y < $1.y }
            for (upper, lower) in zip(boxes, boxes.dropFirst()) {
                #expect(upper.bottom <= lower.y, "nodes in one column overlap: \(upper) \(lower)")
            }
        }
        for (number, box) in layout.boxes.enumerated() {
            #expect(
                box.x >= 0 && box.y >= 0 && box.right <= layout.width && box.bottom <= layout.height, "node \(number)")
        }
        for route in layout.routes {
            for point in route.points {
                #expect(point.x >= 0 && point.x <= layout.width && point.y >= 0 && point.y <= layout.height)
            }
        }
        // Pairwise, for good measure: no overlap anywhere.
        for a in layout.boxes.indices {
            for b in layout.boxes.indices where a < b { #expect(!Self.overlap(layout.boxes[a], layout.boxes[b])) }
        }
    }

    @Test func crossingReductionUntanglesACraftedGraph() {
        // Level 0: a b c; level 1: x y z with a -> z, b -> y, c -> x: three crossings as
        // given, none once level 1 is reversed. Then a third level that repeats the twist.
        let levels = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
        let edges = Self.edges([(0, 5), (1, 4), (2, 3), (3, 8), (4, 7), (5, 6)])
        let before = GraphLayout.crossings(levels: levels, nodeCount: 9, edges: edges)
        #expect(before == 6)
        let layout = GraphLayout(levels: levels, sizes: Self.sizes(9), edges: edges)
        #expect(layout.crossings == 0)
        #expect(layout.crossings <= before)
    }

    @Test func crossingReductionNeverIncreasesCrossings() {
        let input = Self.generatedInput()
        let before = GraphLayout.crossings(levels: input.levels, nodeCount: input.sizes.count, edges: input.edges)
        let layout = GraphLayout(levels: input.levels, sizes: input.sizes, edges: input.edges)
        #expect(layout.crossings <= before)
        // An already untangled graph stays untangled.
        let chain = GraphLayout(levels: [[0], [1], [2]], sizes: Self.sizes(3), edges: Self.edges([(0, 1), (1, 2)]))
        #expect(chain.crossings == 0)
    }

    @Test func longEdgesRunThroughTheColumnsTheySkip() {
        // a -> b -> c and a -> c: the long edge passes column 1 beside b, not through it.
        let layout = GraphLayout(
            levels: [[0], [1], [2]], sizes: Self.sizes(3), edges: Self.edges([(0, 1), (1, 2), (0, 2)]))
        let long = layout.routes[2]
        #expect(long.points.count == 4)
        let column = layout.columns[1]
        #expect(long.points[1].x == column.x && long.points[2].x == column.x + column.width)
        #expect(long.points[1].y == long.points[2].y)
        let middle = layout.boxes[1]
        #expect(long.points[1].y < middle.y || long.points[1].y > middle.bottom, "the long edge crosses node b")
    }

    @Test func sameInputSameLayout() {
        let input = Self.generatedInput()
        let one = GraphLayout(levels: input.levels, sizes: input.sizes, edges: input.edges)
        let two = GraphLayout(levels: input.levels, sizes: input.sizes, edges: input.edges)
        #expect(one == two)
    }

    @Test func malformedInputIsDrawnNotTrapped() {
        // Node 2 is in no level, one edge names a node that does not exist, one goes back.
        let layout = GraphLayout(
            levels: [[0], [1]], sizes: Self.sizes(3), edges: Self.edges([(0, 1), (1, 0), (0, 9), (-1, 1)]))
        #expect(layout.boxes.count == 3)
        #expect(layout.routes.count == 2)
        #expect(layout.order[0].contains(2))
        let empty = GraphLayout(levels: [], sizes: [], edges: [])
        #expect(empty.boxes.isEmpty && empty.width > 0)
    }
}
