import ONNX

/// What a graph declares about a value's type (inputs, outputs, value_info, initializers):
/// rewrites that are exact only for some ranks or element types (Gemm wants 2-D, Softmax's
/// pre-13 axis rule needs the rank) ask here and skip the node when nothing is declared.
extension GraphProto {
    /// Declared element type and shape of each value (`nil` dims are symbolic or unknown).
    func declaredTypes() -> [String: (elementType: DataType, shape: [Int?]?)] {
        var types: [String: (elementType: DataType, shape: [Int?]?)] = [:]
        for info in valueInfo + output + input {
            guard let tensor = info.tensorType else { continue }
            let shape = tensor.shape?.staticDims
            types[info.name] = (tensor.elementType, shape)
        }
        for tensor in initializer { types[tensor.name] = (tensor.dataType, tensor.shape.map { Optional($0) }) }
        return types
    }
}

/// Reading int64 and float lists out of initializers for rewrites, with the pass's own errors.
extension TensorProto {
    /// The values as Int64 whatever the integer type (axes, shapes).
    func integerValues(pass: String) throws(PassError) -> [Int64] {
        do throws(ONNXError) {
            switch dataType {
            case .int64: return try int64s()
            case .int32: return try int32s().map(Int64.init)
            default: break
            }
        } catch {
            throw PassError(pass: pass, "tensor '\(name)': \(error)")
        }
        throw PassError(pass: pass, "tensor '\(name)' holds \(dataType), expected an integer type")
    }

    /// FLOAT values.
    func floatValues(pass: String) throws(PassError) -> [Float] {
        do {
            return try floats()
        } catch {
            throw PassError(pass: pass, "tensor '\(name)': \(error)")
        }
    }
}
