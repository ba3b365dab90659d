import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// One release as the host records it.
public struct ReleaseRecord: Hashable, Sendable {
    /// Directory name under `releases/` (`<id>-<12 hex>`).
    public var name: String
    public var bundleID: String
    public var manifestDigest: String
    /// The git revision the controller deployed it from (nil outside git).
    public var revision: String?
    /// Model -> build cache key: a controller on a fresh CI runner skips rebuilding these.
    public var buildKeys: [String: String]
    public var deployment: String?
    /// Unix seconds.
    public var activatedAt: Double

    public init(
        name: String, bundleID: String, manifestDigest: String, revision: String?, buildKeys: [String: String],
        deployment: String?, activatedAt: Double
    ) {
        self.name = name
        self.bundleID = bundleID
        self.manifestDigest = manifestDigest
        self.revision = revision
        self.buildKeys = buildKeys
        self.deployment = deployment
        self.activatedAt = activatedAt
    }
}

/// An entry of the host's history: what happened, to which release, and why.
public struct HistoryEntry: Hashable, Sendable {
    public enum Action: String, Sendable {
        case activated, failed
        case rolledBack = "rolled-back"
        case repaired, interrupted, removed
        /// `gsctl device bench` measured the model variants again.
        case measured
    }
    public var time: Double
    public var action: Action
    public var release: String
    public var revision: String?
    public var owner: String?
    public var reason: String?
}

/// An activation in flight: written before the old workflow stops, cleared when the new one
/// is recorded. Finding one means the agent died mid-switch; the next operation rolls back
/// to `from` before anything else (the host is then on the old release, never between).
public struct PendingActivation: Hashable, Sendable {
    public var target: ReleaseRecord
    public var from: ReleaseRecord?
    public var startedAt: Double

    public init(target: ReleaseRecord, from: ReleaseRecord?, startedAt: Double) {
        self.target = target
        self.from = from
        self.startedAt = startedAt
    }
}

/// `state.json`: the host's own record of what runs and what ran. The controller keeps
/// no state: `gsctl status`, `history` and `rollback` read it from the hosts.
public struct HostState: Hashable, Sendable {
    public var active: ReleaseRecord?
    public var previous: ReleaseRecord?
    public var pending: PendingActivation?
    /// Releases whose activation failed their health gates (never converged to again).
    public var failed: [String: String] = [:]
    public var history: [HistoryEntry] = []
    public var hostname: String = ""

    public init() {}

    /// At most this many history entries are kept (the oldest are dropped).
    public static let historyLimit = 200

    public mutating func record(_ entry: HistoryEntry) {
        history.append(entry)
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
    }

    // MARK: - Files

    public static func load(_ layout: HostLayout) throws(GSError) -> HostState {
        guard FileSystem.exists(layout.state) else { return HostState() }
        let value = try JSONParser.parse(try FileSystem.read(layout.state, limit: 16 << 20), what: layout.state)
        return try HostState(json: value, path: layout.state)
    }

    public func save(_ layout: HostLayout) throws(GSError) {
        try FileSystem.writeAtomically(json.canonical + "\n", to: layout.state)
    }

    // MARK: - JSON

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "format": "gsctl.host-state/v1",
            "active": active.map(Self.encode) ?? .null,
            "previous": previous.map(Self.encode) ?? .null,
            "failed": .object(failed.mapValues { .string($0) }),
            "history": .array(history.map(Self.encode)),
        ]
        if let pending {
            members["pending"] = [
                "target": Self.encode(pending.target), "from": pending.from.map(Self.encode) ?? .null,
                "startedAt": .double(pending.startedAt),
            ]
        }
        return .object(members)
    }

    public init(json: JSONValue, path: String) throws(GSError) {
        guard json["format"]?.stringValue == "gsctl.host-state/v1" else {
            throw GSError(
                "`\(path)` is not a gsctl host state (format gsctl.host-state/v1)",
                hint: "it was written by another tool or version; move it aside to start over")
        }
        active = try json["active"].flatMap { value throws(GSError) in try Self.decodeRelease(value, path: path) }
        previous = try json["previous"].flatMap { value throws(GSError) in try Self.decodeRelease(value, path: path) }
        if let pendingValue = json["pending"], !pendingValue.isNull,
            let target = try Self.decodeRelease(pendingValue["target"] ?? .null, path: path)
        {
            pending = PendingActivation(
                target: target, from: try Self.decodeRelease(pendingValue["from"] ?? .null, path: path),
                startedAt: pendingValue["startedAt"]?.doubleValue ?? 0)
        }
        failed = (json["failed"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        history = (json["history"]?.arrayValue ?? []).compactMap { entry in
            guard let action = entry["action"]?.stringValue.flatMap(HistoryEntry.Action.init(rawValue:)),
                let release = entry["release"]?.stringValue
            else { return nil }
            return HistoryEntry(
                time: entry["time"]?.doubleValue ?? 0, action: action, release: release,
                revision: entry["revision"]?.stringValue, owner: entry["owner"]?.stringValue,
                reason: entry["reason"]?.stringValue)
        }
    }

    public static func encode(_ record: ReleaseRecord) -> JSONValue {
        [
            "name": .string(record.name), "bundle": .string(record.bundleID),
            "manifest": .string(record.manifestDigest), "revision": .optional(record.revision),
            "buildKeys": .object(record.buildKeys.mapValues { .string($0) }),
            "deployment": .optional(record.deployment), "activatedAt": .double(record.activatedAt),
        ]
    }

    public static func encode(_ entry: HistoryEntry) -> JSONValue {
        [
            "time": .double(entry.time), "action": .string(entry.action.rawValue), "release": .string(entry.release),
            "revision": .optional(entry.revision), "owner": .optional(entry.owner), "reason": .optional(entry.reason),
        ]
    }

    public static func decodeRelease(_ value: JSONValue, path: String) throws(GSError) -> ReleaseRecord? {
        if value.isNull { return nil }
        guard let name = value["name"]?.stringValue, let bundle = value["bundle"]?.stringValue,
            let manifest = value["manifest"]?.stringValue
        else { throw GSError("`\(path)`: a release record lacks name, bundle or manifest") }
        return ReleaseRecord(
            name: name, bundleID: bundle, manifestDigest: manifest, revision: value["revision"]?.stringValue,
            buildKeys: (value["buildKeys"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
            deployment: value["deployment"]?.stringValue, activatedAt: value["activatedAt"]?.doubleValue ?? 0)
    }
}

/// Wall-clock seconds since 1970 (state records, lease expiry).
public func unixNow() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
