import ArgumentParser
import Foundation
import MelanomaKit
import Torch

/// The data and model flags shared by train, evaluate and predict, under the original's names. Defaults come
/// from `RunOptions`, the one place they are set.
struct RunFlags: ParsableArguments {
    static let defaults = RunOptions(kernelType: "", dataFolder: 0, imageSize: 0, enetType: "")

    @Option(name: .flag("--kernel-type"),
            help: "Experiment name; names weights and logs. Containing 'newfold' or 'oldfold' picks that fold map.")
    var kernelType: String
    @Option(name: .flag("--data-dir"), help: "Folder holding jpeg-melanoma-FxF/ (and optionally jpeg-isic2019-FxF/).")
    var dataDir = defaults.dataDir
    @Option(name: .flag("--data-folder"), parsing: .unconditional, help: "Stored resolution F of the JPEG folders (512, 768, 1024; 128 for the demo data).")
    var dataFolder: Int
    @Option(name: .flag("--image-size"), parsing: .unconditional, help: "Network input size (images are augmented at F, then resized to this).")
    var imageSize: Int
    @Option(name: .flag("--enet-type"),
            help: "Backbone: efficientnet_b0..b7, tf_efficientnet_b0_ns..b7_ns, resnest101, seresnext101.")
    var enetType: String
    @Option(name: .flag("--batch-size"), parsing: .unconditional, help: "Images per batch.")
    var batchSize = defaults.batchSize
    @Option(name: .flag("--num-workers"), parsing: .unconditional, help: "Threads decoding and augmenting images (0: on the training thread).")
    var numWorkers = defaults.numWorkers
    @Option(name: .flag("--out-dim"), parsing: .unconditional, help: "Classes: 9 (2019 diagnoses kept) or 4 (BKL, melanoma, nevus, unknown).")
    var outDim = defaults.outDim
    @Flag(name: .flag("--use-meta"), help: "Add the metadata features (sex, age, site, image counts) through the meta MLP.")
    var useMeta = defaults.useMeta
    @Option(name: .flag("--n-meta-dim"), help: "Hidden sizes of the metadata branch.")
    var nMetaDim = defaults.nMetaDim.map(String.init).joined(separator: ",")
    @Flag(name: .flag("--use-amp"), help: "Mixed precision (the original used apex O1): autocast to --amp-dtype.")
    var useAmp = defaults.useAMP
    @Option(name: .flag("--amp-dtype"),
            help: "With --use-amp: bf16 (default; no loss scaling needed) or fp16 with dynamic loss scaling (GPUs without bf16: P100, V100, T4).")
    var ampDtype = "bf16"
    @Flag(name: .flag("--DEBUG"), help: "The original's quick look: a few batches of rows, \(RunOptions.debugEpochs) epochs.")
    var debug = defaults.debug
    @Option(name: .flag("--model-dir"), help: "Where checkpoints are written and read.")
    var modelDir = defaults.modelDir
    @Option(name: .flag("--log-dir"), help: "Where log_{kernel}.txt is appended.")
    var logDir = defaults.logDir
    @Option(name: .flag("--fold"), help: "Folds to train, evaluate or average, comma-separated.")
    var fold = defaults.folds.map(String.init).joined(separator: ",")
    @Option(name: .flag("--device"), help: "cpu, cuda or cuda:N.")
    var device = "cpu"
    @Option(name: .flag("--seed"), parsing: .unconditional, help: "Seed for weights, shuffling, augmentation and dropout.")
    var seed = defaults.seed
    @Option(name: .flag("--memory-format"),
            help: "Layout of weights and batches: auto (channels-last, faster for these CNNs), contiguous or channels-last.")
    var memoryFormat = defaults.memoryFormat.rawValue
    @Flag(name: .flag("--full-decode"),
          help: "Decode and augment JPEGs at their stored size, as the original (default: reduced in the DCT to the model's size first, faster).")
    var fullDecode = defaults.fullDecode

    func options() throws -> RunOptions {
        var o = RunOptions(kernelType: kernelType, dataFolder: dataFolder, imageSize: imageSize, enetType: enetType)
        o.dataDir = dataDir
        o.batchSize = batchSize
        o.numWorkers = numWorkers
        o.outDim = outDim
        o.useMeta = useMeta
        o.nMetaDim = try parseInts(nMetaDim, flag: "--n-meta-dim")
        o.useAMP = useAmp
        switch ampDtype {
        case "bf16": o.ampDType = .bfloat16
        case "fp16": o.ampDType = .float16
        default: throw ValidationError("--amp-dtype is bf16 or fp16, got '\(ampDtype)'")
        }
        o.debug = debug
        o.modelDir = modelDir
        o.logDir = logDir
        o.device = try Device(parsing: device)
        o.seed = seed
        guard let format = MemoryFormat(rawValue: memoryFormat) else {
            throw ValidationError("--memory-format is auto, contiguous or channels-last, got '\(memoryFormat)'")
        }
        o.memoryFormat = format
        o.fullDecode = fullDecode
        o.folds = try parseInts(fold, flag: "--fold")
        return o
    }
}

/// What evaluate and predict add to the run flags: which checkpoint of each fold they read and how many TTA
/// variants they average.
struct InferenceFlags: ParsableArguments {
    @Option(name: .flag("--eval"), help: "Checkpoint: best, best_20 or final.")
    var eval = EvalChoice.best.rawValue
    @Option(name: .flag("--n-test"), parsing: .unconditional, help: "TTA variants (1-8).")
    var nTest = RunFlags.defaults.nTest

    /// The run flags with this command's TTA count.
    func options(_ flags: RunFlags) throws -> RunOptions {
        var o = try flags.options()
        o.nTest = nTest
        return o
    }

    func choice() throws -> EvalChoice {
        guard let choice = EvalChoice(rawValue: eval) else {
            throw ValidationError("--eval must be best, best_20 or final, got '\(eval)'")
        }
        return choice
    }
}
