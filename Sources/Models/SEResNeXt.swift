import Foundation
import NN
import Torch

/// A SENet variant as Cadene's `pretrainedmodels` builds it.
public struct SEResNeXtConfig: Sendable, Equatable {
    public var name: String
    public var layers: [Int]
    public var groups: Int, baseWidth: Int, reduction: Int

    /// `se_resnext101_32x4d`, the original's `seresnext101`.
    public static let seresnext101 = SEResNeXtConfig(
        name: "seresnext101", layers: [3, 4, 23, 3], groups: 32, baseWidth: 4, reduction: 16)
}

/// SE-ResNeXt (`SENet(SEResNeXtBottleneck, ..., inplanes=64, input_3x3=False,
/// downsample_kernel_size=1, downsample_padding=0)`) without `last_linear`; its fixed 7x7
/// `avg_pool` is replaced by global average pooling, as the original's model does.
/// Init: torch defaults (the library has no init of its own).
public final class SEResNeXt: Backbone, @unchecked Sendable {
    public let config: SEResNeXtConfig
    let conv1: Conv2d, bn1: BatchNorm
    let stages: ResNetStages<SEResNeXtBottleneck>

    public init(_ config: SEResNeXtConfig) throws {
        self.config = config
        conv1 = try Conv2d(3, 64, kernel: 7, stride: 2, padding: .symmetric(3, 3), bias: false)
        bn1 = try BatchNorm(64)
        stages = try ResNetStages(layers: config.layers, inplanes: 64) { p in
            // downsample_kernel_size=1, downsample_padding=0
            let downsample = p.needsDownsample ? Sequential([
                try Conv2d(p.inplanes, p.planes * 4, kernel: 1, stride: p.stageStride, padding: .symmetric(0, 0), bias: false),
                try BatchNorm(p.planes * 4),
            ]) : nil
            return try SEResNeXtBottleneck(inplanes: p.inplanes, planes: p.planes, groups: config.groups,
                                           baseWidth: config.baseWidth, reduction: config.reduction, stride: p.stride,
                                           downsample: downsample)
        }
        super.init(featureDim: stages.outChannels)
        let layer0 = Module()
        layer0.addModule("conv1", conv1)
        layer0.addModule("bn1", bn1)
        addModule("layer0", layer0)
        for (l, stage) in stages.stages.enumerated() { addModule("layer\(l + 1)", stage) }
    }

    public override var classifierPrefixes: [String] { ["last_linear."] }

    public override func features(_ x: Tensor) throws -> Tensor {
        // layer0: conv1, bn1, relu1, MaxPool2d(3, stride 2, ceil_mode) (Caffe-compatible pooling)
        var x = try bn1(conv1(x)).relu().maxPool2d(kernel: (3, 3), stride: (2, 2), ceilMode: true)
        try emit("layer0", x)
        return try stages.features(x, in: self)
    }
}

/// ResNeXt bottleneck type C with squeeze-and-excitation (`SEResNeXtBottleneck`).
final class SEResNeXtBottleneck: Module, @unchecked Sendable {
    let conv1: Conv2d, bn1: BatchNorm, conv2: Conv2d, bn2: BatchNorm, conv3: Conv2d, bn3: BatchNorm
    let fc1: Conv2d, fc2: Conv2d
    let downsample: Sequential?

    init(inplanes: Int, planes: Int, groups: Int, baseWidth: Int, reduction: Int, stride: Int,
         downsample: Sequential?) throws {
        let width = planes * baseWidth / 64 * groups
        conv1 = try Conv2d(inplanes, width, kernel: 1, bias: false)
        bn1 = try BatchNorm(width)
        conv2 = try Conv2d(width, width, kernel: 3, stride: stride, padding: .symmetric(1, 1), groups: groups, bias: false)
        bn2 = try BatchNorm(width)
        conv3 = try Conv2d(width, planes * 4, kernel: 1, bias: false)
        bn3 = try BatchNorm(planes * 4)
        fc1 = try Conv2d(planes * 4, planes * 4 / reduction, kernel: 1)
        fc2 = try Conv2d(planes * 4 / reduction, planes * 4, kernel: 1)
        self.downsample = downsample
        super.init()
        for (name, m) in [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3),
                          ("bn3", bn3)] as [(String, Module)] {
            addModule(name, m)
        }
        let se = Module()
        se.addModule("fc1", fc1)
        se.addModule("fc2", fc2)
        addModule("se_module", se)
        if let downsample { addModule("downsample", downsample) }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        var out = try bn1(conv1(x)).relu()
        out = try bn2(conv2(out)).relu()
        out = try bn3(conv3(out))
        let gate = try fc2(fc1(out.mean(dims: [2, 3], keepDim: true)).relu()).sigmoid()
        let residual = try downsample.map { try $0(x) } ?? x
        return try (out * gate + residual).relu()
    }
}
