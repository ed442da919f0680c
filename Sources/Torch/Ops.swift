import CTorch

// Elementwise, shape and reduction ops. Every op throws libtorch's message instead of crashing.

extension Tensor {
    @inline(__always) func unary(_ op: ct_unary_op) throws -> Tensor { try make { ct_unary(handle, op, $0) } }
    @inline(__always) func binary(_ other: Tensor, _ op: ct_binary_op) throws -> Tensor {
        try make { ct_binary(handle, other.handle, op, $0) }
    }
    @inline(__always) func binary(_ s: Double, _ op: ct_binary_op) throws -> Tensor {
        try make { ct_binary_scalar(handle, s, op, $0) }
    }

    public func neg() throws -> Tensor { try unary(CT_NEG) }
    public func exp() throws -> Tensor { try unary(CT_EXP) }
    public func log() throws -> Tensor { try unary(CT_LOG) }
    public func log1p() throws -> Tensor { try unary(CT_LOG1P) }
    public func sqrt() throws -> Tensor { try unary(CT_SQRT) }
    public func abs() throws -> Tensor { try unary(CT_ABS) }
    public func square() throws -> Tensor { try unary(CT_SQUARE) }
    public func ceil() throws -> Tensor { try unary(CT_CEIL) }
    public func round() throws -> Tensor { try unary(CT_ROUND) }
    public func sign() throws -> Tensor { try unary(CT_SIGN) }
    public func relu() throws -> Tensor { try unary(CT_RELU) }
    public func silu() throws -> Tensor { try unary(CT_SILU) }
    public func sigmoid() throws -> Tensor { try unary(CT_SIGMOID) }

    public func pow(_ e: Double) throws -> Tensor { try binary(e, CT_POW) }
    public func pow(_ e: Tensor) throws -> Tensor { try binary(e, CT_POW) }
    public func maximum(_ o: Tensor) throws -> Tensor { try binary(o, CT_MAXIMUM) }
    public func eq(_ o: Tensor) throws -> Tensor { try binary(o, CT_EQ) }
    public func eq(_ s: Double) throws -> Tensor { try binary(s, CT_EQ) }
    public func ne(_ o: Tensor) throws -> Tensor { try binary(o, CT_NE) }
    public func lt(_ o: Tensor) throws -> Tensor { try binary(o, CT_LT) }
    public func lt(_ s: Double) throws -> Tensor { try binary(s, CT_LT) }
    public func le(_ o: Tensor) throws -> Tensor { try binary(o, CT_LE) }
    public func gt(_ o: Tensor) throws -> Tensor { try binary(o, CT_GT) }
    public func gt(_ s: Double) throws -> Tensor { try binary(s, CT_GT) }
    public func ge(_ o: Tensor) throws -> Tensor { try binary(o, CT_GE) }

    public func clamp(min lo: Double? = nil, max hi: Double? = nil) throws -> Tensor {
        try make { ct_clamp(handle, lo ?? 0, hi ?? 0, lo == nil ? 0 : 1, hi == nil ? 0 : 1, $0) }
    }
    public static func `where`(_ cond: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try make { ct_where(cond.handle, a.handle, b.handle, $0) }
    }

    public func matmul(_ o: Tensor) throws -> Tensor { try make { ct_matmul(handle, o.handle, $0) } }

    // MARK: shapes

