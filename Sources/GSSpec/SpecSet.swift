import GSCore

/// Every object of a spec repository, by kind, in a stable order (file, then position).
public struct SpecSet: Sendable {
    public var devices: [Device] = []
    public var hosts: [Host] = []
    public var models: [Model] = []
    public var workflows: [Workflow] = []
    public var deployments: [Deployment] = []
    public var files: [String] = []
    public var documentCount = 0

    public init() {}

    /// First object of each name (duplicates are reported by the linter).
    public func device(_ name: String) -> Device? { devices.first { $0.name == name } }
    public func host(_ name: String) -> Host? { hosts.first { $0.name == name } }
    public func model(_ name: String) -> Model? { models.first { $0.name == name } }
    public func workflow(_ name: String) -> Workflow? { workflows.first { $0.name == name } }

    /// Name indexes for rules and the planner that look names up many times.
    public func index() -> SpecIndex { SpecIndex(self) }

    mutating func append(_ other: SpecSet) {
        devices += other.devices
        hosts += other.hosts
        models += other.models
        workflows += other.workflows
        deployments += other.deployments
        files += other.files
        documentCount += other.documentCount
    }
}

/// Objects by name (the first of each name wins, as in lookups everywhere).
public struct SpecIndex: Sendable {
    public let devices: [String: Device]
    public let hosts: [String: Host]
    public let models: [String: Model]
    public let workflows: [String: Workflow]
    /// Every host, by name.
    public let sortedHosts: [Host]
    /// `key -> value -> hosts with that label`, each list sorted by name: selectors resolve
    /// from the smallest list instead of scanning every host for every target.
    let hostsByLabel: [String: [String: [Host]]]

    init(_ set: SpecSet) {
        devices = Dictionary(set.devices.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        hosts = Dictionary(set.hosts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        models = Dictionary(set.models.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        workflows = Dictionary(set.workflows.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        sortedHosts = hosts.values.sorted { $0.name < $1.name }
        var byLabel: [String: [String: [Host]]] = [:]
        for host in sortedHosts {
            for (key, value) in host.meta.labels { byLabel[key, default: [:]][value, default: []].append(host) }
        }
        hostsByLabel = byLabel
    }
}
