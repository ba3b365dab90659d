import GSCore

/// One host a Deployment target reaches, with the Device to build for and where each choice
/// was written (for findings).
public struct TargetHost: Sendable {
    public var host: Host
    public var targetIndex: Int
    public var target: Target
    /// The Device name: the target's override or the host's own.
    public var deviceName: String?
    public var deviceLocation: SourceLocation
    public var device: Device?
}

extension SpecIndex {
    /// Hosts of one target, by name order; names that match no Host are left out (the
    /// reference rule reports them).
    public func hosts(of target: Target) -> [Host] {
        if let selector = target.selector {
            guard !selector.isEmpty else { return sortedHosts }
            // Start from the label with the fewest hosts, keep those matching the rest.
            var smallest: [Host]?
            for (key, value) in selector {
                let list = hostsByLabel[key]?[value] ?? []
                if smallest == nil || list.count < smallest?.count ?? 0 { smallest = list }
            }
            guard let candidates = smallest else { return [] }
            if selector.count == 1 { return candidates }
            return candidates.filter { host in selector.allSatisfy { host.meta.labels[$0.key] == $0.value } }
        }
        var seen: Set<String> = []
        return target.hosts.compactMap { hosts[$0.value] }.filter { seen.insert($0.name).inserted }
            .sorted { $0.name < $1.name }
    }

    /// Every host a Deployment reaches, first target winning when two reach one host.
    public func targetHosts(of deployment: Deployment) -> [TargetHost] {
        var seen: Set<String> = []
        var result: [TargetHost] = []
        for (index, target) in deployment.targets.enumerated() {
            for host in self.hosts(of: target) where seen.insert(host.name).inserted {
                let deviceName = target.device?.value ?? host.device?.value
                let location = target.device?.location ?? host.device?.location ?? host.meta.document
                result.append(
                    TargetHost(
                        host: host, targetIndex: index, target: target, deviceName: deviceName,
                        deviceLocation: location, device: deviceName.flatMap { devices[$0] }))
            }
        }
        return result.sorted { $0.host.name < $1.host.name }
    }

    /// The precision a model runs at on a target, and where that choice was written.
    public func precision(of model: String, in deployment: Deployment, target: Target)
        -> (precision: Precision, location: SourceLocation)
    {
        if let override = target.models.first(where: { $0.model.value == model }) {
            return (override.precision.value, override.precision.location)
        }
        if let precision = target.precision { return (precision.value, precision.location) }
        return (deployment.precision, deployment.precisionLocation ?? target.location)
    }
}

extension Workflow {
    /// Names of the Models its tasks run, sorted and unique.
    public var modelNames: [String] {
        Array(Set(tasks.compactMap { $0.model?.value })).sorted()
    }
}
