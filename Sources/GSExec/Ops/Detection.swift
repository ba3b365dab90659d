#if canImport(Glibc)
    import Glibc
#endif

/// TopK and NonMaxSuppression, with onnxruntime's CPU selection algorithms reproduced step
/// by step so that ties, NaNs and unsorted outputs come out in the very same order (its
/// TopK builds on its own heap and on libstdc++'s nth_element, whose moves we replay here).

/// libstdc++'s heap and selection algorithms over an array, with `before(a, b)` as the
/// `comp` argument. Only the moves matter: the results are the element orders those
/// implementations leave behind.
enum StdAlgorithms {
    /// `std::__push_heap`: sift `value` up from `hole` towards `top`.
    static func pushHeap<T>(_ a: inout [T], _ first: Int, _ hole: Int, _ top: Int, _ value: T, _ before: (T, T) -> Bool)
    {
        var hole = hole
        var parent = (hole - 1) / 2
        while hole > top && before(a[first + parent], value) {
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) / 2
        }
        a[first + hole] = value
    }

    /// `std::__adjust_heap`: move the hole down to a leaf, then push `value` back up.
    static func adjustHeap<T>(
        _ a: inout [T], _ first: Int, _ hole: Int, _ length: Int, _ value: T, _ before: (T, T) -> Bool
    ) {
        let top = hole
        var hole = hole
        var second = hole
        while second < (length - 1) / 2 {
            second = 2 * (second + 1)
            if before(a[first + second], a[first + second - 1]) { second -= 1 }
            a[first + hole] = a[first + second]
            hole = second
        }
        if length & 1 == 0 && second == (length - 2) / 2 {
            second = 2 * (second + 1)
            a[first + hole] = a[first + second - 1]
            hole = second - 1
        }
        pushHeap(&a, first, hole, top, value, before)
    }

    /// `std::make_heap` on `a[first..<last]`.
    static func makeHeap<T>(_ a: inout [T], _ first: Int, _ last: Int, _ before: (T, T) -> Bool) {
        let length = last - first
        guard length >= 2 else { return }
        var parent = (length - 2) / 2
        while true {
            adjustHeap(&a, first, parent, length, a[first + parent], before)
            if parent == 0 { return }
            parent -= 1
        }
    }

    /// `std::nth_element` (introselect, median-of-three pivots, insertion sort below 4).
    static func nthElement<T>(_ a: inout [T], _ nth: Int, _ before: (T, T) -> Bool) {
        var first = 0
        var last = a.count
        guard first != last, nth != last else { return }
        var depth = 2 * (Int.bitWidth - 1 - (last - first).leadingZeroBitCount)
        while last - first > 3 {
            if depth == 0 {
                heapSelect(&a, first, nth + 1, last, before)
                a.swapAt(first, nth)
                return
            }
            depth -= 1
            let cut = unguardedPartitionPivot(&a, first, last, before)
            if cut <= nth { first = cut } else { last = cut }
        }
        insertionSort(&a, first, last, before)
    }

    /// `std::__heap_select`: the best `middle - first` elements into a heap at the front.
    static func heapSelect<T>(_ a: inout [T], _ first: Int, _ middle: Int, _ last: Int, _ before: (T, T) -> Bool) {
        makeHeap(&a, first, middle, before)
        for i in middle..<last where before(a[i], a[first]) {
            let value = a[i]
            a[i] = a[first]
            adjustHeap(&a, first, 0, middle - first, value, before)
        }
    }

    /// `std::__unguarded_partition_pivot`: median-of-three pivot, then partition.
    static func unguardedPartitionPivot<T>(_ a: inout [T], _ first: Int, _ last: Int, _ before: (T, T) -> Bool) -> Int {
        let mid = first + (last - first) / 2
        moveMedianToFirst(&a, first, first + 1, mid, last - 1, before)
        return unguardedPartition(&a, first + 1, last, first, before)
    }

    /// `std::__move_median_to_first`: the median of three elements swapped into `result`.
    static func moveMedianToFirst<T>(
        _ a: inout [T], _ result: Int, _ x: Int, _ y: Int, _ z: Int, _ before: (T, T) -> Bool
    ) {
        if before(a[x], a[y]) {
            if before(a[y], a[z]) {
                a.swapAt(result, y)
            } else if before(a[x], a[z]) {
                a.swapAt(result, z)
            } else {
                a.swapAt(result, x)
            }
        } else if before(a[x], a[z]) {
            a.swapAt(result, x)
        } else if before(a[y], a[z]) {
            a.swapAt(result, z)
        } else {
            a.swapAt(result, y)
        }
    }

    /// `std::__unguarded_partition` around the element at `pivot`.
    static func unguardedPartition<T>(_ a: inout [T], _ first: Int, _ last: Int, _ pivot: Int, _ before: (T, T) -> Bool)
        -> Int
    {
        var first = first
        var last = last
        while true {
            while before(a[first], a[pivot]) { first += 1 }
            last -= 1
            while before(a[pivot], a[last]) { last -= 1 }
            if !(first < last) { return first }
            a.swapAt(first, last)
            first += 1
        }
    }

    /// `std::__insertion_sort` on `a[first..<last]`.
    static func insertionSort<T>(_ a: inout [T], _ first: Int, _ last: Int, _ before: (T, T) -> Bool) {
        guard first != last else { return }
        for i in (first + 1)..<last {
            let value = a[i]
            if before(value, a[first]) {
                var j = i
                while j > first {
                    a[j] = a[j - 1]
                    j -= 1
                }
                a[first] = value
            } else {
                var hole = i
                var next = i - 1
                while before(value, a[next]) {
                    a[hole] = a[next]
                    hole = next
                    next -= 1
                }
                a[hole] = value
            }
        }
    }
}

