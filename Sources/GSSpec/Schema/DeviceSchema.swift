/// `kind: Device`: a class of edge hardware and the runtimes installed on it.
enum DeviceSchema {
    static let runtime = ObjectSchema(
        "Runtime", "an inference runtime installed on the device",
        [
            Property("name", .oneOf(RuntimeName.words), required: true, "the runtime"),
            Property("version", .text(.version), required: true, "installed version, quoted: \"1.17.1\""),
            Property("format", .oneOf(ModelFormat.words), required: true, "the model format it loads"),
            Property(
                "providers", .list(.text), "execution providers or plugins in use (cpu, cuda, tensorrt)"),
            Property(
                "precisions", .list(.oneOf(ComputePrecision.words), minItems: 1), required: true,
                "precisions it can execute"),
            Property(
                "fast", .list(.oneOf(ComputePrecision.words)),
                "precisions it executes faster than fp32 on this hardware (slow ones get a warning)"),
        ])

    static let cpu = ObjectSchema(
        "CPU", "the device's processor",
        [
            Property("features", .list(.oneOf(CPUFeature.words)), "instruction-set features"),
            Property("cores", .positiveInteger, "cores available to workloads"),
        ])

    static let spec = ObjectSchema(
        "DeviceSpec", "a class of edge hardware",
        [
            Property("arch", .oneOf(Arch.words), required: true, "CPU architecture"),
            Property("cpu", .object(cpu), "processor features and cores"),
            Property("memoryMB", .positiveInteger, "memory in MiB"),
            Property(
                "accelerators", .list(.oneOf(Accelerator.words)), default: "[none]",
                "accelerators present"),
            Property(
                "runtimes", .array(.object(runtime), minItems: 1), required: true,
                "installed runtimes, in order of preference"),
        ])
}
