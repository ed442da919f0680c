import CTorch

// Neural-network functions (torch.nn.functional). Parameters are plain tensors here; the NN layer
// owns them as named parameters.

extension Tensor {
    /// 2-D convolution; `padding` is symmetric per axis (use `pad` first for asymmetric padding).
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                       dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
        let s = [Int64(stride.0), Int64(stride.1)], p = [Int64(padding.0), Int64(padding.1)]
        let d = [Int64(dilation.0), Int64(dilation.1)]
        return try withExtendedLifetime(bias) {
            try make { ct_conv2d(handle, weight.handle, bias?.handle, s, p, d, Int64(groups), $0) }
        }
    }

    /// Constant padding as torch.nn.functional.pad: (left, right, top, bottom, ...) from the last dim.
    public func pad(_ pads: [Int], value: Double = 0) throws -> Tensor {
        let p = pads.map(Int64.init)
        return try make { ct_pad(handle, p, Int32(p.count), value, $0) }
    }

    public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try withExtendedLifetime(bias) { try make { ct_linear(handle, weight.handle, bias?.handle, $0) } }
    }

    /// Batch norm over dim 1; in training it updates `runningMean`/`runningVar` in place.
    public func batchNorm(weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
                          training: Bool, momentum: Double = 0.1, eps: Double = 1e-5) throws -> Tensor {
        try withExtendedLifetime((weight, bias, runningMean, runningVar)) {
            try make {
                ct_batch_norm(handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle,
                              training ? 1 : 0, momentum, eps, $0)
            }
        }
    }

    /// `silu(batchNorm(training: true))` on float32 CPU input (it throws otherwise), keeping one activation
    /// less for backward: the normalised values are recomputed there instead of saved. Same forward values.
    public func batchNormSiLU(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                              momentum: Double = 0.1, eps: Double = 1e-5) throws -> Tensor {
        try withExtendedLifetime((weight, bias, runningMean, runningVar)) {
            try make {
                ct_batch_norm_silu(handle, weight.handle, bias.handle, runningMean.handle, runningVar.handle,
                                   momentum, eps, $0)
            }
        }
    }

    /// `(self * gate).conv2d(weight:)` for a 1x1 kernel without bias, stride or padding, on float32 CPU input
    /// (it throws otherwise), keeping `self` and `gate` for backward but not their product. Same forward values.
    public func gatedConv1x1(gate: Tensor, weight: Tensor) throws -> Tensor {
        try withExtendedLifetime((gate, weight)) { try make { ct_gated_conv1x1(handle, gate.handle, weight.handle, $0) } }
    }

    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          ceilMode: Bool = false) throws -> Tensor {
        let k = [Int64(kernel.0), Int64(kernel.1)]
        let s = stride.map { [Int64($0.0), Int64($0.1)] } ?? k
        let p = [Int64(padding.0), Int64(padding.1)]
        return try make { ct_max_pool2d(handle, k, s, p, ceilMode ? 1 : 0, $0) }
    }

    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          ceilMode: Bool = false, countIncludePad: Bool = true) throws -> Tensor {
        let k = [Int64(kernel.0), Int64(kernel.1)]
        let s = stride.map { [Int64($0.0), Int64($0.1)] } ?? k
        let p = [Int64(padding.0), Int64(padding.1)]
        return try make { ct_avg_pool2d(handle, k, s, p, ceilMode ? 1 : 0, countIncludePad ? 1 : 0, $0) }
    }

    public func adaptiveAvgPool2d(_ size: (Int, Int)) throws -> Tensor {
        let o = [Int64(size.0), Int64(size.1)]
        return try make { ct_adaptive_avg_pool2d(handle, o, $0) }
    }

    public func softmax(dim: Int) throws -> Tensor { try make { ct_softmax(handle, Int64(dim), $0) } }
    public func logSoftmax(dim: Int) throws -> Tensor { try make { ct_log_softmax(handle, Int64(dim), $0) } }

    /// Inverted dropout (scales kept values by 1/(1-p)); identity when not training.
    public func dropout(p: Double, training: Bool) throws -> Tensor {
        try make { ct_dropout(handle, p, training ? 1 : 0, $0) }
    }

    public enum Reduction: Int32, Sendable { case none = 0, mean = 1, sum = 2 }

    /// Cross-entropy of logits [N, C] against class indices [N] (int64).
    public func crossEntropy(target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try make { ct_cross_entropy(handle, target.handle, reduction.rawValue, $0) }
    }

    /// `F.interpolate(x, size: (height, width), mode: "bilinear", align_corners:)` on an NCHW float tensor.
    public func interpolateBilinear(height: Int, width: Int, alignCorners: Bool = false) throws -> Tensor {
        try make { ct_interpolate_bilinear(handle, Int64(height), Int64(width), alignCorners ? 1 : 0, $0) }
    }
}
