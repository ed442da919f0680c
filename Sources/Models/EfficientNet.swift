import Foundation
import NN
import Torch

/// One EfficientNet variant: width/depth multipliers and which port of the weights it follows.
public struct EfficientNetConfig: Sendable, Equatable {
    public var name: String
    public var channelMultiplier: Double
    public var depthMultiplier: Double
    /// The TensorFlow port (`tf_*`): TF "same" padding (asymmetric on stride-2 convs) and BN eps
    /// 1e-3. Otherwise PyTorch-style symmetric k//2 padding and BN eps 1e-5.
    public var tfPort: Bool

    public init(name: String, channelMultiplier: Double, depthMultiplier: Double, tfPort: Bool) {
        self.name = name
        self.channelMultiplier = channelMultiplier
        self.depthMultiplier = depthMultiplier
        self.tfPort = tfPort
    }

    /// (channel, depth) multipliers of B0...B7, as geffnet's `_gen_efficientnet` calls.
    static let scaling: [(Double, Double)] = [
        (1.0, 1.0), (1.0, 1.1), (1.1, 1.2), (1.2, 1.4), (1.4, 1.8), (1.6, 2.2), (1.8, 2.6), (2.0, 3.1),
    ]

    /// `efficientnet_bN` or, with `tfPort`, `tf_efficientnet_bN_ns`.
    public static func b(_ n: Int, tfPort: Bool = false) -> EfficientNetConfig {
        let (c, d) = scaling[n]
        return EfficientNetConfig(name: tfPort ? "tf_efficientnet_b\(n)_ns" : "efficientnet_b\(n)",
                                  channelMultiplier: c, depthMultiplier: d, tfPort: tfPort)
    }
}

/// A stage of the B0 baseline (geffnet's arch_def strings `ds_r1_k3_s1_e1_c16_se0.25`, ...).
struct EfficientNetStage {
    var depthwiseSeparable: Bool
    var repeats: Int, kernel: Int, stride: Int, expansion: Int, channels: Int

    static let b0: [EfficientNetStage] = [
        .init(depthwiseSeparable: true, repeats: 1, kernel: 3, stride: 1, expansion: 1, channels: 16),
        .init(depthwiseSeparable: false, repeats: 2, kernel: 3, stride: 2, expansion: 6, channels: 24),
        .init(depthwiseSeparable: false, repeats: 2, kernel: 5, stride: 2, expansion: 6, channels: 40),
        .init(depthwiseSeparable: false, repeats: 3, kernel: 3, stride: 2, expansion: 6, channels: 80),
        .init(depthwiseSeparable: false, repeats: 3, kernel: 5, stride: 1, expansion: 6, channels: 112),
        .init(depthwiseSeparable: false, repeats: 4, kernel: 5, stride: 2, expansion: 6, channels: 192),
        .init(depthwiseSeparable: false, repeats: 1, kernel: 3, stride: 1, expansion: 6, channels: 320),
    ]
    static let seRatio = 0.25
    static let stem = 32, head = 1280
}

/// geffnet's `make_divisible`: round to a multiple of `divisor`, never more than 10% down.
func makeDivisible(_ v: Double, divisor: Int = 8) -> Int {
    var n = Swift.max(divisor, Int(v + Double(divisor) / 2) / divisor * divisor)
    if Double(n) < 0.9 * v { n += divisor }
    return n
}

func roundChannels(_ c: Int, _ multiplier: Double) -> Int {
    multiplier == 0 ? c : makeDivisible(Double(c) * multiplier)
}

/// geffnet's EfficientNet (GenEfficientNet) without its classifier: conv_stem, bn1, blocks, conv_head, bn2;
/// no dropout and no drop-connect, as the original created it.
public final class EfficientNet: Backbone, @unchecked Sendable {
    public let config: EfficientNetConfig
    let convStem: Conv2d, bn1: BatchNorm, convHead: Conv2d, bn2: BatchNorm
    let blockList: [(name: String, block: Module)]

