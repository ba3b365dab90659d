/// Control flow: Loop and If. Each subgraph gets its own nested `Executor`, prepared once
/// with the node; a run feeds it the iteration values and passes the enclosing values it
/// reads through `scope`.
enum ControlOps {
    /// Factories by op type, merged into `OpRegistry`.
    static let factories: [String: KernelFactory] = [
        "Loop": { node, context in try LoopKernel(node, context) },
        "If": { node, context in try IfKernel(node, context) },
    ]
}

/// Where a control-flow kernel finds the enclosing values its subgraphs read. The executor
/// appends a node's subgraph free names, sorted and minus those already among the explicit
/// inputs, after the explicit inputs; free names that are explicit inputs are read there.
struct OuterValues: Sendable {
    /// One enclosing value: its name and its position among the kernel's inputs.
    struct Entry: Sendable {
        let name: String
        let index: Int
    }
    /// Implicit inputs in the executor's order, then free names read from explicit inputs.
    let entries: [Entry]

    init(node: ExecNode) {
        let free = Executor.freeNames(of: node)
        let implicit = free.subtracting(node.inputs).sorted()
        var entries: [Entry] = []
        for (offset, name) in implicit.enumerated() {
            entries.append(Entry(name: name, index: node.inputs.count + offset))
        }
        for name in free.sorted() where !implicit.contains(name) {
            if let index = node.inputs.firstIndex(of: name) { entries.append(Entry(name: name, index: index)) }
        }
        self.entries = entries
    }

    /// The scope a subgraph run needs, read from the kernel's inputs.
    func scope(_ inputs: [Tensor?]) throws -> [String: Tensor] {
        var scope: [String: Tensor] = [:]
        for entry in entries {
            guard let value = optionalInput(inputs, entry.index) else {
                throw ExecError("enclosing value `\(entry.name)` read by a subgraph is missing")
            }
            scope[entry.name] = value
        }
        return scope
    }
}

/// Prepares a subgraph, naming the attribute in errors that have no node of their own.
func prepareSubgraph(_ graph: ExecGraph, _ attribute: String, of node: ExecNode, _ context: PrepareContext) throws
    -> Executor
{
    do {
        return try Executor(graph: graph, opset: context.opset, outerNames: context.outerNames)
    } catch let error as ExecError {
        throw ExecError("in subgraph `\(attribute)`: \(error.description)", node: node.label)
    }
}

/// A scalar the way a subgraph input declares it: rank 0, or `[1]` when declared so.
func loopScalar(_ storage: Tensor.Storage, declared: ValueInfo) -> Tensor {
    let shape = declared.shape?.count == 1 ? [1] : []
    return Tensor(shape: shape, storage: storage)
}

/// An empty tensor of an ONNX element type (zero-iteration Loop outputs).
func emptyTensor(shape: [Int], elementType: Int32?) -> Tensor {
    let storage: Tensor.Storage =
        switch elementType {
        case 10: .float16([])
        case 11: .double([])
        case 2: .uint8([])
        case 3: .int8([])
        case 6: .int32([])
        case 7: .int64([])
        case 9: .bool([])
        default: .float([])
        }
    return Tensor(shape: shape, storage: storage)
}

/// Loop: runs `body` while the iteration count is below `M` (input 0, optional) and the
/// condition (input 1, optional, then the body's first output) holds. Loop-carried values
/// go round; scan outputs are stacked along a new first axis.
struct LoopKernel: Kernel {
    /// The body, prepared once: inputs (iteration, condition, carried...), outputs
    /// (condition, carried..., scans...).
    let body: Executor
    /// Loop-carried values (N).
    let carriedCount: Int
    /// Scan outputs (K).
    let scanCount: Int
    /// Where the body's enclosing values are among the inputs.
    let outer: OuterValues

