import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The release's Python environments, installed on the host from the wheels the bundle
/// carries, with no package index: `<root>/envs/<key>/` is a venv made by the host's own
/// python3 and filled by `pip install --no-index --find-links <release>/env/<name>`. Keyed by
/// the wheelhouse key (Python version, platform, pins), so releases that pin the same
/// packages share one, and different framework versions live side by side. A venv counts
/// only once its `.complete` marker is written: a crash mid-install is redone next time.
public enum RuntimeEnvironments {
    public static func directory(_ layout: HostLayout, key: String) -> String {
        FileSystem.join(FileSystem.join(layout.root, "envs"), key)
    }

    /// Installs every environment of `manifest` (in `release`) that is not yet on the host.
    /// Returns what it installed (names), or throws naming the environment and pip's error.
    @discardableResult
    public static func install(_ manifest: Manifest, release: String, layout: HostLayout) throws(GSError) -> [String] {
        guard let environments = manifest.environments.objectValue else { return [] }
        var installed: [String] = []
        for name in environments.keys.sorted() {
            let environment = environments[name]!
            guard let key = environment["key"]?.stringValue, let wheelhouse = environment["wheelhouse"]?.stringValue
            else {
                continue
            }
            let target = directory(layout, key: key)
            if FileSystem.exists(FileSystem.join(target, ".complete")) { continue }
            let python = environment["python"]?.stringValue ?? "3"
            let version = try Subprocess.run(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            let hostVersion = version.text.trimmingSpaces
            guard version.status == 0 else {
                throw GSError(
                    "environment \(name): this host has no python3",
                    hint: "install python3 (and python3-venv) on the device")
            }
            guard hostVersion == python || python == "3" else {
                throw GSError(
                    "environment \(name) wants Python \(python), this host has \(hostVersion)",
                    hint: "set the environment's `python:` to the device's version, or install that Python")
            }
            FileSystem.removeTree(target)
            try FileSystem.makeDirectories(FileSystem.directory(of: target))
            let venv = try Subprocess.run(["python3", "-m", "venv", target])
            guard venv.status == 0 else {
                FileSystem.removeTree(target)
                throw GSError(
                    "environment \(name): python3 -m venv failed: \(venv.errorText.suffix(300))",
                    hint: "install python3-venv on the device")
            }
            let packages = environment["packages"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let pip = try Subprocess.run(
                [
                    FileSystem.join(target, "bin/python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check",
                    "--no-index", "--find-links", FileSystem.join(release, wheelhouse),
                ] + packages)
            guard pip.status == 0 else {
                FileSystem.removeTree(target)
                throw GSError(
                    "environment \(name): installing from the bundle's wheels failed: \(pip.errorText.suffix(400))")
            }
            try FileSystem.writeAtomically("", to: FileSystem.join(target, ".complete"))
            installed.append(name)
        }
        return installed
    }

    /// The `bin` folder of environment `name` of the release in `releaseDirectory`, when
    /// installed (for a task's PATH).
    public static func binDirectory(root: String, releaseDirectory: String, name: String) -> String? {
        guard let bytes = try? FileSystem.read(FileSystem.join(releaseDirectory, "manifest.json"), limit: 16 << 20),
            let manifest = try? JSONParser.parse(bytes, what: "manifest.json"),
            let key = manifest["environments"]?[name]?["key"]?.stringValue
        else { return nil }
        let target = directory(HostLayout(root: root), key: key)
        guard FileSystem.exists(FileSystem.join(target, ".complete")) else { return nil }
        return FileSystem.join(target, "bin")
    }
}
