import GSAgent
import GSBuild
import GSBundle
import GSCore
import GSPlan

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Lets a build machine with an empty cache (a fresh CI runner) skip compiling what the
/// fleet already runs: hosts record each model's build key, so for a step whose key a
/// target host reports, the compiled model and its golden files are fetched from that host
/// and put in the cache. Only from releases whose manifest is signed by a key the
/// deployment trusts, and only files whose sha256 matches that manifest: the controller
/// never takes a host's word for what it runs.
public struct FleetSeed: Sendable {
    public let inventory: Inventory
    /// Step id -> hosts whose bundle contains that step.
    public let hosts: [String: [String]]
    /// Host -> the signing keys its deployments trust.
    public let trust: [String: [String]]

    public init(plan: Plan, inventory: Inventory) {
        self.inventory = inventory
        var stepsByBundle: [String: [String]] = [:]
        for bundle in plan.bundles { stepsByBundle[bundle.id] = bundle.models.flatMap(\.steps) }
        var hosts: [String: [String]] = [:]
        var trust: [String: [String]] = [:]
        for deployment in plan.deployments {
            for target in deployment.targets {
                for step in stepsByBundle[target.bundle] ?? [] where !(hosts[step]?.contains(target.host) ?? false) {
                    hosts[step, default: []].append(target.host)
                }
                trust[target.host, default: []] += deployment.trust
            }
        }
        self.hosts = hosts
        self.trust = trust
    }

    /// The cache hook: fills `<cache>/<key>/` from the first host that has it; where from.
    public func seed(_ step: BuildStep, key: String, cache: BuildCache) -> String? {
        for host in hosts[step.id] ?? [] {
            if (try? fetch(host, step: step, key: key, cache: cache)) == true { return "host \(host)" }
        }
        return nil
    }

    func fetch(_ host: String, step: BuildStep, key: String, cache: BuildCache) throws(GSError) -> Bool {
        let keys = try (trust[host] ?? []).map { path throws(GSError) in try Ed25519PublicKey.load(path: path) }
        guard !keys.isEmpty else { return false }
        let client = try AgentClient.connect(transport: try inventory.transport(host), timeout: 10)
        defer { client.close() }
        let active = try client.call("state")["state"]?["active"]
        guard active?["buildKeys"]?.objectValue?.values.contains(.string(key)) == true else { return false }
        let reply = try client.call("manifest")
        guard let text = reply["manifest"]?.stringValue, let signature = reply["signature"]?.stringValue else {
            return false
        }
        let manifestBytes = Array(text.utf8)
        _ = try SignatureCheck.check(
            manifestBytes: manifestBytes, signatureBytes: Array(signature.utf8), trustedKeys: keys)
        let manifest = try Manifest.decode(manifestBytes)
        guard let variants = manifest.models[step.model]?["variants"]?.objectValue,
            let variant = variants.values.first(where: { $0["buildKey"]?.stringValue == key }),
            let report = variant["report"]
        else { return false }
        let staging = FileSystem.join(cache.root, ".\(key).seed-\(getpid())")
        FileSystem.removeTree(staging)
        try FileSystem.makeDirectories(staging)
        defer { FileSystem.removeTree(staging) }
        for (member, name) in [
            ("model", "model.onnx"), ("goldenInput", "golden-input.npz"), ("goldenOutput", "golden-output.npz"),
        ] {
            guard let path = variant[member]?.stringValue, let listed = manifest.file(at: path) else { return false }
            let bytes = try client.callForBytes("fetch", ["path": .string(path)])
            guard bytes.count == listed.size, SHA256.hex(of: bytes) == listed.sha256 else {
                throw GSError("\(host): `\(path)` does not match its signed manifest")
            }
            try FileSystem.writeAtomically(bytes, to: FileSystem.join(staging, name))
        }
        try FileSystem.writeAtomically(report.pretty, to: FileSystem.join(staging, "report.json"))
        try FileSystem.writeAtomically(
            "host \(host), release \(active?["name"]?.stringValue ?? "?")\n", to: FileSystem.join(staging, "origin"))
        let final = FileSystem.join(cache.root, key)
        FileSystem.removeTree(final)
        guard FileSystem.rename(staging, to: final) else { return false }
        return true
    }
}
