import CTorch

/// Swift scalar types that map one-to-one onto a tensor dtype.
public protocol TensorScalar: Sendable {
    static var dtype: DType { get }
}
extension Float: TensorScalar { public static var dtype: DType { .float32 } }
extension Double: TensorScalar { public static var dtype: DType { .float64 } }
extension Int64: TensorScalar { public static var dtype: DType { .int64 } }
extension Int32: TensorScalar { public static var dtype: DType { .int32 } }
extension UInt8: TensorScalar { public static var dtype: DType { .uint8 } }
extension Int8: TensorScalar { public static var dtype: DType { .int8 } }
extension Bool: TensorScalar { public static var dtype: DType { .bool } }

/// An owned libtorch tensor. The handle is freed when the last Swift reference goes away.
/// libtorch tensors may be read from several threads; mutation is the caller's to order.
public final class Tensor: @unchecked Sendable {
    let handle: ct_tensor

    init(handle: ct_tensor) { self.handle = handle }
    deinit { ct_free(handle) }

    // MARK: creation

    /// A tensor holding a copy of `values`, laid out in row-major order with `shape`.
    public convenience init<T: TensorScalar>(_ values: [T], shape: [Int]) throws {
        // uint8 elements are bytes, so this is the element count, checked for overflow.
        guard let n = SafeTensors.byteCount(shape: shape, dtype: .uint8), n == values.count else {
            throw TorchError("Tensor(values, shape: \(shape)): shape does not hold the \(values.count) values")
        }
        let dims = shape.map(Int64.init)
        let h = try values.withUnsafeBytes { raw in
            try checked { ct_from_data(raw.baseAddress, dims, Int32(dims.count), T.dtype.rawValue, $0) }
        }
        guard let h else { throw TorchError("libtorch returned no tensor") }
        self.init(handle: h)
    }

    /// A one-dimensional tensor.
    public convenience init<T: TensorScalar>(_ values: [T]) throws {
        try self.init(values, shape: [values.count])
    }

    /// A tensor from raw bytes of `dtype` (used by safetensors).
    public static func fromBytes(_ bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws -> Tensor {
        guard let n = SafeTensors.byteCount(shape: shape, dtype: dtype), n == bytes.count else {
            throw TorchError("\(bytes.count) bytes do not hold \(shape) of \(dtype)")
        }
        let dims = shape.map(Int64.init)
        return try make { ct_from_data(bytes.baseAddress, dims, Int32(dims.count), dtype.rawValue, $0) }
    }

    /// A CPU tensor of unspecified values, for a caller that writes every element (`withUnsafeMutableBytes`):
    /// no zero fill and no copy from a Swift array. `pinned`: page-locked memory (needs CUDA).
    public static func uninitialized(_ shape: [Int], dtype: DType = .float32, pinned: Bool = false) throws -> Tensor {
        let dims = shape.map(Int64.init)
        return try make { ct_empty_cpu(dims, Int32(dims.count), dtype.rawValue, pinned ? 1 : 0, $0) }
    }

    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        let dims = shape.map(Int64.init)
        return try make { ct_full(dims, Int32(dims.count), value, dtype.rawValue, device.typeCode, device.index, $0) }
    }
    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, 0, dtype: dtype, device: device)
    }
    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, 1, dtype: dtype, device: device)
    }
    public static func scalar(_ value: Double, dtype: DType = .float32) throws -> Tensor {
        try full([], value, dtype: dtype)
    }
    public static func arange(_ end: Double, start: Double = 0, step: Double = 1, dtype: DType = .int64) throws -> Tensor {
        try make { ct_arange(start, end, step, dtype.rawValue, $0) }
    }
    /// Standard normal samples from torch's default generator (see `LibTorch.manualSeed`).
    public static func randn(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        let dims = shape.map(Int64.init)
        return try make { ct_randn(dims, Int32(dims.count), dtype.rawValue, $0) }
    }
    /// Uniform samples in [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        let dims = shape.map(Int64.init)
        return try make { ct_rand(dims, Int32(dims.count), dtype.rawValue, $0) }
    }
    public static func randint(_ low: Int, _ high: Int, shape: [Int]) throws -> Tensor {
        let dims = shape.map(Int64.init)
        return try make { ct_randint(Int64(low), Int64(high), dims, Int32(dims.count), $0) }
    }

    // MARK: inspection

    public var shape: [Int] {
        let n = Int(ct_ndim(handle))
        var out = [Int64](repeating: 0, count: n)
        if n > 0 { ct_shape(handle, &out) }
        return out.map(Int.init)
    }
    public var rank: Int { Int(ct_ndim(handle)) }
    public var count: Int { Int(ct_numel(handle)) }
    public var dtype: DType { DType(rawValue: ct_dtype(handle)) ?? .float32 }
    public var device: Device {
        ct_device_type(handle) == 0 ? .cpu : .cuda(Swift.max(0, Int(ct_device_index(handle))))
    }
    public var isContiguous: Bool { ct_is_contiguous(handle) != 0 }

    /// A second handle to the same tensor (shares storage and autograd identity).

    // MARK: back to Swift

    /// The elements as a Swift array, converting the dtype when it differs.
    public func toArray<T: TensorScalar>(_ type: T.Type = T.self) throws -> [T] {
        let src = dtype == T.dtype ? self : try to(dtype: T.dtype)
        let n = src.count
        var out = [T](unsafeUninitializedCapacity: n) { _, c in c = n }
        try out.withUnsafeMutableBytes { raw in
            _ = try checked { ct_copy_out(src.handle, raw.baseAddress, raw.count, $0) }
        }
        return out
    }

    /// True unless a floating-point element is NaN or infinite (amax propagates NaN, and |inf| is inf).
    public func isAllFinite() throws -> Bool {
        guard dtype.isFloatingPoint, count > 0 else { return true }
        return try detach().abs().max().item().isFinite
    }

    /// The single element as a Double.
    public func item() throws -> Double { try checked { ct_item(handle, $0) } }

    /// Calls `body` with the writable bytes of this tensor, which must be a contiguous CPU tensor.
    public func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        guard device == .cpu, isContiguous else { throw TorchError("writing in place needs a contiguous CPU tensor, got \(self)") }
        let n = count * dtype.byteSize
        return try withExtendedLifetime(self) { try body(UnsafeMutableRawBufferPointer(start: ct_data_ptr(handle), count: n)) }
    }

    /// Calls `body` with the raw bytes of a contiguous CPU copy of this tensor.
    public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let c = (device == .cpu && isContiguous) ? self : try to(device: .cpu).contiguous()
        let n = c.count * c.dtype.byteSize
        guard let p = ct_data_ptr(c.handle) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try withExtendedLifetime(c) { try body(UnsafeRawBufferPointer(start: p, count: n)) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(shape), \(dtype), \(device))" }
}
