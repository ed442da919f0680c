import Foundation
import Models
import NN
import TestSupport
import Testing
import Torch

/// Eval-mode parity with the original libraries: same weights, same input, pooled features and
/// logits within 1e-4 (float32, max abs). On failure the message names the first block whose
/// output diverged (relative 1e-4 of the block's largest value).
struct ParityCase: Sendable, CustomTestStringConvertible {
    let arch: String, size: Int, nMeta: Int, nMetaDim: [Int]
    var testDescription: String { "\(arch) \(size)px meta \(nMeta > 0 ? nMetaDim.description : "none")" }

    static let all: [ParityCase] = [
        .init(arch: "efficientnet_b0", size: 64, nMeta: 0, nMetaDim: [512, 128]),
        .init(arch: "efficientnet_b3", size: 64, nMeta: 14, nMetaDim: [512, 128]),
        // 67px: the stem's TF padding is symmetric (2), later stride-2 convs get odd, asymmetric pads.
        .init(arch: "tf_efficientnet_b4_ns", size: 67, nMeta: 14, nMetaDim: [128, 32]),
        .init(arch: "seresnext101", size: 64, nMeta: 0, nMetaDim: [512, 128]),
        .init(arch: "resnest101", size: 64, nMeta: 14, nMetaDim: [512, 128]),
    ]
}

let parityTolerance = 1e-4

