import CTorch

/// An error raised by libtorch (its own message) or by the Swift layer over it.
public struct TorchError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Element types, with the raw values of c10::ScalarType.
public enum DType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, int16 = 2, int32 = 3, int64 = 4, float16 = 5, float32 = 6, float64 = 7
    case bool = 11, bfloat16 = 15

    public var byteSize: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .int16, .float16, .bfloat16: 2
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }
    public var isFloatingPoint: Bool { [.float16, .float32, .float64, .bfloat16].contains(self) }
    public var description: String {
        switch self {
        case .uint8: "uint8"; case .int8: "int8"; case .int16: "int16"; case .int32: "int32"
        case .int64: "int64"; case .float16: "float16"; case .float32: "float32"; case .float64: "float64"
        case .bool: "bool"; case .bfloat16: "bfloat16"
        }
    }
}

/// Where a tensor lives.
public enum Device: Equatable, Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    /// Parses `cpu`, `cuda` or `cuda:N`.
    public init(parsing text: String) throws {
        let t = text.lowercased()
        if t == "cpu" { self = .cpu; return }
        if t == "cuda" { self = .cuda(0); return }
        if t.hasPrefix("cuda:"), let i = Int(t.dropFirst(5)), i >= 0 { self = .cuda(i); return }
        throw TorchError("unknown device '\(text)': expected cpu, cuda or cuda:N")
    }

    var typeCode: Int32 { self == .cpu ? 0 : 1 }
    var index: Int32 { if case .cuda(let i) = self { Int32(i) } else { -1 } }
    public var isCUDA: Bool { self != .cpu }
    public var description: String {
        switch self { case .cpu: "cpu"; case .cuda(let i): "cuda:\(i)" }
    }
}

/// Runs a shim call that reports failure through its error out-parameter.
@inline(__always) @discardableResult
func checked<R>(_ body: (UnsafeMutablePointer<ct_error?>) -> R) throws -> R {
    var err: ct_error? = nil
    let r = body(&err)
    if let err {
        let msg = String(cString: err)
        ct_free_error(err)
        throw TorchError(msg)
    }
    return r
}

/// Wraps a shim call that returns a new tensor handle.
@inline(__always)
func make(_ body: (UnsafeMutablePointer<ct_error?>) -> ct_tensor?) throws -> Tensor {
    let h = try checked(body)
    guard let h else { throw TorchError("libtorch returned no tensor") }
    return Tensor(handle: h)
}

/// Process-wide libtorch settings: version, threads, seed, CUDA.
public enum LibTorch {
    public static var version: String { String(cString: ct_torch_version()) }

    /// Intra-op CPU threads.
    public static var numThreads: Int {
        get { Int(ct_get_num_threads()) }
        set { ct_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Seeds torch's default generators (weights, dropout, randn).
    public static func manualSeed(_ seed: UInt64) { ct_manual_seed(seed) }

    /// Loads libtorch_cuda.so on first use; nil when CUDA kernels are present, else why not.
    @discardableResult
    public static func loadCUDA() -> String? {
        do { _ = try checked { ct_cuda_load($0) }; return nil } catch { return "\(error)" }
    }

    public static var cudaIsAvailable: Bool {
        loadCUDA() == nil && ct_cuda_is_available() != 0
    }

    public static var cudaDeviceCount: Int { loadCUDA() == nil ? Int(ct_cuda_device_count()) : 0 }

    public static func cudaDeviceName(_ index: Int = 0) -> String? {
        var buf = [CChar](repeating: 0, count: 256)
        guard ct_cuda_device_name(Int32(index), &buf, 256) == 0 else { return nil }
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// cuDNN's autotuner (torch.backends.cudnn.benchmark): the first convolution of each input shape tries the
    /// algorithms and keeps the fastest, a gain when the shapes stay fixed (training at one image size). A
    /// process setting; harmless without CUDA.
    public static var cudnnBenchmark: Bool {
        get { ct_cudnn_benchmark() != 0 }
        set { ct_set_cudnn_benchmark(newValue ? 1 : 0) }
    }

    public static func synchronize(_ device: Device) throws {
        guard case .cuda(let i) = device else { return }
        try checked { ct_cuda_synchronize(Int32(i), $0) }
    }
}
