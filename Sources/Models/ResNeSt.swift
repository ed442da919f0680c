import Foundation
import NN
import Torch

/// A ResNeSt variant as the `resnest` package (0.0.6) builds it.
public struct ResNeStConfig: Sendable, Equatable {
    public var name: String
    public var layers: [Int]
    public var radix: Int, stemWidth: Int

    /// `resnest101`: `ResNet(Bottleneck, [3, 4, 23, 3], radix=2, groups=1, bottleneck_width=64,
    /// deep_stem=True, stem_width=64, avg_down=True, avd=True, avd_first=False)`.
    public static let resnest101 = ResNeStConfig(name: "resnest101", layers: [3, 4, 23, 3], radix: 2, stemWidth: 64)
}

/// ResNeSt without `fc`: deep stem (`conv1.0/1/3/4/6`), `bn1`, max-pool, four layers of
/// split-attention bottlenecks, global average pooling. Cardinality 1 and bottleneck width 64
/// (all the original uses). Init as the package: conv normal(0, sqrt(2/(k*k*out))), BN 1/0.
public final class ResNeSt: Backbone, @unchecked Sendable {
    public let config: ResNeStConfig
    let stem: Sequential, bn1: BatchNorm
    let stages: ResNetStages<ResNeStBottleneck>

    public init(_ config: ResNeStConfig) throws {
        self.config = config
        let w = config.stemWidth
        func conv(_ i: Int, _ o: Int, _ k: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
                  bias: Bool = false) throws -> Conv2d {
            let c = try Conv2d(i, o, kernel: k, stride: stride, padding: .symmetric(padding, padding), groups: groups,
                               bias: bias)
            try c.initFanOut(outChannels: o, kernel: k, zeroBias: false)
            return c
        }
        stem = Sequential([
            try conv(3, w, 3, stride: 2, padding: 1), try BatchNorm(w), ReLU(),
            try conv(w, w, 3, padding: 1), try BatchNorm(w), ReLU(),
            try conv(w, w * 2, 3, padding: 1),
        ])
        bn1 = try BatchNorm(w * 2)
        stages = try ResNetStages(layers: config.layers, inplanes: w * 2) { p in
            // avg_down: AvgPool2d(stride, stride, ceil_mode, count_include_pad=False) at index 0 (no keys), then
            // the 1x1 conv and BN at 1 and 2.
            let downsample = p.needsDownsample ? Sequential([
                AvgPoolDown(stride: p.stageStride), try conv(p.inplanes, p.planes * 4, 1), try BatchNorm(p.planes * 4),
            ]) : nil
            // avd (average-pool instead of a strided conv2) where the stride is > 1 or in the first block of
            // layers 2-4 (`is_first`); layer1 passes is_first=False.
            let avd = p.index == 0 && (p.stride > 1 || p.stage > 0)
            return try ResNeStBottleneck(inplanes: p.inplanes, planes: p.planes, radix: config.radix, stride: p.stride,
                                         avd: avd, downsample: downsample, conv: conv)
        }
        super.init(featureDim: stages.outChannels)
        addModule("conv1", stem)
        addModule("bn1", bn1)
        for (l, stage) in stages.stages.enumerated() { addModule("layer\(l + 1)", stage) }
    }

    public override var classifierPrefixes: [String] { ["fc."] }

    public override func features(_ x: Tensor) throws -> Tensor {
        var x = try bn1(stem(x)).relu().maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1))
        try emit("maxpool", x)
        return try stages.features(x, in: self)
    }
}

/// The downsample path's AvgPool2d(kernel=stride, stride, ceil_mode=True, count_include_pad=False);
/// an identity when the stride is 1.
final class AvgPoolDown: Module, @unchecked Sendable {
    let stride: Int
    init(stride: Int) { self.stride = stride }
    override func forward(_ x: Tensor) throws -> Tensor {
        stride == 1 ? x : try x.avgPool2d(kernel: (stride, stride), stride: (stride, stride), ceilMode: true,
                                          countIncludePad: false)
    }
}

