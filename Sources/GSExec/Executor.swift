/// Runs an `ExecGraph` on the CPU: the reference the compiler calibrates and checks
/// accuracy with (FP32, FP16 and QDQ graphs alike).
///
/// Preparing resolves every value name to a slot, orders the nodes, builds one kernel per
/// node (attributes parsed once) and records each value's last use, so a run frees
/// activations as soon as nothing needs them and can observe every produced value (what
/// calibration records) without keeping them all alive.
public final class Executor: Sendable {
    public let graph: ExecGraph
    public let opset: Int
    let steps: [Step]
    let slotOfName: [String: Int]
    let slotCount: Int
    let constants: [(slot: Int, tensor: Tensor)]
    let inputSlots: [(name: String, slot: Int)]
    /// Values of enclosing graphs this graph reads (a Loop body's view of its parent).
    let outerSlots: [(name: String, slot: Int)]
    /// For each step, the slots whose last reader it is.
    let releases: [[Int]]
    /// The steps with each Conv -> Clip/Relu pair run as one kernel (the activation applied
    /// where the bias is added), for runs that neither observe values nor fetch a fused-away
    /// one (calibration observes the convolution's own output, so it runs `steps`).
    let fusedSteps: [Step]
    let fusedReleases: [[Int]]
    /// Slots the fused steps never fill: each fused convolution's own output.
    let fusedAway: Set<Int>
    /// The initializers plus every Constant node's value: the fused steps skip those nodes
    /// (a PP-OCR export has 308 of them, each a step per run).
    let fusedConstants: [(slot: Int, tensor: Tensor)]

    struct Step: Sendable {
        let node: ExecNode
        let kernel: any Kernel
        let inputs: [Int?]
        let outputs: [Int?]
    }

    /// Prepares `graph`. `outerNames` are values an enclosing graph provides at run time.
    public init(graph: ExecGraph, opset: Int, outerNames: Set<String> = []) throws {
        self.graph = graph
        self.opset = opset
        var slots: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let existing = slots[name] { return existing }
            slots[name] = slots.count
            return slots.count - 1
        }
        var available = Set(graph.inputs.map(\.name)).union(graph.initializers.keys)
        let constants = graph.initializers.sorted { $0.key < $1.key }.map { (slot($0.key), $0.value) }
        let inputSlots = graph.inputs.filter { graph.initializers[$0.name] == nil }.map { ($0.name, slot($0.name)) }
        var outer: [(String, Int)] = []
        var steps: [Step] = []
        for node in try Self.topologicalOrder(graph.nodes, available: available.union(outerNames)) {
            // Subgraphs may read values of this graph: they become implicit inputs.
            let implicit = Self.freeNames(of: node).subtracting(node.inputs).sorted()
            for name in node.inputs + implicit where !name.isEmpty && !available.contains(name) {
                if outerNames.contains(name) {
                    outer.append((name, slot(name)))
                    available.insert(name)
                } else {
                    throw ExecError("input `\(name)` is produced by no node, input or initializer", node: node.label)
                }
            }
            var prepared = node
            prepared.inputs += implicit
            let kernel = try OpRegistry.kernel(for: node, opset: opset, outerNames: available.union(outerNames))
            steps.append(
                Step(
                    node: prepared, kernel: kernel,
                    inputs: prepared.inputs.map { $0.isEmpty ? nil : slot($0) },
                    outputs: node.outputs.map { $0.isEmpty ? nil : slot($0) }))
            available.formUnion(node.outputs.filter { !$0.isEmpty })
        }
        for output in graph.outputs where !available.contains(output.name) {
            throw ExecError("graph output `\(output.name)` is produced by no node")
        }
        // Last readers: a value is released after its last step unless it is a graph output.
        let kept = Set(graph.outputs.compactMap { slots[$0.name] })
        // Constant nodes become values first, so a Clip whose bounds they give can be fused.
        var fusedConstants = constants
        var withoutConstants: [Step] = []
        for step in steps {
            if let constant = step.kernel as? ConstantKernel, step.outputs.count == 1, let slot = step.outputs[0] {
                fusedConstants.append((slot, constant.value))
            } else {
                withoutConstants.append(step)
            }
        }
        let constantValues = Dictionary(fusedConstants.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        let (fusedSteps, fusedAway) = Self.fuseActivations(withoutConstants, kept: kept, constants: constantValues)
        self.steps = steps
        self.releases = Self.releases(steps, kept: kept)
        self.fusedSteps = fusedSteps
        self.fusedReleases = Self.releases(fusedSteps, kept: kept)
        self.fusedAway = fusedAway
        self.fusedConstants = fusedConstants
        self.slotOfName = slots
        self.slotCount = slots.count
        self.constants = constants
        self.inputSlots = inputSlots
        self.outerSlots = outer
    }

