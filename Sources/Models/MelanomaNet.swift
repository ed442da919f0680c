import Foundation
import NN
import Torch

/// What the original's `--enet-type`, `--out-dim`, metadata and `--n-meta-dim` flags choose.
public struct ModelSpec: Sendable, Equatable {
    public var enetType: String
    public var outDim: Int
    /// Number of metadata features (14 with `--use-meta`), 0 for none.
    public var nMetaFeatures: Int
    /// Hidden widths of the metadata branch (`--n-meta-dim 512,128`).
    public var nMetaDim: [Int]
    /// Dropout of the five head samples (0.5 in the original) and of the metadata branch (0.3).
    /// Tests set both to 0 to compare training steps deterministically.
    public var headDropout: Double
    public var metaDropout: Double

    public init(enetType: String, outDim: Int, nMetaFeatures: Int = 0, nMetaDim: [Int] = [512, 128],
                headDropout: Double = 0.5, metaDropout: Double = 0.3) {
        self.enetType = enetType
        self.outDim = outDim
        self.nMetaFeatures = nMetaFeatures
        self.nMetaDim = nMetaDim
        self.headDropout = headDropout
        self.metaDropout = metaDropout
    }
}

/// The original's melanoma model (`Effnet_Melanoma`, `Resnest_Melanoma`, `Seresnext_Melanoma`):
/// backbone features, an optional metadata MLP concatenated to them, and five dropout samples
/// through one shared linear layer, averaged. Keys: `enet.*`, `meta.{0,1,4,5}.*`, `myfc.*`.
/// The head keeps torch's default init (the original does not re-initialise it).
public final class MelanomaNet: Module, @unchecked Sendable {
    public let spec: ModelSpec
    public let enet: Backbone
    public let meta: Sequential?
    public let myfc: Linear
    let dropouts: [Dropout]

    public convenience init(_ spec: ModelSpec) throws {
        try self.init(backbone: try ModelRegistry.backbone(spec.enetType), spec: spec)
    }

    public init(backbone: Backbone, spec: ModelSpec) throws {
        guard spec.outDim > 0 else { throw ModelError("the output count must be positive, got \(spec.outDim)") }
        self.spec = spec
        enet = backbone
        var inChannels = backbone.featureDim
        if spec.nMetaFeatures > 0 {
            guard spec.nMetaDim.count == 2, spec.nMetaDim.allSatisfy({ $0 > 0 }) else {
                throw ModelError("the metadata branch needs two positive widths like 512,128, got \(spec.nMetaDim)")
            }
            let (d0, d1) = (spec.nMetaDim[0], spec.nMetaDim[1])
            meta = Sequential([
                try Linear(spec.nMetaFeatures, d0), try BatchNorm(d0), SiLU(), Dropout(spec.metaDropout),
                try Linear(d0, d1), try BatchNorm(d1), SiLU(),
            ])
            inChannels += d1
        } else {
            meta = nil
        }
        dropouts = (0 ..< 5).map { _ in Dropout(spec.headDropout) }
        myfc = try Linear(inChannels, spec.outDim)
        super.init()
        addModule("enet", enet)
        addModule("dropouts", ModuleList(dropouts))
        if let meta { addModule("meta", meta) }
        addModule("myfc", myfc)
    }

    /// Logits [N, outDim] (no softmax). `meta` is required exactly when the model has a metadata branch.
    public func callAsFunction(_ x: Tensor, meta xMeta: Tensor?) throws -> Tensor {
        var h = try enet.features(x)
        if let meta {
            guard let xMeta else { throw ModelError("this model uses \(spec.nMetaFeatures) metadata features; none given") }
            h = try Tensor.cat([h, meta(xMeta)], dim: 1)
        }
        // In eval the five samples are identical, so one pass gives the same logits.
        if !isTraining || spec.headDropout == 0 { return try myfc(h) }
        var out = try myfc(dropouts[0](h))
        for d in dropouts.dropFirst() { out = try out + myfc(d(h)) }
        return try out / Double(dropouts.count)
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try self(x, meta: nil) }
}