/// TopK along `axis`: k from the attribute (opset 1-9) or the input (10+), `largest` and
/// `sorted` from opset 11. Equal values keep the lower index first; with `sorted = 0` the
/// order is onnxruntime's (its heap order, or nth_element's).
struct TopKKernel: Kernel {
    /// The axis selected along (default -1).
    let axis: Int
    /// Largest values (default) or smallest.
    let largest: Bool
    /// Outputs in rank order (default) or in onnxruntime's selection order.
    let sorted: Bool
    /// Opset 1-9 k (later opsets pass it as input 2).
    let attributeK: Int?

    init(_ node: ExecNode, opset: Int) throws {
        let attributes = Attributes(node)
        axis = try attributes.int("axis", default: -1)
        largest = try attributes.int("largest", default: 1) != 0
        sorted = try attributes.int("sorted", default: 1) != 0
        attributeK = try attributes.int("k")
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let k: Int
        if let kTensor = optionalInput(inputs, 1) {
            let values = try integers(kTensor, "k")
            guard values.count == 1 else { throw ExecError("k must hold one value") }
            k = values[0]
        } else if let attributeK {
            k = attributeK
        } else {
            throw ExecError("TopK needs k")
        }
        guard data.rank > 0 else { throw ExecError("TopK needs a tensor of rank 1 or more") }
        let axis = try Shapes.axis(self.axis, rank: data.rank)
        let dim = data.shape[axis]
        guard k >= 0, k <= dim else {
            throw ExecError("k = \(k) is outside 0...\(dim) (axis \(axis) of \(data.shape))")
        }
        var shape = data.shape
        shape[axis] = k
        let order: [Int]
        switch data.storage {
        case .float(let v): order = select(v, shape: data.shape, axis: axis, k: k)
        case .float16: order = select(data.floatValues, shape: data.shape, axis: axis, k: k)
        case .double(let v): order = select(v, shape: data.shape, axis: axis, k: k)
        case .bool: throw ExecError("TopK does not support bool")
        default: order = select(data.int64Values, shape: data.shape, axis: axis, k: k)
        }
        // `order` holds flat source positions in output order.
        let inner = data.shape[(axis + 1)...].reduce(1, *)
        let size = data.storage.elementSize
        let values = data.storage.withRawBytes { source in
            data.storage.makeLike(count: order.count) { target in
                guard let s = source.baseAddress, let t = target.baseAddress else { return }
                for (position, offset) in order.enumerated() {
                    (t + position * size).copyMemory(from: s + offset * size, byteCount: size)
                }
            }
        }
        let indices = order.map { Int64(($0 / inner) % max(dim, 1)) }
        return [Tensor(shape: shape, storage: values), Tensor(shape: shape, int64s: indices)]
    }

