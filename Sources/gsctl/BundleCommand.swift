import GSBundle
import GSCore

/// `gsctl bundle verify|inspect|diff`: look at built bundles (`.tar.zst` or unpacked).
enum BundleCommand {
    enum Action: String, CaseIterable {
        case verify
        case inspect
        case diff

        /// How many bundle paths the action takes.
        var bundles: Int { self == .diff ? 2 : 1 }
    }

    static let spec = CommandSpec(
        name: "bundle",
        summary: "verify, inspect or compare built bundles",
        discussion: """
            verify BUNDLE [--key PUB]...   check the signature (with --key: signed by one of
                                           these keys), every file's size, mode and sha256, and
                                           that nothing unlisted is present
            inspect BUNDLE                 id, workflow, device, models and precisions, files,
                                           signature status (files are not hashed)
            diff A B                       files added, removed, changed; models whose variant
                                           changed; exit 0 when identical, 2 when different

            BUNDLE is a .tar.zst archive or an unpacked bundle directory. See docs/bundle.md.
            """,
        arguments: [
            ArgumentSpec(name: "ACTION", help: "verify, inspect or diff", optional: false),
            ArgumentSpec(name: "BUNDLE", help: "bundle archives or directories", variadic: true),
        ],
        options: [
            .value("key", short: "k", "PUB", "trusted public key (PEM); repeat for several", repeatable: true),
            .value(
                "format", short: "f", "FORMAT", "output format",
                allowed: BundleInspection.Format.allCases.map(\.rawValue)),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        let name = arguments.positionals[0]
        guard let action = Action(rawValue: name) else {
            let nearest = Suggest.nearest(to: name, in: Action.allCases.map(\.rawValue))
            throw UsageError(
                message: "unknown bundle action `\(name)`",
                hint: nearest.map { "did you mean `gsctl bundle \($0)`?" } ?? "one of: verify, inspect, diff")
        }
        let bundles = Array(arguments.positionals.dropFirst())
        guard bundles.count == action.bundles else {
            throw UsageError(
                message: "`gsctl bundle \(action.rawValue)` takes \(action.bundles == 1 ? "one bundle" : "two bundles")"
                    + ", got \(bundles.count)",
                hint: "run `gsctl bundle --help`")
        }
        if action != .verify, !arguments.all("key").isEmpty {
            throw UsageError(message: "--key applies to `gsctl bundle verify` only", hint: "remove --key")
        }
        let format = arguments.value("format").flatMap(BundleInspection.Format.init(rawValue:)) ?? .text
        let color = format == .text && Terminal.wantsColor(.standardOutput)
        switch action {
        case .verify:
            var keys: [Ed25519PublicKey] = []
            for path in arguments.all("key") { keys.append(try loadKey(path)) }
            let verified = try BundleVerifier.verify(bundles[0], trustedKeys: keys)
            Terminal.write(BundleVerification.render(verified, path: bundles[0], format: format, color: color))
            return .success
        case .inspect:
            let opened = try BundleOpener.open(bundles[0])
            Terminal.write(BundleInspection.render(opened, format: format, color: color))
            return .success
        case .diff:
            let a = try BundleOpener.open(bundles[0])
            let b = try BundleOpener.open(bundles[1])
            let diff = BundleDiff(from: a.manifest, to: b.manifest)
            Terminal.write(diff.render(format, a: a, b: b, color: color))
            return diff.isIdentical ? .success : .changesPending
        }
    }

    /// A `--key` file, named in the error when it is not an Ed25519 public key.
    static func loadKey(_ path: String) throws(GSError) -> Ed25519PublicKey {
        do throws(GSError) {
            return try Ed25519PublicKey.load(path: path)
        } catch {
            throw GSError("key `\(path)`: \(error.message)", hint: error.hint)
        }
    }
}
