import Foundation
import Models
import NN
import TestSupport
import Testing
import Torch

/// Every registry name builds a tree whose state_dict keys and shapes (in order) and BN eps equal
/// the original library's model with its classifier removed.
@Test func everyBackboneHasTheReferenceKeys() throws {
    let dir = try Reference.temporaryDirectory("models-keys")
    defer { try? FileManager.default.removeItem(at: dir) }
    let json = dir.appendingPathComponent("keys.json")
    try Reference.run("models_keys.py", [json.path, ModelRegistry.names.joined(separator: ",")])
    let ref = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: [String: Any]])
    for name in ModelRegistry.names {
        let entry = try #require(ref[name], "reference has no \(name)")
        let keys = try #require(entry["keys"] as? [[Any]])
        let expected = keys.map { "\($0[0]) \(($0[1] as? [Int]) ?? [])" }
        let backbone = try ModelRegistry.backbone(name)
        let ours = backbone.stateDict().map { "\($0.name) \($0.tensor.shape)" }
        let firstDiff = zip(ours, expected).first { $0 != $1 }.map { "ours \($0.0) vs reference \($0.1)" }
        #expect(ours == expected, "\(name): \(ours.count) keys vs \(expected.count); first difference: \(firstDiff ?? "length")")
        let eps = Set(batchNorms(backbone).map(\.eps))
        let refEps = Set(try #require(entry["bn_eps"] as? [Double]))
        #expect(eps == refEps, "\(name): BN eps \(eps.sorted()) vs reference \(refEps.sorted())")
    }
}

private func batchNorms(_ m: Module) -> [BatchNorm] {
    (m as? BatchNorm).map { [$0] } ?? m.children.flatMap { batchNorms($0.module) }
}

@Test func featureWidthsMatchTheSpec() throws {
    // original-system.md section 1.5 / 3.1
    let widths = ["efficientnet_b0": 1280, "efficientnet_b3": 1536, "tf_efficientnet_b4_ns": 1792,
                  "tf_efficientnet_b5_ns": 2048, "tf_efficientnet_b6_ns": 2304, "tf_efficientnet_b7_ns": 2560,
                  "resnest101": 2048, "seresnext101": 2048]
    for (name, w) in widths {
        switch try ModelRegistry.family(name) {
        case .efficientNet(let c): #expect(try EfficientNet(c).featureDim == w, "\(name)")
        case .resNeSt, .seResNeXt: #expect(try ModelRegistry.backbone(name).featureDim == w, "\(name)")
        }
    }
}

@Test func unknownNameListsTheKnownOnes() {
    do {
        _ = try ModelRegistry.backbone("efficientnet_b9")
        Issue.record("expected an error")
    } catch {
        let text = "\(error)"
        #expect(text.contains("efficientnet_b9"))
        for name in ["efficientnet_b3", "tf_efficientnet_b7_ns", "resnest101", "seresnext101"] {
            #expect(text.contains(name), "message lacks \(name): \(text)")
        }
    }
}

@Test func headKeysAndMetaShapes() throws {
    let model = try MelanomaNet(ModelSpec(enetType: "efficientnet_b0", outDim: 9, nMetaFeatures: 14, nMetaDim: [128, 32]))
    let keys = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor.shape) })
    #expect(keys["meta.0.weight"] == [128, 14])
    #expect(keys["meta.1.running_var"] == [128])
    #expect(keys["meta.4.weight"] == [32, 128])
    #expect(keys["meta.5.num_batches_tracked"] == [])
    #expect(keys["myfc.weight"] == [9, 1280 + 32])
    #expect(keys.keys.allSatisfy { $0.hasPrefix("enet.") || $0.hasPrefix("meta.") || $0.hasPrefix("myfc.") })
    let plain = try MelanomaNet(ModelSpec(enetType: "efficientnet_b0", outDim: 4))
    #expect(plain.stateDict().contains { $0.name == "myfc.weight" && $0.tensor.shape == [4, 1280] })
    #expect(!plain.stateDict().contains { $0.name.hasPrefix("meta.") })
    // A metadata model without metadata is a user error, not a crash.
    model.eval()
    #expect(throws: (any Error).self) { try model(try Tensor.randn([1, 3, 32, 32]), meta: nil) }
}

@Test func trainingHeadSamplesDropout() throws {
    LibTorch.manualSeed(1)
    let x = try Tensor.randn([2, 3, 32, 32])
    // In train mode BN uses batch statistics, which are the same for the same batch, so two
    // passes differ only through the head's dropout samples.
    for p in [0.5, 0.0] {
        let model = try MelanomaNet(ModelSpec(enetType: "efficientnet_b0", outDim: 3, headDropout: p))
        model.train()
        let a = try withNoGrad { try model(x, meta: nil) }
        let b = try withNoGrad { try model(x, meta: nil) }
        if p > 0 { #expect(try maxAbsDiff(a, b) > 0, "dropout 0.5 must sample") }
        else { #expect(try maxAbsDiff(a, b) == 0, "dropout 0 must be deterministic") }
    }
}
