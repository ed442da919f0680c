import Torch

/// Dynamic loss scaling for fp16 mixed precision, with torch.amp.GradScaler's semantics: the loss is
/// multiplied by `scale` before backward; before the optimizer step the gradients are divided by it and
/// checked; a step whose gradients hold an inf or NaN is skipped and the scale halved; after
/// `growthInterval` clean steps in a row the scale doubles. bf16 needs none of this (its range is float32's).
public final class GradScaler {
    /// float32, as torch keeps it.
    public private(set) var scale: Float
    /// Clean steps since the last change of scale.
    public private(set) var growthTracker: Int
    public let growthFactor: Float
    public let backoffFactor: Float
    public let growthInterval: Int

    public init(initScale: Float = 65536, growthFactor: Float = 2, backoffFactor: Float = 0.5, growthInterval: Int = 2000,
                growthTracker: Int = 0) {
        scale = initScale
        self.growthFactor = growthFactor
        self.backoffFactor = backoffFactor
        self.growthInterval = growthInterval
        self.growthTracker = growthTracker
    }

    /// Puts back a scale saved with a resume point.
    public func restore(scale: Float, growthTracker: Int) {
        self.scale = scale
        self.growthTracker = growthTracker
    }

    /// `loss * scale`, to call backward on.
    public func scaled(_ loss: Tensor) throws -> Tensor { try loss * Double(scale) }

    /// Divides every gradient by the scale in place (torch multiplies by the float32 reciprocal) and says
    /// whether all of them are finite. Call once per step, before clipping.
    public func unscale(_ params: [Tensor]) throws -> Bool {
        let inverse = Double(Float(1.0 / Double(scale)))
        var finite = true
        for p in params {
            guard let g = p.grad else { continue }
            try g.mul_(inverse)
            // max |g| is NaN or inf exactly when some element is.
            if finite, try g.abs().max().item().isFinite == false { finite = false }
        }
        return finite
    }

    /// Runs `step` unless the gradients were not finite, then updates the scale. Returns whether it stepped.
    @discardableResult
    public func step(finite: Bool, _ step: () throws -> Void) throws -> Bool {
        if finite { try step() }
        update(finite: finite)
        return finite
    }

    /// torch's `_amp_update_scale_`: back off on a non-finite step, grow after `growthInterval` clean ones.
    public func update(finite: Bool) {
        if !finite {
            scale *= backoffFactor
            growthTracker = 0
        } else {
            growthTracker += 1
            if growthTracker == growthInterval {
                scale *= growthFactor
                growthTracker = 0
            }
        }
    }
}
