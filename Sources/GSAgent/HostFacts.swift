import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// What the host is and how loaded it is, read from /proc: for `gsctl device probe`
/// (a Device spec from the real machine) and for `gsctl status` (the talk's workload view).
public enum HostFacts {
    public static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func text(_ path: String) -> String {
        String(decoding: (try? FileSystem.read(path, limit: 1 << 20)) ?? [], as: UTF8.self)
    }

    public static func architecture() -> String {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return machine == "aarch64" ? "arm64" : machine
    }

    /// CPU feature flags gsctl's Device spec knows, as the kernel reports them.
    public static func cpuFeatures() -> [String] {
        let known = [
            "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8", "neon",
            "asimd", "asimddp",
        ]
        var flags: Set<String> = []
        for line in text("/proc/cpuinfo").split(separator: "\n")
        where line.hasPrefix("flags") || line.hasPrefix("Features") {
            for flag in line.split(separator: ":").last?.split(separator: " ") ?? [] { flags.insert(String(flag)) }
        }
        var out = known.filter { flags.contains($0) }
        if out.contains("asimd") { out = out.filter { $0 != "asimd" } + ["neon"] }
        return Array(Set(out)).sorted()
    }

    public static func cores() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// (total, available) memory in MB.
    public static func memoryMB() -> (total: Int, available: Int) {
        var total = 0
        var available = 0
        for line in text("/proc/meminfo").split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kb = Int(parts[1]) else { continue }
            if parts[0] == "MemTotal:" { total = kb / 1024 }
            if parts[0] == "MemAvailable:" { available = kb / 1024 }
        }
        return (total, available)
    }

    /// 1, 5 and 15 minute load averages.
    public static func load() -> [Double] {
        text("/proc/loadavg").split(separator: " ").prefix(3).compactMap { Double($0) }
    }

    /// Accelerators visible on the host (device nodes).
    public static func accelerators() -> [String] {
        var found: [String] = []
        if FileSystem.exists("/dev/nvidia0") || FileSystem.exists("/dev/nvhost-ctrl-gpu") { found.append("cuda") }
        if FileSystem.exists("/dev/accel/accel0") { found.append("npu") }
        return found
    }

    /// Runtimes installed on the host: the Python interpreter and onnxruntime / OpenVINO in
    /// it, and TensorRT's trtexec, with their versions.
    public static func runtimes() -> [String: String] {
        var found: [String: String] = [:]
        if let output = try? Subprocess.run(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]),
            output.status == 0
        {
            found["python"] = output.text.trimmingSpaces
            for (name, module) in [("onnxruntime", "onnxruntime"), ("openvino", "openvino")] {
                if let probe = try? Subprocess.run(["python3", "-c", "import \(module) as m; print(m.__version__)"]),
                    probe.status == 0
                {
                    found[name] = probe.text.trimmingSpaces
                }
            }
        }
        if let probe = try? Subprocess.run(["sh", "-c", "command -v trtexec"]), probe.status == 0 {
            found["tensorrt"] = "trtexec"
        }
        return found
    }

    public static func json(root: String) -> JSONValue {
        let memory = memoryMB()
        var info = statvfs()
        let free = statvfs(root, &info) == 0 ? Int(info.f_bavail) * Int(info.f_frsize) : 0
        return [
            "hostname": .string(hostname()), "arch": .string(architecture()), "cpuFeatures": .strings(cpuFeatures()),
            "cores": .int(cores()), "memoryMB": .int(memory.total), "memoryAvailableMB": .int(memory.available),
            "load": .array(load().map { .double($0) }), "accelerators": .strings(accelerators()),
            "diskFreeBytes": .int(free),
        ]
    }
}
