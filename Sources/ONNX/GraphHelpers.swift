/// Queries the optimizer and executor ask of graphs and nodes: who produces a value, who
/// consumes it (subgraphs included), initializers and value infos by name, attributes by
/// name, and walks over every node and tensor including those inside Loop/If bodies.
extension GraphProto {
    /// The initializer called `name` (linear search; use `initializerIndex()` in loops).
    public func initializer(named name: String) -> TensorProto? {
        initializer.first { $0.name == name }
    }

    /// Position of each initializer by name (the last one wins on duplicates, as in ORT).
    public func initializerIndex() -> [String: Int] {
        var index: [String: Int] = [:]
        for (position, tensor) in initializer.enumerated() { index[tensor.name] = position }
        return index
    }

    /// The type information for `name` among inputs, outputs and value_info.
    public func valueInfo(named name: String) -> ValueInfoProto? {
        input.first { $0.name == name } ?? output.first { $0.name == name } ?? valueInfo.first { $0.name == name }
    }

    /// Position of the node producing each value.
    public func producerIndex() -> [String: Int] {
        var index: [String: Int] = [:]
        for (position, node) in node.enumerated() {
            for output in node.output where !output.isEmpty { index[output] = position }
        }
        return index
    }

    /// The node producing `value`, if a node does (not for inputs and initializers).
    public func producer(of value: String) -> NodeProto? {
        node.first { $0.output.contains(value) }
    }

    /// Positions of the nodes reading each value, in node order; a node whose subgraph reads a
    /// value from this scope counts as reading it (a Loop body using an outer tensor).
    public func consumerIndex() -> [String: [Int]] {
        var index: [String: [Int]] = [:]
        for (position, node) in node.enumerated() {
            var seen = Set<String>()
            for input in node.input where !input.isEmpty && seen.insert(input).inserted {
                index[input, default: []].append(position)
            }
            for name in node.implicitInputs.sorted() where seen.insert(name).inserted {
                index[name, default: []].append(position)
            }
        }
        return index
    }

    /// Positions of the nodes reading `value` (explicitly or from a subgraph).
    public func consumers(of value: String) -> [Int] {
        node.indices.filter { node[$0].input.contains(value) || node[$0].implicitInputs.contains(value) }
    }

    /// Names the graph's nodes read that the graph does not define (inputs, initializers,
    /// node outputs): for a subgraph, the values it takes from enclosing scopes.
    public var outerScopeReferences: Set<String> {
        var defined = Set(input.map(\.name))
        defined.formUnion(initializer.map(\.name))
        var used = Set<String>()
        for node in node {
            used.formUnion(node.input.filter { !$0.isEmpty })
            used.formUnion(node.implicitInputs)
            defined.formUnion(node.output)
        }
        used.formUnion(output.map(\.name))
        return used.subtracting(defined)
    }

    /// Calls `body` for every node, then recursively for the nodes of its subgraphs; `depth`
    /// is 0 in this graph, 1 in a body of one of its nodes, and so on.
    public func forEachNode(depth: Int = 0, _ body: (NodeProto, _ depth: Int) throws -> Void) rethrows {
        for node in node {
            try body(node, depth)
            for graph in node.subgraphs { try graph.forEachNode(depth: depth + 1, body) }
        }
    }

    /// Nodes in this graph and, recursively, in subgraphs.
    public var nodeCountIncludingSubgraphs: Int {
        var count = 0
        forEachNode { _, _ in count += 1 }
        return count
    }

    /// Visits every tensor the graph stores: initializers and tensor attributes (Constant
    /// values), recursively through subgraphs, letting `body` change them in place.
    public mutating func forEachTensor(_ body: (inout TensorProto) throws -> Void) rethrows {
        for index in initializer.indices { try body(&initializer[index]) }
        for index in node.indices { try node[index].forEachTensor(body) }
    }
}

/// Attribute lookup, subgraphs and outer-scope reads of a node.
extension NodeProto {
    /// The attribute called `name`, if the node has one: `node.attribute("kernel_shape")?.ints`.
    public func attribute(_ name: String) -> AttributeProto? {
        attribute.first { $0.name == name }
    }

    /// Subgraphs the node's attributes hold (Loop `body`, If `then_branch`/`else_branch`).
    public var subgraphs: [GraphProto] {
        attribute.flatMap(\.subgraphs)
    }

    /// Values the node's subgraphs read from enclosing scopes (empty for most nodes).
    public var implicitInputs: Set<String> {
        var names = Set<String>()
        for graph in subgraphs { names.formUnion(graph.outerScopeReferences) }
        return names
    }

    /// Visits the tensors the node's attributes hold, including those inside subgraphs.
    public mutating func forEachTensor(_ body: (inout TensorProto) throws -> Void) rethrows {
        for index in attribute.indices {
            // Taken out while `body` runs so that changing its data does not copy it.
            if var tensor = attribute[index].t {
                attribute[index].t = nil
                defer { attribute[index].t = tensor }
                try body(&tensor)
            }
            for position in attribute[index].tensors.indices { try body(&attribute[index].tensors[position]) }
            if var graph = attribute[index].g {
                attribute[index].g = nil
                defer { attribute[index].g = graph }
                try graph.forEachTensor(body)
            }
            for position in attribute[index].graphs.indices {
                try attribute[index].graphs[position].forEachTensor(body)
            }
        }
    }
}

/// Opset lookup and tensor walks over a whole model.
extension ModelProto {
    /// The opset version imported for `domain` ("" and "ai.onnx" are the same), nil if none.
    public func opsetVersion(domain: String) -> Int64? {
        let wanted = domain == "ai.onnx" ? "" : domain
        return opsetImport.first { ($0.domain == "ai.onnx" ? "" : $0.domain) == wanted }?.version
    }

    /// Visits every tensor of the model (main graph, subgraphs and function bodies).
    public mutating func forEachTensor(_ body: (inout TensorProto) throws -> Void) rethrows {
        try graph.forEachTensor(body)
        for function in functions.indices {
            for index in functions[function].node.indices { try functions[function].node[index].forEachTensor(body) }
        }
    }
}
