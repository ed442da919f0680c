import Models
import NN
import Torch

/// A model the pipeline can train and evaluate: a module tree (parameters, buffers, state_dict keys,
/// train/eval) with the original's two-input forward. Models without metadata ignore `meta`.
public protocol TrainableModel: Module {
    /// Logits `[N, outDim]` for images `[N, 3, H, W]` and, when the model uses them, meta features `[N, nMeta]`.
    func forward(images: Tensor, meta: Tensor?) throws -> Tensor
}

/// The melanoma network (backbone + metadata head) is the model every command trains and runs.
extension MelanomaNet: TrainableModel {
    public func forward(images: Tensor, meta: Tensor?) throws -> Tensor { try self(images, meta: meta) }
}
