/// Every graph pass by name; pipelines name passes, and this is the only list of them.
public enum PassRegistry {
    public static let all: [any GraphPass] = [
        ConstantToInitializer(),
        EliminateIdentity(),
        EliminateNoopReshape(),
        EliminateDead(),
        DedupeInitializers(),
        FoldConstants(),
        FoldBatchNorm(),
        FuseMatMulAdd(),
        FuseHardSwish(),
        FoldConvAffine(),
        StaticShapes(),
        UpgradeOpset(),
    ]

    public static func pass(named name: String) -> (any GraphPass)? {
        all.first { $0.name == name }
    }
}