    /// For each step, the slots it reads last (released after it), graph outputs aside.
    static func releases(_ steps: [Step], kept: Set<Int>) -> [[Int]] {
        var lastUse: [Int: Int] = [:]
        for (index, step) in steps.enumerated() {
            for case let input? in step.inputs { lastUse[input] = index }
        }
        var releases = Array(repeating: [Int](), count: steps.count)
        for (slotIndex, stepIndex) in lastUse where !kept.contains(slotIndex) {
            releases[stepIndex].append(slotIndex)
        }
        return releases
    }

    /// `steps` with every Conv whose output only a Clip (constant bounds) or a Relu reads
    /// replaced by one Conv step writing the activation's output; and the slots that are
    /// then never filled.
    static func fuseActivations(_ steps: [Step], kept: Set<Int>, constants: [Int: Tensor]) -> ([Step], Set<Int>) {
        var readers: [Int: [Int]] = [:]
        for (index, step) in steps.enumerated() {
            for case let input? in step.inputs { readers[input, default: []].append(index) }
        }
        var fused: [Step] = []
        var away: Set<Int> = []
        var skip: Set<Int> = []
        for (index, step) in steps.enumerated() {
            if skip.contains(index) { continue }
            guard var conv = step.kernel as? ConvKernel, step.outputs.count == 1, let out = step.outputs[0],
                !kept.contains(out), let reader = readers[out], reader.count == 1, reader[0] > index,
                let bounds = activationBounds(steps[reader[0]], input: out, constants: constants)
            else {
                fused.append(step)
                continue
            }
            conv.activation = bounds
            let activation = steps[reader[0]]
            fused.append(Step(node: step.node, kernel: conv, inputs: step.inputs, outputs: activation.outputs))
            away.insert(out)
            skip.insert(reader[0])
        }
        return (fused, away)
    }

    /// The clamp a Relu or a Clip applies to `input`, when it reads nothing else that
    /// varies (Clip's bounds from attributes or initializers).
    static func activationBounds(_ step: Step, input: Int, constants: [Int: Tensor]) -> (low: Float, high: Float)? {
        guard step.outputs.count == 1, step.outputs[0] != nil, step.inputs.first == input else { return nil }
        switch step.node.opType {
        case "Relu":
            return step.inputs.count == 1 ? (0, .infinity) : nil
        case "Clip":
            guard let clip = step.kernel as? ClipKernel, step.inputs.count <= 3 else { return nil }
            var bounds = (low: clip.attributeMin, high: clip.attributeMax)
            for (position, slot) in step.inputs.enumerated().dropFirst() {
                guard let slot else { continue }
                guard slot != input, let value = constants[slot], value.isFloatingPoint, value.count == 1 else {
                    return nil
                }
                if position == 1 { bounds.low = value.floatValues[0] } else { bounds.high = value.floatValues[0] }
            }
            return bounds
        default:
            return nil
        }
    }