    /// Flat source positions of the selected elements, laid out like the outputs.
    func select<T: Comparable>(_ values: [T], shape: [Int], axis: Int, k: Int) -> [Int] {
        let rows = shape[..<axis].reduce(1, *)
        let blocks = shape[axis]
        let slice = shape[(axis + 1)...].reduce(1, *)
        let columns = blocks * slice
        var out = [Int](repeating: 0, count: rows * k * slice)
        guard k > 0, slice > 0 else { return out }
        let largest = self.largest
        return values.withUnsafeBufferPointer { v in
            // ORT's comparator: better value first, equal values by lower position.
            let before: (Int, Int) -> Bool =
                largest
                ? { a, b in v[a] > v[b] || (v[a] == v[b] && a < b) }
                : { a, b in v[a] < v[b] || (v[a] == v[b] && a < b) }
            let better: (T, T) -> Bool = largest ? { $0 > $1 } : { $0 < $1 }
            let usePriorityQueue = k != 1 && (k < 4 || log2(Double(k)) / log2(Double(blocks)) < 0.725)
            var holder = [Int](repeating: 0, count: usePriorityQueue ? k : blocks)
            for row in 0..<rows {
                let rowOffset = row * columns
                for j in 0..<slice {
                    func emit(_ l: Int, _ index: Int) { out[(row * k + l) * slice + j] = index }
                    if k == 1 {
                        var best = rowOffset + j
                        for l in 1..<blocks {
                            let current = rowOffset + l * slice + j
                            if better(v[current], v[best]) { best = current }
                        }
                        emit(0, best)
                    } else if usePriorityQueue {
                        var current = rowOffset + j
                        for l in 0..<k {
                            holder[k - l - 1] = current
                            Self.heapify(&holder, k - l - 1, k, before)
                            current += slice
                        }
                        for _ in k..<blocks {
                            if better(v[current], v[holder[0]]) {
                                holder[0] = current
                                Self.heapify(&holder, 0, k, before)
                            }
                            current += slice
                        }
                        if sorted {
                            for l in 0..<k {
                                emit(k - l - 1, holder[0])
                                holder[0] = holder[k - l - 1]
                                Self.heapify(&holder, 0, k - l - 1, before)
                            }
                        } else {
                            for l in 0..<k { emit(l, holder[l]) }
                        }
                    } else {
                        for l in 0..<blocks { holder[l] = rowOffset + l * slice + j }
                        StdAlgorithms.nthElement(&holder, k - 1, before)
                        if sorted {
                            var top = Array(holder[0..<k])
                            top.sort(by: before)
                            for l in 0..<k { emit(l, top[l]) }
                        } else {
                            for l in 0..<k { emit(l, holder[l]) }
                        }
                    }
                }
            }
            return out
        }
    }

    /// ORT's `HeapifyIthPosition`: a heap whose root is the weakest of the k kept so far.
    static func heapify(_ heap: inout [Int], _ start: Int, _ k: Int, _ before: (Int, Int) -> Bool) {
        var i = start
        while true {
            let left = 2 * i + 1
            let right = left + 1
            if right < k {
                let replacesLeft = before(heap[i], heap[left])
                if replacesLeft && before(heap[right], heap[left]) {
                    heap.swapAt(i, left)
                    i = left
                } else if replacesLeft || before(heap[i], heap[right]) {
                    heap.swapAt(i, right)
                    i = right
                } else {
                    break
                }
            } else if left < k && before(heap[i], heap[left]) {
                heap.swapAt(i, left)
                i = left
            } else {
                break
            }
        }
    }
}

