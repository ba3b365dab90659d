import GSCore

/// `kind: Device`.
public struct Device: Sendable, Hashable {
    public var meta: ObjectMeta
    public var arch: Arch?
    public var cpuFeatures: [CPUFeature]
    public var cores: Int?
    public var memoryMB: Int?
    public var accelerators: [Accelerator]
    public var runtimes: [Runtime]

    public var name: String { meta.name.value }
}

public struct Runtime: Sendable, Hashable {
    public var name: RuntimeName
    public var version: String
    public var format: ModelFormat
    public var providers: [String]
    public var precisions: [ComputePrecision]
    public var fast: [ComputePrecision]
}

/// `kind: Host`.
public struct Host: Sendable, Hashable {
    public var meta: ObjectMeta
    public var device: Located<String>?
    public var transport: Transport
    public var address: String?
    public var port: Int
    public var user: String
    public var identityFile: String?
    public var root: String

    public var name: String { meta.name.value }
}

/// `kind: Model`.
public struct Model: Sendable, Hashable {
    public var meta: ObjectMeta
    public var source: Located<String>?
    public var sha256: Located<String>?
    public var task: ModelTask
    public var inputs: [ModelInput]
    public var preprocess: Preprocess?
    public var calibration: Calibration?
    public var evaluation: Evaluation
    public var latencyBudgetMs: Double?
    public var onAccuracyMiss: AccuracyMissAction
    public var quantization: Quantization = .static
    /// The fp16 variant takes and returns float16 where the original has float32, instead
    /// of keeping the original's interface with Casts at the border.
    public var fp16Interface = false

    public var name: String { meta.name.value }

    /// The source file's path as gsctl opens it (relative to the spec file's directory).
    public var sourcePath: String? {
        source.map { FileSystem.resolve($0.value, relativeTo: meta.directory) }
    }
}

public struct ModelInput: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var dtype: DType
    public var layout: Layout
}

public struct Preprocess: Sendable, Hashable {
    public var width: Int?
    public var height: Int?
    public var keepAspect: Bool
    /// With `keepAspect`: false never enlarges (see GSData's `Preprocessing.upscale`).
    public var upscale: Bool = true
    public var scale: Double
    public var mean: [Double]
    public var std: [Double]
    public var channelOrder: ChannelOrder
    /// A centre crop of the resized image (`crop: {width, height}`), the model's input size.
    public var cropWidth: Int? = nil
    public var cropHeight: Int? = nil
}

public struct Calibration: Sendable, Hashable {
    public var data: Located<String>
    public var samples: Int
    public var method: CalibrationMethod
    public var percentile: Double
}

public struct Evaluation: Sendable, Hashable {
    public var data: Located<String>?
    public var samples: Int
    public var metric: Metric
    public var labels: Located<String>?
    public var tolerance: Double
    /// The detection score the service counts from (box-f1, count-agreement); nil: 0.3.
    public var scoreThreshold: Double? = nil
    /// How far a score may move across the threshold before box-f1 counts a lost or new
    /// detection; nil: 0.05.
    public var scoreMargin: Double? = nil
    /// The tolerance must hold at the low end of the score's interval at this level (0.95:
    /// the drop stays within the tolerance on data like the samples with 97.5% probability);
    /// nil: the score alone is checked.
    public var confidence: Double? = nil
}

/// `kind: Workflow`.
public struct Workflow: Sendable, Hashable {
    public var meta: ObjectMeta
    public var description: String?
    public var environments: [Environment]
    public var tasks: [WorkflowTask]

    public var name: String { meta.name.value }
}

public struct Environment: Sendable, Hashable {
    public var name: Located<String>
    public var python: String
    public var packages: [String]
}

public struct WorkflowTask: Sendable, Hashable {
    public var name: Located<String>
    public var uses: TaskKind?
    public var model: Located<String>?
    public var mode: TaskMode
    public var command: [String]
    public var args: [String]
    public var env: [String: String]
    public var needs: [Located<String>]
    public var params: JSONValue
    public var output: Handoff
    public var port: Located<Int>?
    public var files: [Located<String>]
    public var environment: Located<String>?
    public var cpu: Double?
    public var memoryMB: Int?
    public var restart: Restart
    public var health: Health?
    public var timeoutSeconds: Double?
    /// Where the task's `output` was written (for findings about it).
    public var outputLocation: SourceLocation?
}

public struct Restart: Sendable, Hashable {
    public var policy: RestartPolicy
    public var backoffSeconds: Double
    public var maxBackoffSeconds: Double
    public var maxRestarts: Int?
}

public struct Health: Sendable, Hashable {
    public enum Probe: Sendable, Hashable {
        case http(path: String, port: Located<Int>)
        case exec([String])
        case none
    }

    public var probe: Probe
    public var initialDelaySeconds: Double
    public var periodSeconds: Double
    public var timeoutSeconds: Double
    public var failureThreshold: Int
}

/// `kind: Deployment`.
public struct Deployment: Sendable, Hashable {
    public var meta: ObjectMeta
    public var workflow: Located<String>?
    public var precision: Precision
    /// Where `precision` was written; nil when it is the default.
    public var precisionLocation: SourceLocation?
    public var targets: [Target]
    public var rollout: Rollout
    public var trust: [Located<String>]

    public var name: String { meta.name.value }
}

public struct Target: Sendable, Hashable {
    public var location: SourceLocation
    public var hosts: [Located<String>]
    public var selector: [String: String]?
    public var device: Located<String>?
    public var precision: Located<Precision>?
    /// Per-model precision overrides, in the order written.
    public var models: [ModelOverride]
}

/// `models: {person-detector: fp32}` in a target: the name (where it was written, for
/// references) and the precision (for compatibility findings).
public struct ModelOverride: Sendable, Hashable {
    public var model: Located<String>
    public var precision: Located<Precision>
}

/// A count of hosts or a percentage of them.
public enum HostCount: Sendable, Hashable {
    case count(Int)
    case percent(Int)

    /// Hosts this amounts to out of `total`; percentages round up so 10% of 3 is 1.
    public func resolve(total: Int) -> Int {
        switch self {
        case .count(let n): return n
        case .percent(let p): return (total * p + 99) / 100
        }
    }

    public var description: String {
        switch self {
        case .count(let n): "\(n)"
        case .percent(let p): "\(p)%"
        }
    }
}

public struct Rollout: Sendable, Hashable {
    public var location: SourceLocation?
    public var canary: Int
    public var batchSize: Int?
    public var maxUnavailable: HostCount?
    public var failureThreshold: HostCount
    public var pauseSeconds: Double
    public var onFailure: FailureAction

    public static func defaults() -> Rollout {
        Rollout(
            location: nil, canary: 0, batchSize: nil, maxUnavailable: nil, failureThreshold: .count(0),
            pauseSeconds: 0, onFailure: .rollbackBatch)
    }
}
