import Foundation
import Torch

/// How a convolution pads its input.
public enum Padding: Sendable, Equatable {
    /// Fixed symmetric padding per axis (PyTorch's `padding=`).
    case symmetric(Int, Int)
    /// TensorFlow "SAME": total pad `max((ceil(i/s)-1)*s + (k-1)*d + 1 - i, 0)` split with the
    /// extra pixel on the right/bottom, computed from each input's size.
    case tfSame
}

public final class Conv2d: Module, @unchecked Sendable {
    public let stride: (Int, Int), dilation: (Int, Int), groups: Int
    let hasBias: Bool
    public let padding: Padding
    let kernel: (Int, Int)

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Padding? = nil,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true) throws {
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "channels must divide by groups")
        self.kernel = (kernel, kernel)
        self.stride = (stride, stride)
        self.dilation = (dilation, dilation)
        self.groups = groups
        let p = ((kernel - 1) * dilation) / 2
        self.padding = padding ?? .symmetric(p, p)
        let fanIn = Double(inChannels / groups * kernel * kernel)
        let bound = 1 / fanIn.squareRoot() // PyTorch's default: kaiming_uniform(a=sqrt(5))
        let w = try Tensor.empty([outChannels, inChannels / groups, kernel, kernel])
        try w.uniform_(-bound, bound)
        self.hasBias = bias
        super.init()
        try addParameter("weight", w)
        if bias {
            let b = try Tensor.empty([outChannels])
            try b.uniform_(-bound, bound)
            try addParameter("bias", b)
        }
    }

    public var weight: Tensor { tensor("weight")! }
    /// A 1x1 kernel without bias, stride, dilation, groups or padding: a per-pixel matrix product.
    public var isPlainPointwise: Bool {
        kernel == (1, 1) && stride == (1, 1) && dilation == (1, 1) && groups == 1 && !hasBias && padding == .symmetric(0, 0)
    }
    public var bias: Tensor? { hasBias ? tensor("bias") : nil }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let w = weight, b = bias
        switch padding {
        case .symmetric(let ph, let pw):
            return try x.conv2d(weight: w, bias: b, stride: stride, padding: (ph, pw), dilation: dilation, groups: groups)
        case .tfSame:
            let s = x.shape
            let ph = Conv2d.samePad(s[s.count - 2], kernel.0, stride.0, dilation.0)
            let pw = Conv2d.samePad(s[s.count - 1], kernel.1, stride.1, dilation.1)
            if ph % 2 == 0 && pw % 2 == 0 {
                return try x.conv2d(weight: w, bias: b, stride: stride, padding: (ph / 2, pw / 2),
                                    dilation: dilation, groups: groups)
            }
            let padded = try x.pad([pw / 2, pw - pw / 2, ph / 2, ph - ph / 2])
            return try padded.conv2d(weight: w, bias: b, stride: stride, dilation: dilation, groups: groups)
        }
    }

    static func samePad(_ i: Int, _ k: Int, _ s: Int, _ d: Int) -> Int {
        Swift.max((Int((Double(i) / Double(s)).rounded(.up)) - 1) * s + (k - 1) * d + 1 - i, 0)
    }
}

public final class Linear: Module, @unchecked Sendable {
    public let inFeatures: Int, outFeatures: Int
    let hasBias: Bool

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) throws {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.hasBias = bias
        super.init()
        let bound = 1 / Double(inFeatures).squareRoot()
        let w = try Tensor.empty([outFeatures, inFeatures])
        try w.uniform_(-bound, bound)
        try addParameter("weight", w)
        if bias {
            let b = try Tensor.empty([outFeatures])
            try b.uniform_(-bound, bound)
            try addParameter("bias", b)
        }
    }

    public var weight: Tensor { tensor("weight")! }
    public var bias: Tensor? { hasBias ? tensor("bias") : nil }

    public override func forward(_ x: Tensor) throws -> Tensor { try x.linear(weight: weight, bias: bias) }
}

