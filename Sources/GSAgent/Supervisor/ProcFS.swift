import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// One line of `/proc/<pid>/stat`, the fields the supervisor uses.
    struct ProcessSample: Sendable, Hashable {
        var pid: pid_t
        /// `R`, `S`, `D`, `Z` (zombie), `X` (dead), ...
        var state: UInt8
        var parent: pid_t
        var group: pid_t
        /// Field 22: clock ticks after boot when the process started. With the pid it names a
        /// process for good: a recycled pid has another start time.
        var startTime: UInt64
        /// utime + stime, in clock ticks.
        var cpuTicks: UInt64
        /// Resident pages (field 24).
        var residentPages: Int

        /// Running or sleeping: a zombie has exited and only waits to be reaped.
        var isLiving: Bool { state != UInt8(ascii: "Z") && state != UInt8(ascii: "X") }
    }

    /// Reads `/proc`: whether a recorded process is still the same one, process groups, CPU
    /// time and memory. Plain reads of small files (no Foundation, nothing cached).
    enum ProcFS {
        static let ticksPerSecond = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))
        static let pageKB = max(1, sysconf(Int32(_SC_PAGESIZE)) / 1024)

        /// A small file's bytes (`/proc` files report size 0, so read until end of file).
        static func readSmall(_ path: String, limit: Int = 16384) -> [UInt8]? {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while bytes.count < limit {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                bytes += chunk[0..<count]
            }
            return bytes
        }

        static func sample(_ pid: pid_t) -> ProcessSample? {
            guard pid > 0, let bytes = readSmall("/proc/\(pid)/stat") else { return nil }
            return parse(stat: bytes)
        }

        /// Parses a stat line. The command name (field 2) may hold spaces and parentheses, so
        /// fields are counted after its last `)`.
        static func parse(stat bytes: [UInt8]) -> ProcessSample? {
            guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
                let close = bytes.lastIndex(of: UInt8(ascii: ")")), close > open
            else { return nil }
            let digits = bytes[..<open].filter { $0 != UInt8(ascii: " ") }
            guard let pid = Int32(String(decoding: digits, as: UTF8.self)) else { return nil }
            let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
            // fields[0] is field 3 (state), so field N is fields[N - 3].
            guard fields.count >= 22, let state = fields[0].first else { return nil }
            func number(_ field: Int) -> UInt64 { UInt64(String(decoding: fields[field - 3], as: UTF8.self)) ?? 0 }
            func signed(_ field: Int) -> Int { Int(String(decoding: fields[field - 3], as: UTF8.self)) ?? 0 }
            return ProcessSample(
                pid: pid, state: state, parent: pid_t(truncatingIfNeeded: signed(4)),
                group: pid_t(truncatingIfNeeded: signed(5)), startTime: number(22), cpuTicks: number(14) + number(15),
                residentPages: signed(24))
        }

        /// Whether `pid` is still the living process that started at `startTime`.
        static func isAlive(_ pid: pid_t, startTime: UInt64) -> Bool {
            guard let sample = sample(pid) else { return false }
            return sample.isLiving && sample.startTime == startTime
        }

        /// Every process that can be read, for sums over process groups.
        static func all() -> [ProcessSample] {
            guard let entries = try? FileSystem.list("/proc") else { return [] }
            var result: [ProcessSample] = []
            for entry in entries where entry.name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                if let sample = sample(pid_t(entry.name) ?? 0) { result.append(sample) }
            }
            return result
        }

        /// Living members of process group `group`.
        static func members(of group: pid_t) -> [ProcessSample] {
            guard group > 1 else { return [] }
            if kill(-group, 0) != 0, errno == ESRCH { return [] }
            return all().filter { $0.group == group && $0.isLiving }
        }

        /// `VmRSS` from `/proc/<pid>/status`, in KiB.
        static func residentKB(_ pid: pid_t) -> Int? {
            guard let bytes = readSmall("/proc/\(pid)/status") else { return nil }
            for line in bytes.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("VmRSS:".utf8)) {
                let digits = line.filter { $0 >= 0x30 && $0 <= 0x39 }
                return Int(String(decoding: digits, as: UTF8.self))
            }
            return nil
        }
    }
}
