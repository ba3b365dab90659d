/// Neural-network compute operators: convolutions, pooling, normalisation and matrix
/// products, the ops where a model spends its time (kernels over unsafe buffers and GEMM).
enum NeuralOps {
    static let factories: [String: KernelFactory] = [
        "Conv": { node, _ in try ConvKernel(node) },
        "ConvTranspose": { node, _ in try ConvTransposeKernel(node) },
        "MaxPool": { node, _ in try PoolKernel(node, mode: .max) },
        "AveragePool": { node, _ in try PoolKernel(node, mode: .average) },
        "GlobalAveragePool": { _, _ in GlobalPoolKernel(average: true) },
        "GlobalMaxPool": { _, _ in GlobalPoolKernel(average: false) },
        "BatchNormalization": { node, _ in try BatchNormKernel(node) },
        "LayerNormalization": { node, _ in try LayerNormKernel(node) },
        "Gemm": { node, _ in try GemmKernel(node) },
        "MatMul": { _, _ in MatMulKernel() },
        "MatMulInteger": { _, _ in MatMulIntegerKernel() },
    ]
}