    public init(_ config: EfficientNetConfig) throws {
        self.config = config
        let eps = config.tfPort ? 1e-3 : 1e-5
        func conv(_ i: Int, _ o: Int, _ k: Int, stride: Int = 1, groups: Int = 1, bias: Bool = false) throws -> Conv2d {
            // geffnet: static symmetric padding when stride 1 (also in 'same' mode), dynamic TF
            // padding for strided 'same' convs.
            let pad: Padding = config.tfPort && stride > 1 ? .tfSame : .symmetric(k / 2, k / 2)
            let c = try Conv2d(i, o, kernel: k, stride: stride, padding: pad, groups: groups, bias: bias)
            try c.initFanOut(outChannels: o, kernel: k, groups: groups)
            return c
        }
        let stem = roundChannels(EfficientNetStage.stem, config.channelMultiplier)
        let headChannels = roundChannels(EfficientNetStage.head, config.channelMultiplier)
        convStem = try conv(3, stem, 3, stride: 2)
        bn1 = try BatchNorm(stem, eps: eps)
        var inChannels = stem
        var stages: [Module] = []
        var list: [(String, Module)] = []
        for (s, spec) in EfficientNetStage.b0.enumerated() {
            let repeats = Int((Double(spec.repeats) * config.depthMultiplier).rounded(.up))
            let out = roundChannels(spec.channels, config.channelMultiplier)
            var blocks: [Module] = []
            for b in 0 ..< repeats {
                let stride = b == 0 ? spec.stride : 1
                let reduced = Swift.max(1, makeDivisible(Double(inChannels) * EfficientNetStage.seRatio, divisor: 1))
                let block: Module
                if spec.depthwiseSeparable {
                    block = try DepthwiseSeparable(
                        convDw: conv(inChannels, inChannels, spec.kernel, stride: stride, groups: inChannels),
                        bn1: BatchNorm(inChannels, eps: eps),
                        se: SqueezeExcite(inChannels, reduced: reduced, conv: conv),
                        convPw: conv(inChannels, out, 1), bn2: BatchNorm(out, eps: eps),
                        residual: stride == 1 && inChannels == out)
                } else {
                    let mid = makeDivisible(Double(inChannels * spec.expansion))
                    block = try InvertedResidual(
                        convPw: conv(inChannels, mid, 1), bn1: BatchNorm(mid, eps: eps),
                        convDw: conv(mid, mid, spec.kernel, stride: stride, groups: mid), bn2: BatchNorm(mid, eps: eps),
                        se: SqueezeExcite(mid, reduced: reduced, conv: conv),
                        convPwl: conv(mid, out, 1), bn3: BatchNorm(out, eps: eps),
                        residual: stride == 1 && inChannels == out)
                }
                blocks.append(block)
                list.append(("blocks.\(s).\(b)", block))
                inChannels = out
            }
            stages.append(Sequential(blocks))
        }
        convHead = try conv(inChannels, headChannels, 1)
        bn2 = try BatchNorm(headChannels, eps: eps)
        blockList = list
        super.init(featureDim: headChannels)
        addModule("conv_stem", convStem)
        addModule("bn1", bn1)
        addModule("blocks", Sequential(stages))
        addModule("conv_head", convHead)
        addModule("bn2", bn2)
    }

    public override func features(_ x: Tensor) throws -> Tensor {
        var x = try bn1.silu(convStem(x))
        try emit("act1", x)
        for (name, block) in blockList {
            x = try block(x)
            try emit(name, x)
        }
        x = try bn2.silu(convHead(x))
        try emit("act2", x)
        return try x.mean(dims: [2, 3])
    }
}

/// Squeeze-and-excitation with SiLU and a sigmoid gate (geffnet `SqueezeExcite`).
final class SqueezeExcite: Module, @unchecked Sendable {
    let convReduce: Conv2d, convExpand: Conv2d

