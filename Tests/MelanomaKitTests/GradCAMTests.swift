import Foundation
import Models
import Testing
import TestSupport
import Torch

@testable import MelanomaKit

@Suite(.serialized) struct GradCAMTests {
    /// Grad-CAM of the melanoma logit at act2 of an EfficientNet-B0 head, averaged over 8 TTA variants,
    /// equals the same definition computed with torch autograd and geffnet at test time.
    @Test func equalsTorchAutograd() throws {
        let dir = try Reference.temporaryDirectory("gradcam")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A B0 head with metadata and realistic batch-norm statistics, made by the reference library.
        let size = 96, melIdx = 6, nTest = 8, nMeta = 5
        try Reference.run("models_golden.py", ["--arch", "efficientnet_b0", "--out", dir.path, "--size", "\(size)",
                                               "--n-meta", "\(nMeta)", "--n-meta-dim", "16,8", "--seed", "3"])
        let model = try MelanomaNet(ModelSpec(enetType: "efficientnet_b0", outDim: 9, nMetaFeatures: nMeta, nMetaDim: [16, 8]))
        try model.load(contentsOf: dir.appendingPathComponent("model.safetensors"), strict: true)
        let images = try Tensor.randn([3, 3, size, size])
        let meta = try Tensor.randn([3, nMeta])
        try SafeTensors.save([("images", images), ("meta", meta)], to: dir.appendingPathComponent("inputs.safetensors"))
        try Reference.run("gradcam_ref.py", [dir.path, "\(nTest)", "\(melIdx)", "\(size)", "9", "\(nMeta)", "16,8"])
        let expected = try SafeTensors.load(dir.appendingPathComponent("expected.safetensors"))[0].tensor
        let cam = try GradCAM.maps(models: [model], images: images, meta: meta, melIdx: melIdx, nTest: nTest, size: size)
        #expect(cam.shape == [3, size, size])
        let diff = try (cam - expected).abs().max().item()
        let peak = try expected.max().item()
        print("Grad-CAM: max abs diff \(diff), map max \(peak)")
        #expect(peak > 0.01)
        #expect(diff <= 1e-4, "max |swift - torch| = \(diff), map max \(peak)")
        // No gradient is left on the parameters, and the model still predicts (tap restored).
        #expect(model.namedParameters().allSatisfy { $0.tensor.grad == nil })
        #expect(model.enet.tap == nil)
    }

    @Test func untransformInvertsEveryVariant() throws {
        let x = try Tensor.randn([1, 1, 5, 5])
        for i in 0 ..< TTA.variants {
            let back = try TTA.inverse(try TTA.variant(x, i), i)
            #expect(try (back - x).abs().max().item() == 0)
        }
    }
}
