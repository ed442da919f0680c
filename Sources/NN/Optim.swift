import Foundation
import Torch

/// Adam (torch.optim.Adam defaults: betas 0.9/0.999, eps 1e-8, no weight decay) on torch's fused
/// kernel. Its state is named tensors, so it saves and resumes like a model.
public final class Adam: @unchecked Sendable {
    public let params: [Tensor]
    public var lr: Double
    public let beta1: Double, beta2: Double, eps: Double, weightDecay: Double
    private(set) var expAvg: [Tensor] = []
    private(set) var expAvgSq: [Tensor] = []
    private(set) var steps: [Tensor] = []

    public init(_ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 0) throws {
        self.params = params
        self.lr = lr
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        for p in params {
            expAvg.append(try Tensor.zeros(p.shape, dtype: p.dtype, device: p.device))
            expAvgSq.append(try Tensor.zeros(p.shape, dtype: p.dtype, device: p.device))
            steps.append(try Tensor.zeros([], dtype: .float32, device: p.device))
        }
    }

    public func zeroGrad() { params.forEach { $0.zeroGrad() } }

    public func step() throws {
        try fusedAdamStep(params: params, expAvg: expAvg, expAvgSq: expAvgSq, steps: steps, lr: lr,
                          beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
    }

    /// state.{i}.exp_avg / exp_avg_sq / step, as torch's optimizer state_dict numbers them.
    public func stateDict() -> NamedTensors {
        var out: NamedTensors = []
        for i in params.indices {
            out.append(("state.\(i).exp_avg", expAvg[i]))
            out.append(("state.\(i).exp_avg_sq", expAvgSq[i]))
            out.append(("state.\(i).step", steps[i]))
        }
        return out
    }

    public func load(stateDict tensors: NamedTensors) throws {
        let own = Dictionary(uniqueKeysWithValues: stateDict().map { ($0.name, $0.tensor) })
        var seen = Set<String>()
        try withNoGrad {
            for (k, t) in tensors {
                guard let dst = own[k] else { throw NNError("optimizer state: unexpected key \(k)") }
                try dst.copy_(t)
                seen.insert(k)
            }
        }
        let missing = own.keys.filter { !seen.contains($0) }.sorted()
        if !missing.isEmpty { throw NNError("optimizer state: missing keys \(missing.joined(separator: ", "))") }
    }
}
