/// A directed graph over nodes 0..<count where an edge `a -> b` means "a needs b" (b first).
///
/// Shared by the linter (cycles, reported as paths) and the planner (topological levels:
/// what can run in parallel). Everything is iterative and linear in nodes plus edges, so a
/// 10,000-task workflow plans in milliseconds and a deep chain cannot overflow the stack.
public struct DAG: Sendable {
    public let count: Int
    /// `needs[a]` lists the nodes `a` depends on, in the order they were written.
    public private(set) var needs: [[Int]]

    public init(count: Int) {
        self.count = count
        needs = Array(repeating: [], count: count)
    }

    public mutating func addEdge(from node: Int, needs dependency: Int) {
        needs[node].append(dependency)
    }

    /// Nodes grouped by level: level 0 needs nothing, level k needs only lower levels.
    /// Nodes on or behind a cycle are left out (see `cycles`). Within a level, node order.
    public func levels() -> [[Int]] {
        var pending = needs.map { Set($0).count }
        var dependents = Array(repeating: [Int](), count: count)
        for (node, deps) in needs.enumerated() {
            for dependency in Set(deps) { dependents[dependency].append(node) }
        }
        var current = (0..<count).filter { pending[$0] == 0 }
        var result: [[Int]] = []
        while !current.isEmpty {
            result.append(current)
            var next: [Int] = []
            for node in current {
                for dependent in dependents[node] {
                    pending[dependent] -= 1
                    if pending[dependent] == 0 { next.append(dependent) }
                }
            }
            next.sort()
            current = next
        }
        return result
    }

    /// One cycle per strongly connected component that has one, each as a path that starts
    /// and ends at its smallest node: `[a, b, c, a]` reads "a needs b needs c needs a".
    public func cycles() -> [[Int]] {
        var result: [[Int]] = []
        for component in stronglyConnectedComponents() {
            let members = Set(component)
            guard let start = component.min() else { continue }
            if component.count == 1 {
                if needs[start].contains(start) { result.append([start, start]) }
                continue
            }
            result.append(shortestCycle(from: start, within: members))
        }
        return result.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Breadth-first search back to `start` inside one component: the shortest cycle through it.
    func shortestCycle(from start: Int, within members: Set<Int>) -> [Int] {
        var parent: [Int: Int] = [:]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in needs[node] where members.contains(next) {
                if next == start {
                    var path = [start]
                    var cursor = node
                    while cursor != start {
                        path.append(cursor)
                        cursor = parent[cursor] ?? start
                    }
                    path.append(start)
                    return path.reversed()
                }
                if parent[next] == nil, next != start {
                    parent[next] = node
                    queue.append(next)
                }
            }
        }
        return [start, start]
    }

    /// Tarjan's algorithm with an explicit stack.
    func stronglyConnectedComponents() -> [[Int]] {
        var index = Array(repeating: -1, count: count)
        var low = Array(repeating: 0, count: count)
        var onStack = Array(repeating: false, count: count)
        var stack: [Int] = []
        var components: [[Int]] = []
        var counter = 0
        for root in 0..<count where index[root] < 0 {
            var work: [(node: Int, edge: Int)] = [(root, 0)]
            index[root] = counter
            low[root] = counter
            counter += 1
            stack.append(root)
            onStack[root] = true
            while let (node, edge) = work.last {
                if edge < needs[node].count {
                    work[work.count - 1].edge += 1
                    let next = needs[node][edge]
                    if index[next] < 0 {
                        index[next] = counter
                        low[next] = counter
                        counter += 1
                        stack.append(next)
                        onStack[next] = true
                        work.append((next, 0))
                    } else if onStack[next] {
                        low[node] = min(low[node], index[next])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last { low[parent.node] = min(low[parent.node], low[node]) }
                if low[node] == index[node] {
                    var component: [Int] = []
                    while let member = stack.popLast() {
                        onStack[member] = false
                        component.append(member)
                        if member == node { break }
                    }
                    components.append(component)
                }
            }
        }
        return components
    }
}
