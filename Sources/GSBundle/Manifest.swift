import GSCore

/// What a bundle holds and how it was built: the object a bundle's signature covers.
///
/// One bundle per workflow x device x precision. The core fields are typed because gsctl acts
/// on them (paths, digests, names); the parts the compiler and planner own (`models`,
/// `workflowGraph`, `environments`) stay JSON so their shape can grow without a format bump.
/// `ManifestCoding` turns it into canonical bytes and back; docs/bundle.md is the reference.
public struct Manifest: Hashable, Sendable {
    /// The only format this gsctl writes and reads.
    public static let currentFormat = "gsctl.bundle/v1"

    public var format: String = Manifest.currentFormat
    /// `<workflow>-<device>-<precision>`, e.g. `crowd-density-x86-gateway-int8-mixed`.
    public var id: String
    public var workflow: String
    public var device: String
    /// The precision policy the deployment asked for (`int8-mixed`, `fp16`, ...).
    public var precision: String
    /// What each model was compiled to under that policy (model name -> `int8`, `fp16`, ...).
    public var precisions: [String: String]
    public var gsctlVersion: String
    public var source: SourceInfo
    /// Each model's build cache key (model name -> sha256 of every input that matters).
    public var buildKeys: [String: String]
    /// Every file of the bundle, sorted by path bytes; the packer fills this in.
    public var files: [ManifestFile]
    /// Per model variant details from the compiler (sizes, node counts, accuracy, tolerance,
    /// golden input/output paths): an object keyed by model name.
    public var models: JSONValue
    /// The workflow DAG as the planner writes it (an object).
    public var workflowGraph: JSONValue
    /// Runtime environments (wheelhouses, interpreters) as the planner writes them (an object).
    public var environments: JSONValue

    public init(
        id: String, workflow: String, device: String, precision: String, precisions: [String: String] = [:],
        gsctlVersion: String = GSVersion.current, source: SourceInfo, buildKeys: [String: String] = [:],
        files: [ManifestFile] = [], models: JSONValue = .object([:]), workflowGraph: JSONValue = .object([:]),
        environments: JSONValue = .object([:])
    ) {
        self.id = id
        self.workflow = workflow
        self.device = device
        self.precision = precision
        self.precisions = precisions
        self.gsctlVersion = gsctlVersion
        self.source = source
        self.buildKeys = buildKeys
        self.files = files
        self.models = models
        self.workflowGraph = workflowGraph
        self.environments = environments
    }

    /// The listed file at `path`, if any.
    public func file(at path: String) -> ManifestFile? {
        files.first { $0.path == path }
    }

    /// Sum of the listed files' sizes.
    public var totalSize: Int { files.reduce(0) { $0 + $1.size } }
}

/// One file of a bundle: where it goes, what it holds, how it may be run.
public struct ManifestFile: Hashable, Sendable {
    /// Relative, `/`-separated, checked by `BundlePath`.
    public var path: String
    /// Lowercase hex SHA-256 of the content; also the blob's name in a `BlobStore`.
    public var sha256: String
    public var size: Int
    public var mode: FileMode

    public init(path: String, sha256: String, size: Int, mode: FileMode) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.mode = mode
    }
}

/// The two modes a bundle file may have: data or a program. Nothing else survives packing,
/// so a host never gets setuid bits or world-writable files from a bundle.
public enum FileMode: UInt32, Hashable, Sendable, CaseIterable {
    case regular = 0o644
    case executable = 0o755

    /// As written in manifests: `"0644"`, `"0755"`.
    public var text: String { self == .regular ? "0644" : "0755" }

    public init?(text: String) {
        guard let mode = FileMode.allCases.first(where: { $0.text == text }) else { return nil }
        self = mode
    }
}

/// Where a bundle came from: the specs it was built from and, in a git repository, the commit.
public struct SourceInfo: Hashable, Sendable {
    /// SHA-256 over the specs that produced the bundle.
    public var specDigest: String
    /// The commit the specs were read at; nil outside a git repository.
    public var gitCommit: String?
    /// Whether the work tree had uncommitted changes at build time.
    public var gitDirty: Bool

    public init(specDigest: String, gitCommit: String? = nil, gitDirty: Bool = false) {
        self.specDigest = specDigest
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
    }
}