/// Batch normalisation over dim 1, for [N, C] (BatchNorm1d) and [N, C, H, W] (BatchNorm2d) alike.
/// Keys: weight, bias, running_mean, running_var, num_batches_tracked.
public final class BatchNorm: Module, @unchecked Sendable {
    public let eps: Double, momentum: Double

    public init(_ features: Int, eps: Double = 1e-5, momentum: Double = 0.1) throws {
        self.eps = eps
        self.momentum = momentum
        super.init()
        try addParameter("weight", try Tensor.ones([features]))
        try addParameter("bias", try Tensor.zeros([features]))
        addBuffer("running_mean", try Tensor.zeros([features]))
        addBuffer("running_var", try Tensor.ones([features]))
        addBuffer("num_batches_tracked", try Tensor.zeros([], dtype: .int64))
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        if isTraining { try withNoGrad { try tensor("num_batches_tracked")!.add_(try Tensor.ones([], dtype: .int64)) } }
        return try x.batchNorm(weight: tensor("weight"), bias: tensor("bias"), runningMean: tensor("running_mean"),
                               runningVar: tensor("running_var"), training: isTraining, momentum: momentum, eps: eps)
    }
}

extension BatchNorm {
    /// `silu(self(x))`, as geffnet's BN + SiLU(inplace=True), in the cheapest form that keeps autograd exact:
    /// training a float32 CPU model, one fused op that saves x alone for backward (the largest memory of a
    /// CPU training step is what autograd saves); without a graph, SiLU in place on the BN output; otherwise
    /// (autocast, CUDA's cuDNN BatchNorm) the two ops.
    public func silu(_ x: Tensor) throws -> Tensor {
        let recording = Autograd.isEnabled
        if isTraining && recording && x.dtype == .float32 && x.device == .cpu, !Autocast.isEnabled(on: .cpu),
           let w = tensor("weight"), let b = tensor("bias"), let rm = tensor("running_mean"),
           let rv = tensor("running_var") {
            try withNoGrad { try tensor("num_batches_tracked")!.add_(try Tensor.ones([], dtype: .int64)) }
            return try x.batchNormSiLU(weight: w, bias: b, runningMean: rm, runningVar: rv, momentum: momentum, eps: eps)
        }
        let y = try forward(x)
        if recording { return try y.silu() }
        try y.silu_()
        return y
    }
}

public typealias BatchNorm1d = BatchNorm
public typealias BatchNorm2d = BatchNorm

public final class Dropout: Module, @unchecked Sendable {
    public let p: Double
    public init(_ p: Double) { self.p = p }
    public override func forward(_ x: Tensor) throws -> Tensor { try x.dropout(p: p, training: isTraining) }
}

public final class SiLU: Module, @unchecked Sendable {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor { try x.silu() }
}

public final class ReLU: Module, @unchecked Sendable {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor { try x.relu() }
}

/// Children named 0, 1, 2, ... applied in order (nn.Sequential).
public final class Sequential: Module, @unchecked Sendable {
    public init(_ modules: [Module]) {
        super.init()
        for (i, m) in modules.enumerated() { addModule(String(i), m) }
    }
    public var count: Int { children.count }
    public subscript(i: Int) -> Module { children[i].module }
    public override func forward(_ x: Tensor) throws -> Tensor {
        try children.reduce(x) { try $1.module.forward($0) }
    }
}

/// Children named 0, 1, 2, ... without a forward of their own (nn.ModuleList).
public final class ModuleList: Module, @unchecked Sendable {
    public init(_ modules: [Module] = []) {
        super.init()
        for m in modules { append(m) }
    }
    public func append(_ m: Module) { addModule(String(children.count), m) }
    public var count: Int { children.count }
    public subscript(i: Int) -> Module { children[i].module }
}

extension Tensor {
    /// An uninitialised-by-contract float tensor (zero-filled here) for initialisers to overwrite.
    public static func empty(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try Tensor.zeros(shape, dtype: dtype)
    }
}
