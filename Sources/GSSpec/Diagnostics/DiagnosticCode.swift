import GSCore

/// Every finding gsctl lint can report, with its stable code and default severity.
///
/// The codes are an interface: CI configurations, SARIF rules and suppressions name them, so
/// a code never changes meaning. docs/diagnostics.md documents each one (a test keeps the
/// two in step) and every code has a fixture test asserting where it is reported.
public enum DiagnosticCode: String, CaseIterable, Sendable {
    // Files and YAML
    case unreadableFile = "GS100"
    case yamlSyntax = "GS101"
    case notText = "GS102"
    case duplicateKey = "GS103"
    case tooDeep = "GS104"
    case aliasBomb = "GS105"
    case fileTooLarge = "GS106"
    case emptyFile = "GS107"
    case unsupportedYAML = "GS108"
    // Documents against the schema
    case apiVersion = "GS200"
    case unknownKind = "GS201"
    case unknownKey = "GS202"
    case wrongType = "GS203"
    case notAllowed = "GS204"
    case invalidValue = "GS205"
    case missingField = "GS206"
    case implicitType = "GS207"
    case yaml11Bool = "GS208"
    case duplicateItem = "GS209"
    // Names and references
    case duplicateName = "GS300"
    case unknownReference = "GS301"
    case selectorMatchesNothing = "GS302"
    case missingFile = "GS303"
    case digestMismatch = "GS304"
    case hostTargetedTwice = "GS305"
    case unusedObject = "GS306"
    case hostInTwoDeployments = "GS307"
    // Workflow graphs
    case cycle = "GS400"
    case taskNeedsModel = "GS401"
    case streamFromJob = "GS403"
    case portConflict = "GS404"
    // Device compatibility
    case precisionUnsupported = "GS500"
    case precisionSlow = "GS501"
    case formatUnsupported = "GS502"
    case calibrationMissing = "GS503"
    // Rollouts and trust
    case canaryTooLarge = "GS600"
    case thresholdUnreachable = "GS601"
    case invalidKey = "GS602"

    public var severity: Severity {
        switch self {
        case .emptyFile, .implicitType, .yaml11Bool, .duplicateItem, .precisionSlow, .canaryTooLarge,
            .thresholdUnreachable:
            .warning
        case .unusedObject: .note
        default: .error
        }
    }

    /// One line for the documentation and SARIF rule descriptions.
    public var title: String {
        switch self {
        case .unreadableFile: "file cannot be read"
        case .yamlSyntax: "YAML syntax error"
        case .notText: "file is not UTF-8 text"
        case .duplicateKey: "duplicate key in a mapping"
        case .tooDeep: "nesting deeper than the limit"
        case .aliasBomb: "aliases expand beyond the limit"
        case .fileTooLarge: "file larger than the limit"
        case .emptyFile: "file holds no documents"
        case .unsupportedYAML: "YAML feature specs do not use"
        case .apiVersion: "missing or unknown apiVersion"
        case .unknownKind: "missing or unknown kind"
        case .unknownKey: "unknown key"
        case .wrongType: "value of the wrong type"
        case .notAllowed: "value not among the allowed ones"
        case .invalidValue: "value out of range or badly formed"
        case .missingField: "required field missing"
        case .implicitType: "unquoted text that YAML tools read as another type"
        case .yaml11Bool: "YAML 1.1 boolean spelling"
        case .duplicateItem: "the same item twice in a list"
        case .duplicateName: "two objects of one kind share a name"
        case .unknownReference: "reference to an object that does not exist"
        case .selectorMatchesNothing: "label selector matches no host"
        case .missingFile: "referenced file does not exist"
        case .digestMismatch: "file does not match its sha256"
        case .hostTargetedTwice: "host targeted twice by one deployment"
        case .hostInTwoDeployments: "host targeted by two deployments"
        case .unusedObject: "object nothing uses"
        case .cycle: "dependency cycle between tasks"
        case .taskNeedsModel: "task kind needs a model"
        case .streamFromJob: "a job cannot feed a stream"
        case .portConflict: "two services of one workflow share a port"
        case .precisionUnsupported: "no runtime of the device runs this precision"
        case .precisionSlow: "the device runs this precision slowly"
        case .formatUnsupported: "no runtime of the device loads the model's format"
        case .calibrationMissing: "INT8 asked for a model without calibration data"
        case .canaryTooLarge: "canary count larger than the targeted hosts"
        case .thresholdUnreachable: "failure threshold can never be reached"
        case .invalidKey: "trusted key is missing or not an Ed25519 public key"
        }
    }
}

extension Diagnostic {
    /// A finding with the code's default severity.
    public init(
        _ code: DiagnosticCode, _ location: SourceLocation, _ message: String, hint: String? = nil
    ) {
        self.init(code: code.rawValue, severity: code.severity, location: location, message: message, hint: hint)
    }
}
