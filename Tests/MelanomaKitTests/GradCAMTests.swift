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
        LibTorch.manualSeed(5)
        let model = try MelanomaNet(ModelSpec(enetType: "efficientnet_b0", outDim: 4))
        try model.save(to: dir.appendingPathComponent("model.pth"))
        let size = 96, melIdx = 1, nTest = 8
        let images = try Tensor.randn([2, 3, size, size])
        try SafeTensors.save([("images", images)], to: dir.appendingPathComponent("inputs.safetensors"))
        try Reference.run("gradcam_ref.py", [dir.path, "\(nTest)", "\(melIdx)", "\(size)", "4"])
        let expected = try SafeTensors.load(dir.appendingPathComponent("expected.safetensors"))[0].tensor
        let cam = try GradCAM.maps(models: [model], images: images, meta: nil, melIdx: melIdx, nTest: nTest, size: size)
        #expect(cam.shape == [2, size, size])
        let diff = try (cam - expected).abs().max().item()
        let peak = try expected.max().item()
        #expect(peak > 0)
        #expect(diff <= 1e-4, "max |swift - torch| = \(diff), map max \(peak)")
        // No gradient is left on the parameters, and the model still predicts (tap restored).
        #expect(model.namedParameters().allSatisfy { $0.tensor.grad == nil })
        #expect(model.enet.tap == nil)
    }

    @Test func untransformInvertsEveryVariant() throws {
        let x = try Tensor.randn([1, 1, 5, 5])
        for i in 0 ..< TTA.variants {
            let back = try GradCAM.untransform(try TTA.variant(x, i), variant: i)
            #expect(try (back - x).abs().max().item() == 0)
        }
    }
}