    public func reshape(_ shape: [Int]) throws -> Tensor {
        let d = shape.map(Int64.init)
        return try make { ct_reshape(handle, d, Int32(d.count), $0) }
    }
    public func flatten(startDim: Int = 0) throws -> Tensor {
        let s = shape
        let d = startDim < 0 ? startDim + s.count : startDim
        return try reshape(Array(s[..<d]) + [s[d...].reduce(1, *)])
    }
    public func permute(_ dims: [Int]) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try make { ct_permute(handle, d, Int32(d.count), $0) }
    }
    public func transpose(_ d0: Int, _ d1: Int) throws -> Tensor {
        try make { ct_transpose(handle, Int64(d0), Int64(d1), $0) }
    }
    public func flip(_ dims: [Int]) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try make { ct_flip(handle, d, Int32(d.count), $0) }
    }
    public func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        try make { ct_narrow(handle, Int64(dim), Int64(start), Int64(length), $0) }
    }
    /// `x[start:end:step]` along `dim`; `end` past the size is clipped as in Python.
    public func slice(dim: Int, start: Int = 0, end: Int = Int(Int64.max), step: Int = 1) throws -> Tensor {
        try make { ct_slice(handle, Int64(dim), Int64(start), Int64(end), Int64(step), $0) }
    }
    public func select(dim: Int, index: Int) throws -> Tensor {
        try make { ct_select(handle, Int64(dim), Int64(index), $0) }
    }
    public func indexSelect(dim: Int, index: Tensor) throws -> Tensor {
        try make { ct_index_select(handle, Int64(dim), index.handle, $0) }
    }
    public func squeeze(dim: Int) throws -> Tensor { try make { ct_squeeze(handle, Int64(dim), $0) } }
    public func unsqueeze(dim: Int) throws -> Tensor { try make { ct_unsqueeze(handle, Int64(dim), $0) } }
    public func contiguous(channelsLast: Bool = false) throws -> Tensor {
        try make { ct_contiguous(handle, channelsLast ? 1 : 0, $0) }
    }
    public func detach() throws -> Tensor { try make { ct_detach(handle, $0) } }

    /// `nonBlocking`: from pinned host memory (`pinMemory()`) the copy to a GPU is queued on the device's
    /// stream and this returns at once (the source stays alive until the copy ends: libtorch's host
    /// allocator waits on it); from pageable memory, or to the CPU, it is an ordinary copy.
    public func to(device: Device? = nil, dtype: DType? = nil, nonBlocking: Bool = false) throws -> Tensor {
        let d = device ?? self.device
        let t = dtype ?? self.dtype
        return try make { ct_to(handle, d.typeCode, d.index, t.rawValue, nonBlocking ? 1 : 0, $0) }
    }

    /// A copy in page-locked host memory, which a `to(device: .cuda, nonBlocking: true)` copies asynchronously.
    /// Throws (naming why) where CUDA is unavailable: pinned memory only exists for a GPU to read.
    public func pinMemory() throws -> Tensor {
        guard LibTorch.cudaIsAvailable else {
            throw TorchError("pinMemory needs a CUDA device: \(LibTorch.loadCUDA() ?? "libtorch_cuda is loaded but no GPU is usable")")
        }
        return try make { ct_pin_memory(handle, $0) }
    }

    /// Whether the data lives in page-locked host memory (false where CUDA is absent).
    public var isPinned: Bool { ct_is_pinned(handle) != 0 }

    public static func cat(_ ts: [Tensor], dim: Int = 0) throws -> Tensor {
        let hs: [ct_tensor?] = ts.map { $0.handle }
        return try withExtendedLifetime(ts) { try make { ct_cat(hs, Int32(hs.count), Int64(dim), $0) } }
    }
    public static func stack(_ ts: [Tensor], dim: Int = 0) throws -> Tensor {
        let hs: [ct_tensor?] = ts.map { $0.handle }
        return try withExtendedLifetime(ts) { try make { ct_stack(hs, Int32(hs.count), Int64(dim), $0) } }
    }

    // MARK: reductions (no dims = over every element)

    func reduce(_ op: ct_reduce_op, _ dims: [Int], _ keepDim: Bool) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try make { ct_reduce(handle, op, d, Int32(d.count), keepDim ? 1 : 0, $0) }
    }
    public func sum(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_SUM, dims, keepDim) }
    public func mean(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_MEAN, dims, keepDim) }
    public func max(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_AMAX, dims, keepDim) }
    public func min(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_AMIN, dims, keepDim) }
    /// Sample standard deviation (Bessel-corrected, as torch.std).
    public func std(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_STD, dims, keepDim) }
    public func variance(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_VAR, dims, keepDim) }
    public func argmax(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor {
        try reduce(CT_ARGMAX, dim.map { [$0] } ?? [], keepDim)
    }

    // MARK: in place (used by optimizers, weight loading and initialisers)

    public func copy_(_ src: Tensor) throws { try checked { ct_copy_(handle, src.handle, $0) } }
    public func fill_(_ v: Double) throws { try checked { ct_fill_(handle, v, $0) } }
    public func normal_(mean: Double = 0, std: Double = 1) throws { try checked { ct_normal_(handle, mean, std, $0) } }
    public func uniform_(_ lo: Double, _ hi: Double) throws { try checked { ct_uniform_(handle, lo, hi, $0) } }
    public func mul_(_ s: Double) throws { try checked { ct_mul_scalar_(handle, s, $0) } }
    public func add_(_ o: Tensor, alpha: Double = 1) throws { try checked { ct_add_(handle, o.handle, alpha, $0) } }
}

// MARK: operators

public func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(b, CT_ADD) }
public func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(b, CT_SUB) }
public func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(b, CT_MUL) }
public func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(b, CT_DIV) }
public func + (a: Tensor, s: Double) throws -> Tensor { try a.binary(s, CT_ADD) }
public func - (a: Tensor, s: Double) throws -> Tensor { try a.binary(s, CT_SUB) }
public func * (a: Tensor, s: Double) throws -> Tensor { try a.binary(s, CT_MUL) }
public func / (a: Tensor, s: Double) throws -> Tensor { try a.binary(s, CT_DIV) }
public func + (s: Double, a: Tensor) throws -> Tensor { try a.binary(s, CT_ADD) }
public func * (s: Double, a: Tensor) throws -> Tensor { try a.binary(s, CT_MUL) }
public func - (s: Double, a: Tensor) throws -> Tensor { try make { ct_rsub_scalar(s, a.handle, $0) } }
public prefix func - (a: Tensor) throws -> Tensor { try a.neg() }

extension Tensor {
    /// Makes this tensor use `src`'s data (shape, strides, memory format) while staying the same
    /// tensor for autograd and for whoever holds it, as python's `param.data = src`.
    public func setData(_ src: Tensor) throws { try checked { ct_set_data(handle, src.handle, $0) } }

    /// SiLU in place.
    public func silu_() throws { try checked { ct_silu_(handle, $0) } }
}
