import Foundation

/// Which fold checkpoint evaluate and predict load.
public enum EvalChoice: String, CaseIterable, Sendable {
    case best
    case best20 = "best_20"
    case final
}

/// The original's file names. Checkpoints are `.pth` (torch.save) by default so the original's
/// predict.py can load ours and we can load the released weights; `.safetensors` is allowed.
public struct CheckpointNames: Sendable, Equatable {
    public let kernelType: String
    public let fileExtension: String

    public init(kernelType: String, fileExtension: String = "pth") {
        self.kernelType = kernelType
        self.fileExtension = fileExtension
    }

    public func best(fold: Int) -> String { "\(kernelType)_best_fold\(fold).\(fileExtension)" }
    public func best20(fold: Int) -> String { "\(kernelType)_best_20_fold\(fold).\(fileExtension)" }
    public func final(fold: Int) -> String { "\(kernelType)_final_fold\(fold).\(fileExtension)" }

    public func checkpoint(_ eval: EvalChoice, fold: Int) -> String {
        switch eval {
        case .best: best(fold: fold)
        case .best20: best20(fold: fold)
        case .final: final(fold: fold)
        }
    }

    /// The resume state of a fold (small JSON).
    public func resumeState(fold: Int) -> String { "\(kernelType)_resume_fold\(fold).json" }
    /// Model + optimizer after `epoch`; the epoch is in the name so a new one never overwrites the
    /// one the current state file points at.
    public func resumeCheckpoint(fold: Int, epoch: Int) -> String {
        "\(kernelType)_resume_fold\(fold)_epoch\(epoch).\(fileExtension)"
    }

    /// predict's output, `sub_{kernel}_{eval}.csv`.
    public func submission(_ eval: EvalChoice) -> String { "sub_\(kernelType)_\(eval.rawValue).csv" }
    /// evaluate's OOF predictions (the original wrote `{kernel}_{eval}_oof.npy`).
    public func oof(_ eval: EvalChoice) -> String { "\(kernelType)_\(eval.rawValue)_oof.csv" }
}