@Test(arguments: ParityCase.all)
func evalParityWithReference(_ c: ParityCase) throws {
    LibTorch.numThreads = 2
    let g = try Golden.make(c.arch, size: c.size, nMeta: c.nMeta, nMetaDim: c.nMetaDim, extra: ["--backbone-pth"])
    defer { g.remove() }
    let model = try MelanomaNet(ModelSpec(enetType: c.arch, outDim: 9, nMetaFeatures: c.nMeta, nMetaDim: c.nMetaDim))
    try model.load(contentsOf: g.file("model.safetensors"), strict: true)
    model.eval()
    let x = try #require(g.io["input"])
    let trace = LayerTrace(reference: g.io)
    model.enet.tap = { try trace.record($0, $1) }
    let features = try withNoGrad { try model.enet.features(x) }
    model.enet.tap = nil
    let logits = try withNoGrad { try model(x, meta: g.io["meta"]) }

    #expect(trace.missing.isEmpty, "layers the reference did not tap: \(trace.missing)")
    #expect(trace.rows.count == trace.tappedReferenceCount, "tapped \(trace.rows.count) layers, reference \(trace.tappedReferenceCount)")
    let where_ = trace.firstDivergence(tolerance: parityTolerance) ?? "no block diverged"
    let fd = try maxAbsDiff(features, try #require(g.io["features"]))
    #expect(fd <= parityTolerance, "\(c.arch) features: max abs diff \(fd) > \(parityTolerance); \(where_)")
    let ld = try maxAbsDiff(logits, try #require(g.io["logits"]))
    #expect(ld <= parityTolerance, "\(c.arch) logits: max abs diff \(ld) > \(parityTolerance); \(where_)")
    print("parity \(c.testDescription): features max abs diff \(fd) (ref max \(try maxAbs(try #require(g.io["features"])))), "
          + "logits \(ld), worst block \(trace.rows.map(\.diff).max() ?? 0)")

    // The library's own state_dict (classifier included, .pth) loads as pretrained weights.
    let fresh = try ModelRegistry.backbone(c.arch)
    let report = try fresh.loadPretrained(from: g.file("backbone.pth"))
    #expect(report.loaded == fresh.stateDict().count)
    #expect(!report.skipped.isEmpty && report.skipped.allSatisfy { k in fresh.classifierPrefixes.contains { k.hasPrefix($0) } },
            "skipped \(report.skipped)")
    fresh.eval()
    let pf = try withNoGrad { try fresh.features(x) }
    #expect(try maxAbsDiff(pf, features) == 0, "pretrained-loaded backbone differs from the checkpoint-loaded one")
}

/// One training step (dropout off): logits, loss, gradients and the parameters and BN statistics
/// after torch.optim.Adam (ours: NN.Adam on torch's fused kernel) agree with the reference.
@Test func trainStepMatchesTorchAdam() throws {
    LibTorch.numThreads = 2
    let g = try Golden.make("efficientnet_b0", size: 64, nMeta: 14, extra: ["--train", "--lr", "1e-3"])
    defer { g.remove() }
    let tr = try Golden.tensors(g.file("train.safetensors"))
    let spec = ModelSpec(enetType: "efficientnet_b0", outDim: 9, nMetaFeatures: 14, headDropout: 0, metaDropout: 0)
    let model = try MelanomaNet(spec)
    try model.load(contentsOf: g.file("model.safetensors"), strict: true)
    model.train()
    let opt = try Adam(model.trainableParameters(), lr: 1e-3)
    opt.zeroGrad()
    let logits = try model(try #require(g.io["input"]), meta: g.io["meta"])
    let loss = try logits.crossEntropy(target: try #require(tr["target"]))
    try loss.backward()

    let ld = try maxAbsDiff(logits, try #require(tr["logits"]))
    #expect(ld <= 1e-4, "train-mode logits differ by \(ld)")
    let lossDiff = Swift.abs(try loss.item() - (try #require(tr["loss"]).item()))
    #expect(lossDiff <= 1e-5, "loss differs by \(lossDiff)")
    // Gradients relative to each parameter's largest reference gradient, floored at 1e-3 of the
    // model's largest: some are mathematically zero (a bias feeding a train-mode BN) and hold only
    // float32 cancellation noise, which has no relative precision.
    var grads: [(key: String, ours: Tensor, ref: Tensor)] = []
    for (k, p) in model.namedParameters() {
        let ref = try #require(tr["grad.\(k)"], "reference has no gradient for \(k)")
        grads.append((k, try #require(p.grad, "no gradient for \(k)"), ref))
    }
    let globalMax = try grads.map { try maxAbs($0.ref) }.max() ?? 0
    var worstGrad = (key: "", diff: 0.0)
    for (k, grad, ref) in grads {
        let d = try maxAbsDiff(grad, ref) / Swift.max(1e-3 * globalMax, try maxAbs(ref))
        if d > worstGrad.diff { worstGrad = (k, d) }
    }
    #expect(worstGrad.diff <= 1e-3, "gradient of \(worstGrad.key) differs by \(worstGrad.diff) (relative)")

    try opt.step()
    // Adam's first step moves a weight by lr * g / (|g| + eps): about lr * sign(g) where |g| is well
    // above eps (1e-8), and arbitrarily within [-lr, lr] where the gradient is numerically zero (e.g. the
    // bias of a BN or Linear that feeds a train-mode BN). So weights with |g| >= 1e-5 must agree to
    // 1e-6 (0.1% of a step); the others must have moved by at most lr on both sides.
    let before = try Golden.tensors(g.file("model.safetensors"))
    let params = Set(model.namedParameters().map(\.name))
    var bad: [String] = []
    for (k, t) in model.stateDict() {
        let ref = try #require(tr["after.\(k)"], "reference lacks \(k)")
        if params.contains(k) {
            let gref = try #require(tr["grad.\(k)"]).to(dtype: .float64)
            let firm = try gref.abs().gt(1e-5).to(dtype: .float64)
            let d = try ((t.to(dtype: .float64) - ref.to(dtype: .float64)).abs() * firm).max().item()
            if d > 1e-6 { bad.append("\(k) (\(d) where |grad| >= 1e-5)") }
            let start = try #require(before[k])
            let moved = Swift.max(try maxAbsDiff(t, start), try maxAbsDiff(ref, start))
            if moved > 1e-3 * 1.001 { bad.append("\(k) moved \(moved) > lr") }
        } else {
            let d = try maxAbsDiff(t, ref)
            if d > 1e-6 * Swift.max(1, try maxAbs(ref)) { bad.append("\(k) (\(d))") }
        }
    }
    #expect(bad.isEmpty, "after one Adam step: \(bad.prefix(10))")
}
