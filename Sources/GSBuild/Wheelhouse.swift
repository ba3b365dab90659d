import GSCore
import GSSpec

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A workflow environment's packages as wheels for the device's platform, shipped inside
/// the bundle so a host installs them with no package index (`pip install --no-index`).
/// Wheels are fetched once per (Python version, platform, pinned packages) by the build
/// machine's pip (`GSCTL_PIP_PYTHON`, default `python3`) and cached beside the build cache.
public enum Wheelhouse {
    public struct Fetched: Sendable {
        /// sha256 over the Python version, the platform and the sorted package pins.
        public var key: String
        public var directory: String
        public var wheels: [String]
    }

    /// pip's platform tags for a device's architecture (manylinux; pure wheels always fit).
    static func platforms(_ arch: Arch?) -> [String] {
        switch arch ?? .x86_64 {
        case .x86_64: return ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "linux_x86_64"]
        case .arm64:
            return ["manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64", "linux_aarch64"]
        case .armv7: return ["linux_armv7l"]
        }
    }

    public static func key(_ environment: Environment, arch: Arch?) -> String {
        let lines =
            [
                "gsctl.wheelhouse/v1", "python=\(environment.python)",
                "platform=\(platforms(arch).joined(separator: ","))",
            ]
            + environment.packages.sorted()
        return SHA256.hex(of: lines.joined(separator: "\n"))
    }

    /// The wheels for `environment` on `arch`, from `cacheRoot/wheels/<key>` or downloaded.
    public static func fetch(
        _ environment: Environment, arch: Arch?, cacheRoot: String, progress: ((String) -> Void)?
    ) throws(GSError) -> Fetched {
        let key = key(environment, arch: arch)
        let directory = FileSystem.join(FileSystem.join(cacheRoot, "wheels"), key)
        if FileSystem.exists(FileSystem.join(directory, ".complete")) {
            return Fetched(key: key, directory: directory, wheels: try wheels(in: directory))
        }
        guard !environment.packages.isEmpty else {
            try FileSystem.makeDirectories(directory)
            try FileSystem.writeAtomically("", to: FileSystem.join(directory, ".complete"))
            return Fetched(key: key, directory: directory, wheels: [])
        }
        progress?(
            "environment \(environment.name.value): downloading wheels for \(environment.packages.joined(separator: " "))"
        )
        let staging = directory + ".partial-\(getpid())"
        FileSystem.removeTree(staging)
        try FileSystem.makeDirectories(staging)
        let python = getenv("GSCTL_PIP_PYTHON").map { String(cString: $0) } ?? "python3"
        var command = [
            python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
            "--implementation", "cp", "--python-version", environment.python, "--dest", staging,
        ]
        for platform in platforms(arch) { command += ["--platform", platform] }
        command += environment.packages
        let output = try Subprocess.run(command)
        guard output.status == 0 else {
            FileSystem.removeTree(staging)
            let reason = output.errorText.split(separator: "\n").filter { $0.contains("ERROR") }.prefix(3).joined(
                separator: "; ")
            throw GSError(
                "environment \(environment.name.value): pip could not fetch wheels for Python \(environment.python) on \(platforms(arch)[0]): \(reason.isEmpty ? String(output.errorText.suffix(400)) : reason)",
                at: environment.name.location,
                hint:
                    "pin versions that publish wheels for that platform; the build machine needs PyPI (or a mirror in pip.conf)"
            )
        }
        try FileSystem.writeAtomically("", to: FileSystem.join(staging, ".complete"))
        FileSystem.removeTree(directory)
        guard FileSystem.rename(staging, to: directory) else {
            throw GSError("cannot store the wheelhouse in `\(directory)`: \(FileSystem.errnoText())")
        }
        return Fetched(key: key, directory: directory, wheels: try wheels(in: directory))
    }

    static func wheels(in directory: String) throws(GSError) -> [String] {
        try FileSystem.list(directory).map(\.name).filter { $0.hasSuffix(".whl") }.sorted()
    }
}