    init(_ channels: Int, reduced: Int, conv: (Int, Int, Int, Int, Int, Bool) throws -> Conv2d) throws {
        convReduce = try conv(channels, reduced, 1, 1, 1, true)
        convExpand = try conv(reduced, channels, 1, 1, 1, true)
        super.init()
        addModule("conv_reduce", convReduce)
        addModule("conv_expand", convExpand)
    }

    override func forward(_ x: Tensor) throws -> Tensor { try x * gate(x) }

    func gate(_ x: Tensor) throws -> Tensor {
        try convExpand(convReduce(x.mean(dims: [2, 3], keepDim: true)).silu()).sigmoid()
    }

    /// `conv(forward(x))` for the block's following 1x1 projection: while training a float32 CPU model, one
    /// op that recomputes the gated activation in backward instead of keeping it (2.9 MiB per image for B0 at
    /// 128 px).
    func projected(_ x: Tensor, by conv: Conv2d) throws -> Tensor {
        guard isTraining, Autograd.isEnabled, x.dtype == .float32, x.device == .cpu, conv.isPlainPointwise else {
            return try conv(forward(x))
        }
        return try x.gatedConv1x1(gate: gate(x), weight: conv.weight)
    }
}

/// Stage 0 block: depthwise conv, BN, SiLU, SE, pointwise conv, BN (no activation), residual.
final class DepthwiseSeparable: Module, @unchecked Sendable {
    let convDw: Conv2d, bn1: BatchNorm, se: SqueezeExcite, convPw: Conv2d, bn2: BatchNorm
    let residual: Bool

    init(convDw: Conv2d, bn1: BatchNorm, se: SqueezeExcite, convPw: Conv2d, bn2: BatchNorm, residual: Bool) {
        (self.convDw, self.bn1, self.se, self.convPw, self.bn2, self.residual) = (convDw, bn1, se, convPw, bn2, residual)
        super.init()
        addModule("conv_dw", convDw)
        addModule("bn1", bn1)
        addModule("se", se)
        addModule("conv_pw", convPw)
        addModule("bn2", bn2)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let y = try bn2(se.projected(bn1.silu(convDw(x)), by: convPw))
        return residual ? try addInPlace(y, x) : y
    }
}

/// Inverted residual: 1x1 expansion, depthwise conv, SE, 1x1 linear projection, residual.
final class InvertedResidual: Module, @unchecked Sendable {
    let convPw: Conv2d, bn1: BatchNorm, convDw: Conv2d, bn2: BatchNorm, se: SqueezeExcite
    let convPwl: Conv2d, bn3: BatchNorm
    let residual: Bool

    init(convPw: Conv2d, bn1: BatchNorm, convDw: Conv2d, bn2: BatchNorm, se: SqueezeExcite, convPwl: Conv2d,
         bn3: BatchNorm, residual: Bool) {
        (self.convPw, self.bn1, self.convDw, self.bn2) = (convPw, bn1, convDw, bn2)
        (self.se, self.convPwl, self.bn3, self.residual) = (se, convPwl, bn3, residual)
        super.init()
        addModule("conv_pw", convPw)
        addModule("bn1", bn1)
        addModule("conv_dw", convDw)
        addModule("bn2", bn2)
        addModule("se", se)
        addModule("conv_pwl", convPwl)
        addModule("bn3", bn3)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        var y = try bn1.silu(convPw(x))
        y = try bn2.silu(convDw(y))
        y = try bn3(se.projected(y, by: convPwl))
        return residual ? try addInPlace(y, x) : y
    }
}

/// `y += x` on a fresh BN output (as geffnet's `x += residual`); BN's backward does not need its
/// output, so this is safe under autograd too.
@inline(__always) func addInPlace(_ y: Tensor, _ x: Tensor) throws -> Tensor {
    try y.add_(x)
    return y
}
