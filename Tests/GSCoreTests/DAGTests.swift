import GSCore
import Testing

/// Builds a DAG from "a needs b" pairs over named nodes.
func dag(_ names: [String], _ edges: [(String, String)]) -> DAG {
    let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    var graph = DAG(count: names.count)
    for (node, dependency) in edges { graph.addEdge(from: index[node]!, needs: index[dependency]!) }
    return graph
}

@Suite struct DAGTests {
    @Test func levelsGroupWhatCanRunInParallel() {
        // frames -> detect -> track -> {analyze, count} -> serve
        let names = ["frames", "detect", "track", "analyze", "count", "serve"]
        let graph = dag(
            names,
            [
                ("detect", "frames"), ("track", "detect"), ("analyze", "track"), ("count", "track"),
                ("serve", "analyze"), ("serve", "count"),
            ])
        let levels = graph.levels().map { $0.map { names[$0] } }
        #expect(levels == [["frames"], ["detect"], ["track"], ["analyze", "count"], ["serve"]])
    }

    @Test func repeatedNeedsCountOnce() {
        let graph = dag(["a", "b"], [("b", "a"), ("b", "a")])
        #expect(graph.levels() == [[0], [1]])
        #expect(graph.cycles().isEmpty)
    }

    @Test func cycleIsReportedAsAPathBackToItsStart() {
        let names = ["a", "b", "c", "d"]
        let graph = dag(names, [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")])
        let cycles = graph.cycles().map { $0.map { names[$0] } }
        #expect(cycles == [["a", "b", "c", "a"]])
        // Nodes on or behind the cycle never reach a level.
        #expect(graph.levels().isEmpty)
    }

    @Test func everyIndependentCycleIsReported() {
        let names = ["a", "b", "c", "d", "e"]
        let graph = dag(names, [("a", "b"), ("b", "a"), ("c", "d"), ("d", "c"), ("e", "e")])
        let cycles = graph.cycles().map { $0.map { names[$0] } }
        #expect(cycles == [["a", "b", "a"], ["c", "d", "c"], ["e", "e"]])
    }

    @Test func shortestCycleThroughTheSmallestNode() {
        // a -> b -> c -> a and a -> c -> a: the two-step cycle is reported.
        let names = ["a", "b", "c"]
        let graph = dag(names, [("a", "b"), ("b", "c"), ("c", "a"), ("a", "c")])
        #expect(graph.cycles().map { $0.map { names[$0] } } == [["a", "c", "a"]])
    }

    @Test func longChainsNeedNoRecursion() {
        // 200,000 nodes in one chain would overflow a recursive walk.
        let count = 200_000
        var graph = DAG(count: count)
        for node in 1..<count { graph.addEdge(from: node, needs: node - 1) }
        #expect(graph.levels().count == count)
        #expect(graph.cycles().isEmpty)
        graph.addEdge(from: 0, needs: count - 1)
        let cycles = graph.cycles()
        #expect(cycles.count == 1)
        #expect(cycles.first?.count == count + 1)
    }
}
