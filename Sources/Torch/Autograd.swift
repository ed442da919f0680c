import CTorch

// Autograd and the per-thread modes libtorch keeps (grad mode, autocast). Each scope sets the mode
// on the calling thread and restores it before returning, so a scope never leaks across threads.

extension Tensor {
    public var requiresGrad: Bool { ct_requires_grad(handle) != 0 }

    /// Marks this (leaf) tensor as a parameter to differentiate; returns self for chaining.
    @discardableResult
    public func setRequiresGrad(_ on: Bool = true) throws -> Tensor {
        _ = try checked { ct_set_requires_grad(handle, on ? 1 : 0, $0) }
        return self
    }

    public func backward() throws { _ = try checked { ct_backward(handle, $0) } }

    /// The accumulated gradient, nil when none has been computed.
    public var grad: Tensor? { ct_grad(handle).map { Tensor(handle: $0) } }

    /// Drops the gradient (as `zero_grad(set_to_none=True)`).
    public func zeroGrad() { _ = ct_zero_grad(handle) }
}

public enum Autograd {
    public static var isEnabled: Bool { ct_grad_enabled() != 0 }

    /// `torch.autograd.grad(output, inputs)` for a scalar `output`: the gradients with respect to any tensors
    /// of its graph, intermediate ones included (what Grad-CAM needs of a feature map). No `.grad` is
    /// accumulated and the graph is freed; an input the output does not depend on gets zeros.
    public static func grad(of output: Tensor, withRespectTo inputs: [Tensor]) throws -> [Tensor] {
        let hs: [ct_tensor?] = inputs.map { $0.handle }
        var out = [ct_tensor?](repeating: nil, count: inputs.count)
        try withExtendedLifetime((output, inputs)) {
            _ = try checked { ct_autograd_grad(output.handle, hs, Int32(hs.count), &out, $0) }
        }
        return try out.map { h in
            guard let h else { throw TorchError("autograd returned no gradient") }
            return Tensor(handle: h)
        }
    }
}

/// Runs `body` with gradient recording off on this thread.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    let was = ct_grad_enabled()
    ct_set_grad_enabled(0)
    defer { ct_set_grad_enabled(was) }
    return try body()
}


/// Runs `body` under autocast on `device` (bf16 by default), as `torch.autocast`.
public func withAutocast<R>(device: Device = .cpu, dtype: DType = .bfloat16, enabled: Bool = true,
                            _ body: () throws -> R) throws -> R {
    guard enabled else { return try body() }
    let prevDtype = ct_autocast_dtype(device.typeCode)
    let was = try checked { ct_autocast_enter(device.typeCode, dtype.rawValue, $0) }
    defer { _ = try? checked { ct_autocast_exit(device.typeCode, was, prevDtype, $0) } }
    return try body()
}

public enum Autocast {
    public static func isEnabled(on device: Device = .cpu) -> Bool { ct_autocast_enabled(device.typeCode) != 0 }
}

/// Clips the global L2 norm of the parameters' gradients to `maxNorm` in place; returns the norm.
@discardableResult
public func clipGradNorm(_ params: [Tensor], maxNorm: Double) throws -> Double {
    let hs: [ct_tensor?] = params.map { $0.handle }
    return try withExtendedLifetime(params) {
        try checked { ct_clip_grad_norm(hs, Int32(hs.count), maxNorm, $0) }
    }
}

/// One step of torch's fused Adam over all parameters with gradients.
public func fusedAdamStep(params: [Tensor], expAvg: [Tensor], expAvgSq: [Tensor], steps: [Tensor],
                          lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double) throws {
    let p: [ct_tensor?] = params.map { $0.handle }, m: [ct_tensor?] = expAvg.map { $0.handle }
    let v: [ct_tensor?] = expAvgSq.map { $0.handle }, s: [ct_tensor?] = steps.map { $0.handle }
    try withExtendedLifetime((params, expAvg, expAvgSq, steps)) {
        _ = try checked { ct_adam_step(p, m, v, s, Int32(p.count), lr, beta1, beta2, eps, weightDecay, $0) }
    }
}