    /// Runs the graph. `fetch` names the values to return (default: the graph outputs);
    /// `observe` sees every value a node produces, in execution order; `scope` supplies
    /// values of enclosing graphs.
    public func run(
        _ feeds: [String: Tensor], fetch: [String]? = nil, scope: [String: Tensor] = [:],
        observe: ((String, Tensor) -> Void)? = nil
    ) throws -> [String: Tensor] {
        let wanted = Set((fetch ?? graph.outputs.map(\.name)).compactMap { slotOfName[$0] })
        let fuse = observe == nil && wanted.isDisjoint(with: fusedAway)
        var values = [Tensor?](repeating: nil, count: slotCount)
        for (slot, tensor) in fuse ? fusedConstants : constants { values[slot] = tensor }
        for (name, slot) in inputSlots {
            guard let tensor = feeds[name] else {
                throw ExecError("no value fed for graph input `\(name)`")
            }
            values[slot] = tensor
        }
        for (name, slot) in outerSlots {
            guard let tensor = scope[name] else { throw ExecError("outer value `\(name)` is missing") }
            values[slot] = tensor
        }
        let context = RunContext(opset: opset)
        let steps = fuse ? fusedSteps : self.steps
        let releases = fuse ? fusedReleases : self.releases
        for (index, step) in steps.enumerated() {
            let inputs = step.inputs.map { $0.flatMap { values[$0] } }
            let outputs: [Tensor]
            do {
                outputs = try step.kernel.run(inputs, context)
            } catch let error as ExecError {
                throw error.node == nil ? ExecError(error.message, node: step.node.label) : error
            }
            guard outputs.count >= step.outputs.compactMap({ $0 }).count else {
                throw ExecError(
                    "kernel produced \(outputs.count) outputs, the node has \(step.outputs.count)",
                    node: step.node.label)
            }
            for (position, slot) in step.outputs.enumerated() {
                guard let slot, position < outputs.count else { continue }
                values[slot] = outputs[position]
                if let observe { observe(step.node.outputs[position], outputs[position]) }
            }
            for slot in releases[index] where !wanted.contains(slot) { values[slot] = nil }
        }
        var result: [String: Tensor] = [:]
        for name in fetch ?? graph.outputs.map(\.name) {
            guard let slot = slotOfName[name], let tensor = values[slot] else {
                throw ExecError("value `\(name)` was not computed")
            }
            result[name] = tensor
        }
        return result
    }

    /// Nodes ordered so every input is produced first (ONNX asks for this order, but real
    /// files do not always keep it). A cycle is an error naming a node on it.
    static func topologicalOrder(_ nodes: [ExecNode], available: Set<String>) throws -> [ExecNode] {
        var producer: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty { producer[output] = index }
        }
        var dag = [[Int]](repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for name in node.inputs + Self.freeNames(of: node).sorted() where !name.isEmpty && !available.contains(name)
            {
                if let source = producer[name], source != index { dag[index].append(source) }
            }
        }
        var pending = dag.map { Set($0).count }
        var dependents = [[Int]](repeating: [], count: nodes.count)
        for (index, sources) in dag.enumerated() { for source in Set(sources) { dependents[source].append(index) } }
        var ready = (0..<nodes.count).filter { pending[$0] == 0 }
        var order: [Int] = []
        var head = 0
        while head < ready.count {
            let index = ready[head]
            head += 1
            order.append(index)
            for dependent in dependents[index].sorted() {
                pending[dependent] -= 1
                if pending[dependent] == 0 { ready.append(dependent) }
            }
        }
        guard order.count == nodes.count else {
            let stuck = (0..<nodes.count).first { pending[$0] > 0 }.map { nodes[$0].label } ?? "?"
            throw ExecError("the graph has a cycle", node: stuck)
        }
        return order.map { nodes[$0] }
    }

    /// Names the node's subgraphs read from enclosing scopes.
    static func freeNames(of node: ExecNode) -> Set<String> {
        var names: Set<String> = []
        for attribute in node.attributes.values {
            switch attribute {
            case .graph(let graph): names.formUnion(freeNames(of: graph))
            case .graphs(let graphs): for graph in graphs { names.formUnion(freeNames(of: graph)) }
            default: break
            }
        }
        return names
    }

    static func freeNames(of graph: ExecGraph) -> Set<String> {
        var defined = Set(graph.inputs.map(\.name)).union(graph.initializers.keys)
        var free: Set<String> = []
        for node in graph.nodes {
            for name in node.inputs where !name.isEmpty && !defined.contains(name) { free.insert(name) }
            for name in freeNames(of: node) where !defined.contains(name) { free.insert(name) }
            defined.formUnion(node.outputs)
        }
        return free
    }
}