    init(_ node: ExecNode, _ context: PrepareContext) throws {
        let attributes = Attributes(node)
        let graph = try attributes.graph("body")
        guard graph.inputs.count >= 2 else {
            throw attributes.error("the body needs an iteration-number and a condition input")
        }
        carriedCount = graph.inputs.count - 2
        guard node.inputs.count == 2 + carriedCount else {
            throw attributes.error(
                "the node has \(node.inputs.count) inputs but its body carries \(carriedCount) values "
                    + "(expected \(2 + carriedCount))")
        }
        scanCount = node.outputs.count - carriedCount
        guard scanCount >= 0, graph.outputs.count == 1 + node.outputs.count else {
            throw attributes.error(
                "the body has \(graph.outputs.count) outputs; a node with \(node.outputs.count) outputs needs "
                    + "\(1 + node.outputs.count)")
        }
        body = try prepareSubgraph(graph, "body", of: node, context)
        outer = OuterValues(node: node)
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let graph = body.graph
        let tripLimit = optionalInput(inputs, 0).flatMap { $0.int64Values.first } ?? .max
        var condition = optionalInput(inputs, 1).map { $0.floatValues.first.map { $0 != 0 } ?? false } ?? true
        var carried = try (0..<carriedCount).map { try required(inputs, 2 + $0) }
        let scope = try outer.scope(inputs)
        var scans = [[Tensor]](repeating: [], count: scanCount)
        let outputNames = graph.outputs.map(\.name)
        var iteration: Int64 = 0
        while iteration < tripLimit && condition {
            var feeds: [String: Tensor] = [:]
            feeds[graph.inputs[0].name] = loopScalar(.int64([iteration]), declared: graph.inputs[0])
            feeds[graph.inputs[1].name] = loopScalar(.bool([condition]), declared: graph.inputs[1])
            for (index, value) in carried.enumerated() { feeds[graph.inputs[2 + index].name] = value }
            let results: [String: Tensor]
            do {
                results = try body.run(feeds, scope: scope)
            } catch let error as ExecError {
                throw ExecError("iteration \(iteration): \(error.description)")
            }
            let values = try outputNames.map { name in
                guard let value = results[name] else { throw ExecError("the body did not produce `\(name)`") }
                return value
            }
            guard let flag = values[0].floatValues.first else { throw ExecError("the body's condition is empty") }
            condition = flag != 0
            carried = Array(values[1..<(1 + carriedCount)])
            for index in 0..<scanCount { scans[index].append(values[1 + carriedCount + index]) }
            iteration += 1
        }
        var outputs = carried
        for (index, parts) in scans.enumerated() {
            let info = graph.outputs[1 + carriedCount + index]
            outputs.append(try Self.stack(parts, declared: info))
        }
        return outputs
    }

    /// Scan outputs stacked along a new first axis; every iteration must give one shape.
    static func stack(_ parts: [Tensor], declared: ValueInfo) throws -> Tensor {
        guard let first = parts.first else {
            let known = declared.shape.flatMap { dims in dims.allSatisfy { $0 != nil } ? dims.compactMap { $0 } : nil }
            return emptyTensor(shape: [0] + (known ?? []), elementType: declared.elementType)
        }
        for (index, part) in parts.enumerated()
        where part.shape != first.shape || !part.storage.sameType(as: first.storage) {
            throw ExecError(
                "scan output `\(declared.name)` changes from \(first.dataType) \(first.shape) to "
                    + "\(part.dataType) \(part.shape) at iteration \(index)")
        }
        let size = first.storage.elementSize
        let block = first.count * size
        let storage = first.storage.makeLike(count: first.count * parts.count) { target in
            guard let t = target.baseAddress else { return }
            for (index, part) in parts.enumerated() {
                part.storage.withRawBytes { source in
                    guard let s = source.baseAddress, block > 0 else { return }
                    (t + index * block).copyMemory(from: s, byteCount: block)
                }
            }
        }
        return Tensor(shape: [parts.count] + first.shape, storage: storage)
    }
}

/// If: runs `then_branch` or `else_branch` on the boolean scalar input and returns that
/// branch's outputs.
struct IfKernel: Kernel {
    /// The branches, prepared once.
    let thenBranch: Executor
    let elseBranch: Executor
    /// Where both branches' enclosing values are among the inputs.
    let outer: OuterValues

    init(_ node: ExecNode, _ context: PrepareContext) throws {
        let attributes = Attributes(node)
        let thenGraph = try attributes.graph("then_branch")
        let elseGraph = try attributes.graph("else_branch")
        for (graph, name) in [(thenGraph, "then_branch"), (elseGraph, "else_branch")] {
            guard graph.inputs.isEmpty else { throw attributes.error("`\(name)` must have no inputs") }
            guard graph.outputs.count == node.outputs.count else {
                throw attributes.error(
                    "`\(name)` has \(graph.outputs.count) outputs, the node has \(node.outputs.count)")
            }
        }
        thenBranch = try prepareSubgraph(thenGraph, "then_branch", of: node, context)
        elseBranch = try prepareSubgraph(elseGraph, "else_branch", of: node, context)
        outer = OuterValues(node: node)
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let condition = try required(inputs, 0)
        guard let flag = condition.floatValues.first, condition.count == 1 else {
            throw ExecError("the condition must hold one value, got shape \(condition.shape)")
        }
        let branch = flag != 0 ? thenBranch : elseBranch
        let results: [String: Tensor]
        do {
            results = try branch.run([:], scope: try outer.scope(inputs))
        } catch let error as ExecError {
            throw ExecError("in \(flag != 0 ? "then_branch" : "else_branch"): \(error.description)")
        }
        return try branch.graph.outputs.map { output in
            guard let value = results[output.name] else {
                throw ExecError("the branch did not produce `\(output.name)`")
            }
            return value
        }
    }
}
