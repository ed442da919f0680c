import Foundation
import NN
import Torch

/// A feature extractor: image batch [N, 3, H, W] -> pooled features [N, featureDim].
/// Subclasses build their tree with the reference library's module names, so their state_dict
/// keys are the library's keys without its classifier.
open class Backbone: Module, @unchecked Sendable {
    /// Width of the pooled features.
    public let featureDim: Int

    /// Called with (layer name, output) after each block when set; the names are the reference
    /// library's module paths (`blocks.3.1`, `layer2.0`, ...). For golden tests and debugging,
    /// so it costs one nil check per block when unset.
    public var tap: ((String, Tensor) throws -> Void)?

    public init(featureDim: Int) {
        self.featureDim = featureDim
        super.init()
    }

    /// Pooled features [N, featureDim].
    open func features(_ x: Tensor) throws -> Tensor {
        throw ModelError("\(type(of: self)) does not define features(_:)")
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try features(x) }

    /// Key prefixes of the ImageNet classifier in the library's own state_dict (skipped when
    /// loading pretrained weights).
    open var classifierPrefixes: [String] { ["classifier.", "fc.", "last_linear."] }

    @inline(__always) func emit(_ name: @autoclosure () -> String, _ x: Tensor) throws {
        if let tap { try tap(name(), x) }
    }
}

// MARK: initialisers shared by the families

extension Conv2d {
    /// normal(0, sqrt(2 / fan_out)) with fan_out = k*k*out/groups: geffnet's "goog" init (bias
    /// zeroed) and, with groups 1, ResNeSt's init (bias left at torch's default).
    func initFanOut(outChannels: Int, kernel: Int, groups: Int = 1, zeroBias: Bool = true) throws {
        let fanOut = Double(kernel * kernel * outChannels / groups)
        try withNoGrad {
            try weight.normal_(mean: 0, std: (2.0 / fanOut).squareRoot())
            if zeroBias { try bias?.fill_(0) }
        }
    }
}

// MARK: the ResNet stage layout shared by SE-ResNeXt and ResNeSt

/// Four stages of bottlenecks as torchvision-style ResNets lay them out: stage l works at `64 << l` planes
/// (4x as many output channels), its first block strides by 2 except in stage 1, and only that first block
/// may need a downsample path. Blocks are named `layer{l+1}.{b}` as the libraries name them.
struct ResNetStages<Block: Module> {
    /// What a family's block builder is told.
    struct BlockPlan {
        let stage: Int, index: Int
        let inplanes: Int, planes: Int
        /// The stride of this block (the stage's stride for its first block, 1 after).
        let stride: Int
        /// The stage's stride, which the downsample path of the first block uses.
        let stageStride: Int
        let needsDownsample: Bool
    }

    private(set) var stages: [Sequential] = []
    private(set) var blocks: [(name: String, block: Block)] = []
    private(set) var outChannels: Int

    init(layers: [Int], inplanes: Int, makeBlock: (BlockPlan) throws -> Block) throws {
        var inplanes = inplanes
        for (l, count) in layers.enumerated() {
            let planes = 64 << l, stride = l == 0 ? 1 : 2
            var stage: [Module] = []
            for b in 0 ..< count {
                let plan = BlockPlan(stage: l, index: b, inplanes: inplanes, planes: planes, stride: b == 0 ? stride : 1,
                                     stageStride: stride, needsDownsample: b == 0 && (stride != 1 || inplanes != planes * 4))
                let block = try makeBlock(plan)
                stage.append(block)
                blocks.append(("layer\(l + 1).\(b)", block))
                inplanes = planes * 4
            }
            stages.append(Sequential(stage))
        }
        outChannels = inplanes
    }

    /// Runs every block in order (reporting each to `backbone`'s tap) and pools globally.
    func features(_ x: Tensor, in backbone: Backbone) throws -> Tensor {
        var x = x
        for (name, block) in blocks {
            x = try block(x)
            try backbone.emit(name, x)
        }
        return try x.mean(dims: [2, 3])
    }
}
