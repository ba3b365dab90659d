import ONNX

/// Float32 constants to float16, clamped into float16's range first so that large weights
/// do not become infinities and tiny nonzero ones do not vanish (a variance or epsilon
/// turned 0 divides by zero). Counts what it clamps: a model with many clamped values is a
/// model float16 may not suit.
struct FP16Clamp: Sendable {
    let minPositive: Float
    let maxFinite: Float

    /// The clamps of `options`.
    init(_ options: FP16Options) {
        minPositive = options.minPositive
        maxFinite = options.maxFinite
    }

    /// `values` in float16 and how many were clamped. Zero, NaN and infinities pass unchanged.
    func convert(_ values: [Float]) -> (values: [Float16], clamped: Int) {
        var clamped = 0
        let converted = values.map { value -> Float16 in
            let magnitude = value.magnitude
            guard value.isFinite, magnitude != 0 else { return Float16(value) }
            if magnitude > maxFinite {
                clamped += 1
                return Float16(Float(signOf: value, magnitudeOf: maxFinite))
            }
            if magnitude < minPositive {
                clamped += 1
                return Float16(Float(signOf: value, magnitudeOf: minPositive))
            }
            return Float16(value)
        }
        return (converted, clamped)
    }

    /// A float32 tensor as a float16 one (raw data) with the same name, dims and doc string.
    func convert(_ tensor: TensorProto) throws(PassError) -> (tensor: TensorProto, clamped: Int) {
        let floats: [Float]
        do { floats = try tensor.floats() } catch {
            throw PassError(pass: FP16Pass.passName, "cannot read tensor '\(tensor.name)': \(error)")
        }
        let (values, clamped) = convert(floats)
        var converted = TensorProto(name: tensor.name, shape: tensor.shape, values: values)
        converted.dims = tensor.dims
        converted.docString = tensor.docString
        converted.metadataProps = tensor.metadataProps
        return (converted, clamped)
    }
}
