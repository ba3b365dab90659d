#if canImport(Glibc)
    import Glibc
#endif

/// The CPU's instruction-set extensions as the kernel reports them (`/proc/cpuinfo` lists a
/// feature only when the kernel also saves its registers), for choosing kernels at run time.
public enum CPUFeatures {
    public static let flags: Set<Substring> = {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("flags") else { continue }
            let values = text.split(separator: ":", maxSplits: 1).last ?? ""
            return Set(values.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }))
        }
        return []
    }()

    public static func has(_ feature: String) -> Bool { flags.contains(Substring(feature)) }
}
