import ONNX

/// Node order after rewrites that insert nodes: ONNX requires producers before readers, and a
/// stable order (a node moves only when it must) keeps diffs of optimized models readable.
extension GraphProto {
    /// Sorts the nodes so each comes after the producers of its inputs (subgraph reads
    /// included), keeping the current order wherever it is already valid. Returns false, and
    /// leaves the order alone, when the nodes form a cycle.
    @discardableResult
    mutating func sortTopologically() -> Bool {
        var producer: [String: Int] = [:]
        for (index, node) in node.enumerated() {
            for output in node.output where !output.isEmpty { producer[output] = index }
        }
        var pending = [Int](repeating: 0, count: node.count)
        var dependents = [[Int]](repeating: [], count: node.count)
        for (index, node) in node.enumerated() {
            var sources = Set<Int>()
            for name in node.input + node.implicitInputs.sorted() where !name.isEmpty {
                if let source = producer[name], source != index { sources.insert(source) }
            }
            pending[index] = sources.count
            for source in sources { dependents[source].append(index) }
        }
        var ready = IndexQueue()
        for index in node.indices where pending[index] == 0 { ready.push(index) }
        var order: [Int] = []
        order.reserveCapacity(node.count)
        while let index = ready.pop() {
            order.append(index)
            for dependent in dependents[index] {
                pending[dependent] -= 1
                if pending[dependent] == 0 { ready.push(dependent) }
            }
        }
        guard order.count == node.count else { return false }
        if order != Array(node.indices) { node = order.map { node[$0] } }
        return true
    }
}

/// A min-heap of node positions: the ready node that came first in the file goes first.
private struct IndexQueue {
    private var items: [Int] = []

    mutating func push(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[parent] > items[child] else { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
