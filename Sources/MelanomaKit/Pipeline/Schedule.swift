import Foundation

/// The original's learning rate per epoch (train.py's epoch loop): `GradualWarmupSchedulerV2(multiplier=10,
/// total_epoch=1)` handing over to `CosineAnnealingWarmRestarts(T_0=n_epochs-1)`, stepped once after
/// every epoch and twice after epoch 2 (train.py's "bug workaround").
///
/// Because the LR is constant within an epoch and depends only on the epoch number, resuming needs
/// no scheduler state: the epoch is the schedule position.
public enum LRSchedule {
    public static let warmupMultiplier = 10.0

    /// The LR used during `epoch` (1-based, as train.py's loop).
    ///
    /// - epoch 1: the warm-up start, `initLR`
    /// - epoch 2: the warm-up end, `initLR * 10`
    /// - epoch k >= 3: the cosine of the multiplied base at `T_cur = k - 2` of `T_0 = nEpochs - 1`,
    ///   restarting (as torch would) if stepped past `T_0`, which train.py never does.
    ///
    /// The original cannot build its cosine scheduler for `nEpochs == 1` (T_0 = 0); here epoch 1 needs
    /// no cosine, so a one-epoch run simply trains at `initLR`.
    public static func lr(epoch: Int, initLR: Double, nEpochs: Int) -> Double {
        precondition(epoch >= 1, "epochs are 1-based")
        if epoch == 1 {
            // GradualWarmupScheduler.get_lr at last_epoch 0
            return initLR * ((warmupMultiplier - 1) * 0 / 1 + 1)
        }
        if epoch == 2 || nEpochs < 2 {
            return initLR * ((warmupMultiplier - 1) * 1 / 1 + 1)
        }
        // CosineAnnealingWarmRestarts.get_lr with eta_min 0 and base_lrs replaced by base * multiplier
        // at hand-off; same operation order as torch so the doubles agree bit for bit.
        let tI = nEpochs - 1
        let tCur = (epoch - 2) % tI
        let base = initLR * warmupMultiplier
        return 0 + (base - 0) * (1 + cos(Double.pi * Double(tCur) / Double(tI))) / 2
    }

    /// The whole schedule, epochs 1...nEpochs.
    public static func table(initLR: Double, nEpochs: Int) -> [Double] {
        (1 ... max(1, nEpochs)).map { lr(epoch: $0, initLR: initLR, nEpochs: nEpochs) }
    }
}