/// NonMaxSuppression as onnxruntime's CPU kernel does it: per batch and class, candidates
/// above `score_threshold` (when given) are visited by decreasing score (equal scores by
/// increasing box index, as onnxruntime 1.20 orders them), and each is kept unless it
/// overlaps a kept one by more than `iou_threshold` (IoU computed float for float). Output
/// rows (batch, class, box) come in that order.
struct NonMaxSuppressionKernel: Kernel {
    /// Boxes are (x center, y center, width, height) instead of two corners (y1, x1, y2, x2).
    let centerPointBox: Bool

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        let value = try attributes.int("center_point_box", default: 0)
        guard value == 0 || value == 1 else { throw attributes.error("center_point_box must be 0 or 1, got \(value)") }
        centerPointBox = value == 1
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let boxTensor = try required(inputs, 0)
        let scoreTensor = try required(inputs, 1)
        guard case .float(let boxes) = boxTensor.storage, case .float(let scores) = scoreTensor.storage else {
            throw ExecError("boxes and scores must be float tensors")
        }
        guard boxTensor.rank == 3, scoreTensor.rank == 3 else { throw ExecError("boxes and scores must be 3-D") }
        let batches = boxTensor.shape[0]
        let boxCount = boxTensor.shape[1]
        let classes = scoreTensor.shape[1]
        guard scoreTensor.shape[0] == batches, scoreTensor.shape[2] == boxCount, boxTensor.shape[2] == 4 else {
            throw ExecError("boxes \(boxTensor.shape) and scores \(scoreTensor.shape) do not match")
        }
        let maxOutput = max(optionalInput(inputs, 2).flatMap { $0.int64Values.first } ?? 0, 0)
        let iouThreshold = optionalInput(inputs, 3).flatMap { $0.floatValues.first } ?? 0
        guard iouThreshold >= 0, iouThreshold <= 1 else { throw ExecError("iou_threshold must be in [0, 1]") }
        let scoreThreshold = optionalInput(inputs, 4).flatMap { $0.floatValues.first }
        var selected: [Int64] = []
        if maxOutput > 0 {
            var candidates: [Int] = []
            var kept: [Int] = []
            for batch in 0..<batches {
                let boxOffset = batch * boxCount * 4
                for klass in 0..<classes {
                    let scoreOffset = (batch * classes + klass) * boxCount
                    candidates.removeAll(keepingCapacity: true)
                    for box in 0..<boxCount {
                        if let scoreThreshold, !(scores[scoreOffset + box] > scoreThreshold) { continue }
                        candidates.append(box)
                    }
                    // Highest score first, equal scores by lower box index (the order in which
                    // onnxruntime 1.20 pops its queue).
                    candidates.sort { a, b in
                        let (x, y) = (scores[scoreOffset + a], scores[scoreOffset + b])
                        return x > y || (x == y && a < b)
                    }
                    kept.removeAll(keepingCapacity: true)
                    for box in candidates {
                        let suppressed = kept.contains { suppress(boxes, boxOffset, $0, box, iouThreshold) }
                        guard !suppressed else { continue }
                        if kept.count >= maxOutput { break }
                        kept.append(box)
                        selected += [Int64(batch), Int64(klass), Int64(box)]
                    }
                }
            }
        }
        return [Tensor(shape: [selected.count / 3, 3], int64s: selected)]
    }

    /// ORT's `SuppressByIOU`, float for float.
    func suppress(_ boxes: [Float], _ offset: Int, _ first: Int, _ second: Int, _ threshold: Float) -> Bool {
        let a = offset + 4 * first
        let b = offset + 4 * second
        func minMax(_ p: Float, _ q: Float) -> (Float, Float) { p >= q ? (q, p) : (p, q) }
        let x1min: Float
        let x1max: Float
        let y1min: Float
        let y1max: Float
        let x2min: Float
        let x2max: Float
        let y2min: Float
        let y2max: Float
        if !centerPointBox {
            (x1min, x1max) = minMax(boxes[a + 1], boxes[a + 3])
            (x2min, x2max) = minMax(boxes[b + 1], boxes[b + 3])
            (y1min, y1max) = minMax(boxes[a], boxes[a + 2])
            (y2min, y2max) = minMax(boxes[b], boxes[b + 2])
        } else {
            let w1 = boxes[a + 2] / 2
            let h1 = boxes[a + 3] / 2
            let w2 = boxes[b + 2] / 2
            let h2 = boxes[b + 3] / 2
            (x1min, x1max) = (boxes[a] - w1, boxes[a] + w1)
            (x2min, x2max) = (boxes[b] - w2, boxes[b] + w2)
            (y1min, y1max) = (boxes[a + 1] - h1, boxes[a + 1] + h1)
            (y2min, y2max) = (boxes[b + 1] - h2, boxes[b + 1] + h2)
        }
        let ixMin = max(x1min, x2min)
        let ixMax = min(x1max, x2max)
        if ixMax <= ixMin { return false }
        let iyMin = max(y1min, y2min)
        let iyMax = min(y1max, y2max)
        if iyMax <= iyMin { return false }
        let intersection = (ixMax - ixMin) * (iyMax - iyMin)
        if intersection <= 0 { return false }
        let area1 = (x1max - x1min) * (y1max - y1min)
        let area2 = (x2max - x2min) * (y2max - y2min)
        let union = area1 + area2 - intersection
        if area1 <= 0 || area2 <= 0 || union <= 0 { return false }
        return intersection / union > threshold
    }
}
