/// gsctl's version: printed by `--version`, recorded in plans, and part of every build key.
public enum GSVersion {
    public static let current = "0.1.0"
}