/// ResNeSt bottleneck: 1x1 conv, split-attention 3x3 conv, optional avd pooling, 1x1 conv, residual.
final class ResNeStBottleneck: Module, @unchecked Sendable {
    let conv1: Conv2d, bn1: BatchNorm, conv2: SplitAttentionConv, conv3: Conv2d, bn3: BatchNorm
    let avdStride: Int
    let downsample: Sequential?

    init(inplanes: Int, planes: Int, radix: Int, stride: Int, avd: Bool, downsample: Sequential?,
         conv: (Int, Int, Int, Int, Int, Int, Bool) throws -> Conv2d) throws {
        let width = planes // bottleneck_width 64, cardinality 1
        conv1 = try conv(inplanes, width, 1, 1, 0, 1, false)
        bn1 = try BatchNorm(width)
        avdStride = avd ? stride : 1
        conv2 = try SplitAttentionConv(width, radix: radix, stride: avd ? 1 : stride, conv: conv)
        conv3 = try conv(width, planes * 4, 1, 1, 0, 1, false)
        bn3 = try BatchNorm(planes * 4)
        self.downsample = downsample
        super.init()
        addModule("conv1", conv1)
        addModule("bn1", bn1)
        addModule("conv2", conv2)
        addModule("conv3", conv3)
        addModule("bn3", bn3)
        if let downsample { addModule("downsample", downsample) }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        var out = try conv2(bn1(conv1(x)).relu())
        if avdStride > 1 {
            // avd_layer: AvgPool2d(3, stride, padding=1), count_include_pad left True
            out = try out.avgPool2d(kernel: (3, 3), stride: (avdStride, avdStride), padding: (1, 1))
        }
        out = try bn3(conv3(out))
        let residual = try downsample.map { try $0(x) } ?? x
        return try (out + residual).relu()
    }
}

/// SplAtConv2d with cardinality 1: a grouped conv producing `radix` splits, attention over the
/// splits from their pooled sum (fc1, bn1, relu, fc2, softmax across the radix).
final class SplitAttentionConv: Module, @unchecked Sendable {
    let conv: Conv2d, bn0: BatchNorm, fc1: Conv2d, bn1: BatchNorm, fc2: Conv2d
    let channels: Int, radix: Int

    init(_ channels: Int, radix: Int, stride: Int, conv make: (Int, Int, Int, Int, Int, Int, Bool) throws -> Conv2d)
        throws
    {
        precondition(radix > 1, "radix 1 (sigmoid attention) is not used by any model here")
        self.channels = channels
        self.radix = radix
        let inter = Swift.max(channels * radix / 4, 32)
        conv = try make(channels, channels * radix, 3, stride, 1, radix, false)
        bn0 = try BatchNorm(channels * radix)
        fc1 = try make(channels, inter, 1, 1, 0, 1, true)
        bn1 = try BatchNorm(inter)
        fc2 = try make(inter, channels * radix, 1, 1, 0, 1, true)
        super.init()
        addModule("conv", conv)
        addModule("bn0", bn0)
        addModule("fc1", fc1)
        addModule("bn1", bn1)
        addModule("fc2", fc2)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let y = try bn0(conv(x)).relu()
        let n = y.shape[0]
        let splits = try (0 ..< radix).map { try y.narrow(dim: 1, start: $0 * channels, length: channels) }
        var gap = splits[0]
        for s in splits.dropFirst() { gap = try gap + s }
        gap = try bn1(fc1(gap.mean(dims: [2, 3], keepDim: true))).relu()
        let attention = try fc2(gap).reshape([n, radix, channels]).softmax(dim: 1).reshape([n, radix * channels, 1, 1])
        var out = try attention.narrow(dim: 1, start: 0, length: channels) * splits[0]
        for r in 1 ..< radix {
            out = try out + (attention.narrow(dim: 1, start: r * channels, length: channels) * splits[r])
        }
        return out
    }
}
