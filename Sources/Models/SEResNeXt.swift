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
    let blockList: [(name: String, block: SEResNeXtBottleneck)]

    public init(_ config: SEResNeXtConfig) throws {
        self.config = config
        conv1 = try Conv2d(3, 64, kernel: 7, stride: 2, padding: .symmetric(3, 3), bias: false)
        bn1 = try BatchNorm(64)
        var inplanes = 64
        var layers: [(String, Sequential)] = []
        var list: [(String, SEResNeXtBottleneck)] = []
        for (l, count) in config.layers.enumerated() {
            let planes = 64 << l
            let stride = l == 0 ? 1 : 2
            var blocks: [Module] = []
            for b in 0 ..< count {
                var downsample: Sequential?
                if b == 0, stride != 1 || inplanes != planes * 4 {
                    downsample = Sequential([
                        try Conv2d(inplanes, planes * 4, kernel: 1, stride: stride, padding: .symmetric(0, 0), bias: false),
                        try BatchNorm(planes * 4),
                    ])
                }
                let block = try SEResNeXtBottleneck(
                    inplanes: inplanes, planes: planes, groups: config.groups, baseWidth: config.baseWidth,
                    reduction: config.reduction, stride: b == 0 ? stride : 1, downsample: downsample)
                blocks.append(block)
                list.append(("layer\(l + 1).\(b)", block))
                inplanes = planes * 4
            }
            layers.append(("layer\(l + 1)", Sequential(blocks)))
        }
        blockList = list
        super.init(featureDim: inplanes)
        let layer0 = Module()
        layer0.addModule("conv1", conv1)
        layer0.addModule("bn1", bn1)
        addModule("layer0", layer0)
        for (name, layer) in layers { addModule(name, layer) }
    }

    public override var classifierPrefixes: [String] { ["last_linear."] }

    public override func features(_ x: Tensor) throws -> Tensor {
        // layer0: conv1, bn1, relu1, MaxPool2d(3, stride 2, ceil_mode) (Caffe-compatible pooling)
        var x = try bn1(conv1(x)).relu().maxPool2d(kernel: (3, 3), stride: (2, 2), ceilMode: true)
        try emit("layer0", x)
        for (name, block) in blockList {
            x = try block(x)
            try emit(name, x)
        }
        return try x.mean(dims: [2, 3])
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
