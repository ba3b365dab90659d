import GSCore

/// GS500-GS503: every target device must load what gsctl compiles (ONNX) and run the
/// precision the Deployment asks for; a precision it runs but not fast is a warning, since
/// blind quantization can make a model slower (the talk's MobileNetV2: 89 -> 98 ms); INT8
/// needs calibration data to measure activation ranges on.
struct CompatibilityRule: Rule {
    var codes: [DiagnosticCode] { [.precisionUnsupported, .precisionSlow, .formatUnsupported, .calibrationMissing] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        var reported: Set<String> = []
        func report(_ diagnostic: Diagnostic) {
            let key = "\(diagnostic.code)|\(diagnostic.location)|\(diagnostic.message)"
            if reported.insert(key).inserted { findings.append(diagnostic) }
        }
        for deployment in context.specs.deployments {
            guard let workflow = deployment.workflow.flatMap({ context.index.workflows[$0.value] }) else { continue }
            let models = workflow.modelNames
            for target in context.index.targetHosts(of: deployment) {
                guard let device = target.device else { continue }
                let usable = device.runtimes.filter { $0.format.deliverable }
                if usable.isEmpty, !models.isEmpty {
                    let formats = Set(device.runtimes.map(\.format.rawValue)).sorted().joined(separator: ", ")
                    report(
                        Diagnostic(
                            .formatUnsupported, target.deviceLocation,
                            "device `\(device.name)` has no runtime that loads ONNX (it loads \(formats.isEmpty ? "nothing" : formats))",
                            hint: "add an onnxruntime, openvino or tensorrt runtime to the Device"))
                    continue
                }
                for model in models {
                    let (precision, location) = context.index.precision(
                        of: model, in: deployment, target: target.target)
                    if precision == .auto { continue }
                    if precision.needs.contains(.int8), let spec = context.index.models[model], spec.calibration == nil
                    {
                        report(
                            Diagnostic(
                                .calibrationMissing, location,
                                "\(precision.rawValue) for model `\(model)` needs calibration data, and its Model has none",
                                hint: "add `calibration: {data: ...}` to Model `\(model)`, or use fp16, fp32 or `auto`")
                        )
                    }
                    let runs = usable.filter { runtime in precision.needs.allSatisfy(runtime.precisions.contains) }
                    if runs.isEmpty {
                        let can = Set(usable.flatMap { $0.precisions.map(\.rawValue) }).sorted()
                        report(
                            Diagnostic(
                                .precisionUnsupported, location,
                                "no runtime of device `\(device.name)` runs \(precision.rawValue) (model `\(model)`, host `\(target.host.name)`)",
                                hint: "its runtimes run \(can.joined(separator: ", ")); choose one of those or `auto`"))
                        continue
                    }
                    let reduced = precision.needs.filter { $0 != .fp32 }
                    if !reduced.isEmpty, !runs.contains(where: { runtime in reduced.allSatisfy(runtime.fast.contains) })
                    {
                        report(
                            Diagnostic(
                                .precisionSlow, location,
                                "device `\(device.name)` runs \(precision.rawValue) but not fast (model `\(model)`)",
                                hint: "no runtime lists it under `fast`; use `auto` to let the device measure, or fp32")
                        )
                    }
                }
            }
        }
        return findings
    }
}
