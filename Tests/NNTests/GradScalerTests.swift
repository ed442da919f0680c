import Foundation
import Testing
import TestSupport
import Torch
@testable import NN

/// fp16 loss scaling decides as torch.amp.GradScaler does: same scale after every step, same skipped steps,
/// same weights at the end (python run at test time).
@Suite struct GradScalerTests {
    @Test func decisionsMatchTorch() throws {
        let steps = 12, infSteps = [2, 3, 9], initScale: Float = 1024
        let out = try Reference.run("nn_grad_scaler.py", ["\(steps)", infSteps.map(String.init).joined(separator: ","),
                                                          "\(initScale)"])
        let lines = out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.count == steps + 1)

        let x = try Tensor((0 ..< 24).map { Float($0) / 16 - 0.75 }, shape: [8, 3])
        let y = try Tensor([0, 1, 2, 0, 1, 2, 0, 1] as [Int64])
        let w = try Tensor((0 ..< 9).map { Float($0) / 8 - 0.5 }, shape: [3, 3]).setRequiresGrad(true)
        let opt = try Adam([w], lr: 1e-2)
        let scaler = GradScaler(initScale: initScale, growthInterval: 3)
        for k in 0 ..< steps {
            opt.zeroGrad()
            var loss = try x.matmul(w.transpose(0, 1)).crossEntropy(target: y)
            if infSteps.contains(k) { loss = try loss * Double.infinity }
            try scaler.scaled(loss).backward()
            let stepped = try scaler.step(finite: try scaler.unscale([w])) { try opt.step() }
            #expect(Double(scaler.scale) == lines[k]["scale"] as? Double, "scale after step \(k)")
            #expect(stepped == lines[k]["stepped"] as? Bool, "step \(k) skipped or not")
        }
        let want = try #require(lines.last?["weights"] as? [Double])
        let got = try w.detach().toArray(Double.self)
        let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 1
        #expect(worst <= 1e-6, "weights after 12 scaled Adam steps differ by \(worst)")
    }
}
