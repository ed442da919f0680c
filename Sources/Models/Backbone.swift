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
        throw TorchError("\(type(of: self)) does not define features(_:)")
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
