import Models
import Torch

/// Grad-CAM (Selvaraju et al. 2017) on the melanoma logit at the last feature map of the backbone (the
/// tensor its global pool reads: EfficientNet's act2, the last block of layer4 for the ResNets):
/// per model and TTA variant, L = ReLU(sum_k a_k A^k) with a_k the spatial mean of d logit_mel / d A^k,
/// resized bilinearly to `size` x `size`, taken back through the variant's flips and transpose, then
/// averaged over variants and models. Models run in eval mode; the gradient is taken per image (eval-mode
/// batch norm keeps the images of a batch independent).
public enum GradCAM {
    /// Maps `[N, size, size]` float32 for images `[N, 3, S, S]` (and meta `[N, M]` for metadata models).
    public static func maps(models: [MelanomaNet], images: Tensor, meta: Tensor?, melIdx: Int, nTest: Int,
                            size: Int, device: Device = .cpu, channelsLast: Bool = false) throws -> Tensor {
        guard !models.isEmpty else { throw RunError("Grad-CAM needs at least one model") }
        guard (1 ... TTA.variants).contains(nTest) else { throw RunError(.nTest, "must be 1...8, got \(nTest)") }
        let x = try images.to(device: device).contiguous(channelsLast: channelsLast).detach().setRequiresGrad(true)
        let m = try meta?.to(device: device)
        var sum: Tensor? = nil
        for model in models {
            model.eval()
            var last: Tensor? = nil
            let previous = model.enet.tap
            model.enet.tap = { _, t in last = t }
            defer { model.enet.tap = previous }
            for i in 0 ..< nTest {
                let cam: Tensor = try {
                    last = nil
                    let logits = try model(try TTA.variant(x, i), meta: m)
                    guard let a = last else { throw RunError("the backbone \(model.spec.enetType) reports no feature map") }
                    let score = try logits.select(dim: 1, index: melIdx).sum()
                    let g = try Autograd.grad(of: score, withRespectTo: [a])[0]
                    return try withNoGrad {
                        let weights = try g.mean(dims: [2, 3], keepDim: true)
                        let l = try (weights * a.detach()).sum(dims: [1], keepDim: true).relu()
                        return try TTA.inverse(try l.interpolateBilinear(height: size, width: size), i)
                    }
                }()
                sum = try withNoGrad { try sum.map { try $0 + cam } ?? cam }
            }
        }
        guard let sum else { throw RunError("no Grad-CAM computed") }
        return try withNoGrad { try (sum / Double(nTest * models.count)).squeeze(dim: 1).to(device: .cpu) }
    }
}
