import Foundation
import Torch

/// A node of the model tree. Parameters, buffers and children are registered by name as the
/// tree is built, so a dotted path (`blocks.0.1.conv_dw.weight`) is the PyTorch state_dict key.
open class Module: @unchecked Sendable {
    public private(set) var parameters: [(name: String, tensor: Tensor)] = []
    public private(set) var buffers: [(name: String, tensor: Tensor)] = []
    public private(set) var children: [(name: String, module: Module)] = []
    public private(set) var isTraining = true

    public init() {}

    /// Registers a trainable tensor under `name` (gradients on) and returns it.
    @discardableResult
    public func addParameter(_ name: String, _ t: Tensor) throws -> Tensor {
        try t.setRequiresGrad(true)
        parameters.append((name, t))
        return t
    }

    /// Registers a non-trainable tensor (running statistics) under `name` and returns it.
    @discardableResult
    public func addBuffer(_ name: String, _ t: Tensor) -> Tensor {
        buffers.append((name, t))
        return t
    }

    /// Registers a child module under `name` and returns it.
    @discardableResult
    public func addModule<M: Module>(_ name: String, _ m: M) -> M {
        children.append((name, m))
        return m
    }

    /// The module's own forward for a single input; modules with other signatures define their own.
    open func forward(_ x: Tensor) throws -> Tensor {
        throw NNError("\(type(of: self)) has no single-input forward")
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }

    /// Switches this module and every descendant between training and evaluation behaviour.
    public func train(_ on: Bool = true) {
        isTraining = on
        for c in children { c.module.train(on) }
    }

    public func eval() { train(false) }

    /// Every parameter with its full dotted path, in registration order (as `named_parameters`).
    public func namedParameters(prefix: String = "") -> NamedTensors {
        var out: NamedTensors = parameters.map { (prefix + $0.name, $0.tensor) }
        for c in children { out += c.module.namedParameters(prefix: prefix + c.name + ".") }
        return out
    }

    public func namedBuffers(prefix: String = "") -> NamedTensors {
        var out: NamedTensors = buffers.map { (prefix + $0.name, $0.tensor) }
        for c in children { out += c.module.namedBuffers(prefix: prefix + c.name + ".") }
        return out
    }

    /// Parameters then buffers of each module, depth first: the order of torch's `state_dict`.
    public func stateDict(prefix: String = "") -> NamedTensors {
        var out: NamedTensors = parameters.map { (prefix + $0.name, $0.tensor) }
        out += buffers.map { (prefix + $0.name, $0.tensor) }
        for c in children { out += c.module.stateDict(prefix: prefix + c.name + ".") }
        return out
    }

    public func trainableParameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Moves every parameter and buffer to `device` (and optionally `dtype` for floating tensors),
    /// in place, so references held elsewhere (optimizer state) stay valid only if made after this.
    public func to(device: Device, dtype: DType? = nil) throws {
        func move(_ list: inout [(name: String, tensor: Tensor)], grad: Bool) throws {
            list = try list.map { item in
                let t = item.tensor
                let d = t.dtype.isFloatingPoint ? (dtype ?? t.dtype) : t.dtype
                if t.device == device, t.dtype == d { return item }
                let moved = try withNoGrad { try t.to(device: device, dtype: d) }
                if grad { try moved.setRequiresGrad(true) }
                return (item.name, moved)
            }
        }
        try move(&parameters, grad: true)
        try move(&buffers, grad: false)
        didMove()
        for c in children { try c.module.to(device: device, dtype: dtype) }
    }

    /// Called after `to(device:)` replaced tensors, for modules that cache references.
    open func didMove() {}

    /// The tensor registered under a local name on this module.
    public func tensor(_ name: String) -> Tensor? {
        parameters.first { $0.name == name }?.tensor ?? buffers.first { $0.name == name }?.tensor
    }
}

extension Module {
    /// Rewrites every 4-d parameter (the conv weights) in channels-last layout, in place, keeping each
    /// parameter's identity. Convolutions on channels-last weights and inputs run about 1.5x faster on the CPU
    /// here (BENCHMARKS.md); the values are the same, and `stateDict()` still names the same tensors.
    public func toChannelsLast() throws {
        try withNoGrad {
            for (_, p) in namedParameters() where p.rank == 4 {
                try p.setData(p.contiguous(channelsLast: true))
            }
        }
    }
}
